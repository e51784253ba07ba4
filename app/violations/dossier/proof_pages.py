"""The dossier's last sections: the audit proofs and how to check them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from app.audit import service as audit
from app.violations.dossier.facts import DossierData
from app.violations.dossier.labels import (
    PROOF_NAME,
)
from app.violations.dossier.layout import (
    esc,
    table,
    when,
)
from app.violations.dossier.proofs import BundleReport


def audit_proofs(
    story: list[Any], data: DossierData, st: dict[str, Any], report: BundleReport | None
) -> None:
    """Section seven: the audit entries with their inclusion proofs and the signed checkpoint."""
    from reportlab.lib.units import mm
    from reportlab.platypus import KeepTogether, Paragraph, Spacer

    P = Paragraph
    story.append(P("七、审计链记录(防篡改证明)", st["h2"]))
    cp = data.proof.get("checkpoint")
    if cp is None:
        story.append(P("审计日志尚无签名检查点:本档案暂无法附带证明,请稍后重新生成。", st["base"]))
    else:
        story.append(
            P(
                "系统的每一次状态变化都写入只可追加的审计日志;日志按 RFC 9162(证书透明度)组织为"
                "默克尔树,并定期以 Ed25519 签名其树根(签名检查点)。下列每条记录附有叶序号、叶哈希"
                "和到该检查点树根的包含证明:任何一条记录在写入后被修改,其证明即不成立。",
                st["small"],
            )
        )
        story.append(Spacer(1, 2 * mm))
        story.append(
            table(
                [
                    ["检查点时间", when(data, datetime.fromisoformat(cp["at"]))],
                    ["树大小(条)", str(cp["tree_size"])],
                    ["树根哈希", cp["root_hash"]],
                    ["签名密钥 ID", cp["key_id"]],
                    ["Ed25519 公钥", cp["public_key"]],
                    ["签名", cp["signature"]],
                    [
                        "本机校验",
                        "全部通过"
                        if report is not None and report.ok
                        else "未通过:" + ";".join(report.problems if report else []),
                    ],
                ],
                [38, 140],
                st,
                header=False,
            )
        )
        results = report.results if report is not None else {}
        for item in data.proof["entries"]:
            e = item["entry"]
            passed = results.get(int(e["seq"]))
            path = "<br/>".join(item["audit_path"]) or "(空:树中唯一的叶)"
            story.append(Spacer(1, 2 * mm))
            story.append(
                KeepTogether(
                    table(
                        [
                            [
                                "记录",
                                f"第 {e['seq']} 条 · {e['action']} · {e['entity_type']} "
                                f"{e['entity_key']}",
                            ],
                            [
                                "时间 / 操作人",
                                f"{when(data, datetime.fromisoformat(e['at']))} · {e['actor']}",
                            ],
                            ["内容", audit.canonical(e["data"])],
                            ["叶序号", str(item["leaf_index"])],
                            ["叶哈希", item["leaf_hash"]],
                            ["包含证明", P(path, st["mono"])],
                            ["校验", "通过" if passed else "未通过"],
                        ],
                        [38, 140],
                        st,
                        header=False,
                    )
                )
            )
        for item in data.proof["pending"]:
            e = item["entry"]
            story.append(
                P(
                    f"第 {e['seq']} 条({esc(e['action'])})尚未进入已签名的检查点"
                    "(排序器每秒签名一次),请稍后重新生成以附上其证明。",
                    st["small"],
                )
            )


def how_to_verify(story: list[Any], data: DossierData, st: dict[str, Any]) -> None:
    """Section eight: how a reader checks the proofs without the service."""
    from reportlab.platypus import Paragraph

    P = Paragraph
    v = data.violation
    story.append(P("八、如何验证", st["h2"]))
    steps = [
        f"1. 本 PDF 内嵌附件 {PROOF_NAME},含上述每条记录的完整内容、叶哈希、包含证明和签名检查点。"
        "可用任意 PDF 阅读器的“附件”面板或 poppler 的 pdfdetach 取出:",
        f"pdfdetach -savefile {PROOF_NAME} dossier-{v.id}.pdf",
        "2. 用 ChannelGuard 命令行一次性验证(检查每条记录的叶哈希、每个包含证明和检查点的 "
        "Ed25519 签名;在能连接本系统数据库的机器上,还会比对数据库中的记录是否在档案生成后被改动):",
        f"channelguard audit verify-dossier dossier-{v.id}.pdf",
        "3. 以总部公布的公钥或另行保存的检查点为准(不依赖 PDF 自带的公钥):",
        f"channelguard audit verify-dossier dossier-{v.id}.pdf --public-key 公钥 "
        "--checkpoint latest.checkpoint",
        "4. 手工验证:叶哈希 = SHA-256(0x00 ‖ 记录内容的规范 JSON:键排序、无空格、UTF-8);"
        "按 RFC 9162 第 2.1.3.2 节用包含证明从叶哈希算到树根,应等于检查点的树根;"
        "检查点签名是对文本“origin\\n树大小\\nbase64(树根)\\n时间\\n”的 Ed25519 签名。",
    ]
    for step in steps:
        style = st["mono"] if step.startswith(("pdfdetach", "channelguard")) else st["base"]
        story.append(P(esc(step), style))
