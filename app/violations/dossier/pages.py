"""The dossier's sections about the case itself (one to six): each appends its reportlab
flowables to the story."""

from __future__ import annotations

from typing import Any

from app.violations.dossier.facts import DossierData
from app.violations.dossier.labels import (
    ACCOUNT_ZH,
    CAUSE_ZH,
    CUSTODY_ZH,
    KIND_ZH,
    SIGNATURE_ZH,
    STATUS_ZH,
    STEP_ZH,
    SYSTEM_NOTE_ZH,
    VERDICT_ZH,
)
from app.violations.dossier.layout import (
    esc,
    party,
    photo,
    table,
    when,
)
from app.violations.dossier.proofs import BundleReport
from app.violations.dossier.regions_map import case_map


def summary(
    story: list[Any], data: DossierData, st: dict[str, Any], report: BundleReport | None
) -> None:
    """Section one: the case at a glance, with whether its audit proofs hold."""
    v = data.violation
    summary = [
        ["案件类型", KIND_ZH.get(v.kind.value, v.kind.value)],
        ["当前状态", STATUS_ZH.get(v.status.value, v.status.value)],
        ["发现时间", when(data, v.detected_at)],
        ["被窜入地区", f"{data.region_name}"],
        ["窜货方经销商", party(data, v.diverting_distributor_code)],
        ["窜货方业务员", party(data, v.diverting_salesperson_code)],
        ["窜货方下级客户", party(data, v.diverting_sub_customer_code)],
        ["被窜入方经销商", party(data, v.invaded_distributor_code)],
        ["被窜入方业务员", party(data, v.invaded_salesperson_code)],
        ["箱数 / 货值", f"{v.cartons} 箱 / ¥{v.value}"],
        ["申诉截止", when(data, v.appeal_deadline)],
        ["政策版本", v.policy_version + ("(仅记录,不处罚)" if v.advisory else "")],
    ]
    if v.fine is not None and v.status.value in ("open", "appealed"):
        summary.append(["罚款", "尚未决定(确认时按政策计算)"])
    elif v.fine is not None:
        summary.append(["罚款", f"¥{v.fine}" + (f"({v.fine_reason})" if v.fine_reason else "")])
    proved = len(data.proof["entries"])
    if report is None:
        summary.append(["审计证明", "审计日志尚无签名检查点,暂无证明(见第七节)"])
    elif report.ok:
        summary.append(["审计证明", f"{proved} 条审计记录,包含证明与检查点签名全部通过(见第七节)"])
    else:
        summary.append(["审计证明", f"未通过:{len(report.problems)} 处不符(见第七节)"])
    story.append(table(summary, [38, 140], st, header=False))


def cartons(story: list[Any], data: DossierData, st: dict[str, Any]) -> None:
    """Section two: each carton code and its signature check."""
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, Spacer

    P = Paragraph
    story.append(P("二、箱码与防伪签名校验", st["h2"]))
    story.append(
        P(
            "每个箱码由 GS1 应用标识符组成:(01) 商品条码 GTIN-14、(21) 随机序列号、(91) 销售地区、"
            "(92) 以公司密钥计算的签名。签名由本系统用当前密钥重新计算并比对。",
            st["small"],
        )
    )
    for c in data.cartons:
        story.append(Spacer(1, 2 * mm))
        story.append(
            table(
                [
                    ["产品", c.product_name],
                    ["商品条码 GTIN", c.gtin],
                    ["序列号", c.serial],
                    ["编码地区", f"{c.region_name}(地区代码 {c.region_code})"],
                    ["签名 (92)", c.signature],
                    [
                        "签名校验",
                        SIGNATURE_ZH.get(c.signature_check, c.signature_check)
                        + ("" if c.signature_matches else ";签名与编码不符"),
                    ],
                    ["完整码(元素串)", c.element_string],
                    [
                        "编码批次",
                        f"第 {c.batch_id} 批" + ("(已作废)" if c.status == "voided" else ""),
                    ],
                ],
                [38, 140],
                st,
                header=False,
            )
        )


def custody(story: list[Any], data: DossierData, st: dict[str, Any]) -> None:
    """Section three: the chain of hand-offs."""
    from reportlab.platypus import Paragraph

    P = Paragraph
    story.append(P("三、流转记录(交接链)", st["h2"]))
    if data.custody:
        rows: list[list[Any]] = [["时间", "环节", "交出方", "接收方", "结果", "单号"]]
        for e in data.custody:
            outcome = {"accepted": "接受", "warning": "预警", "refused": "拒绝"}.get(
                e.outcome, e.outcome
            )
            rows.append(
                [
                    when(data, e.at),
                    CUSTODY_ZH.get(e.kind, e.kind),
                    e.from_name,
                    e.to_name,
                    outcome + (f"({e.reason})" if e.reason else ""),
                    (e.ref or "—")[:40],
                ]
            )
        story.append(table(rows, [30, 16, 40, 40, 22, 30], st, header=True))
    else:
        story.append(P("该箱尚无交接记录。", st["base"]))


def scans(story: list[Any], data: DossierData, st: dict[str, Any]) -> None:
    """Section four: every scan, and the map of where they were."""
    from reportlab.lib.units import mm
    from reportlab.platypus import KeepTogether, Paragraph, Spacer

    P = Paragraph
    story.append(P("四、扫描记录", st["h2"]))
    rows = [["#", "时间", "地点", "坐标", "结论", "其他"]]
    for s in data.scans:
        place = " / ".join(x for x in (s.region_name, s.checkpoint_name) if x) or "—"
        coords = "—" if s.lat is None or s.lon is None else f"{s.lat:.4f}, {s.lon:.4f}"
        other = []
        if s.observed_price is not None:
            other.append(f"观察价 ¥{s.observed_price}")
        if "price_violation" in s.findings:
            other.append("低于限价")
        if s.photo_sha256:
            other.append("有照片")
        if s.in_case:
            other.append("本案证据")
        rows.append(
            [
                str(s.number),
                when(data, s.at),
                place,
                coords,
                VERDICT_ZH.get(s.verdict, s.verdict),
                ";".join(other) or "—",
            ]
        )
    story.append(table(rows, [8, 30, 62, 28, 24, 26], st, header=True))
    drawing = case_map(data)
    if drawing is not None:
        story.append(Spacer(1, 3 * mm))
        story.append(
            KeepTogether(
                [
                    drawing,
                    P(
                        "地图:各地区边界取自系统登记的地区边界(GeoJSON);红色为被窜入地区;"
                        "圆点为扫描位置(编号同上表,红色为窜货结论)。",
                        st["small"],
                    ),
                ]
            )
        )


def photos(story: list[Any], data: DossierData, st: dict[str, Any]) -> None:
    """Section five: the photos taken at the scans."""
    from reportlab.lib.units import mm
    from reportlab.platypus import KeepTogether, Paragraph, Spacer

    P = Paragraph
    photos = [s for s in data.scans if s.photo_sha256]
    if photos:
        story.append(P("五、现场照片", st["h2"]))
        for s in photos:
            caption = P(
                f"扫描 #{s.number},{when(data, s.at)},"
                f"{esc(s.checkpoint_name or s.region_name or '')};照片 SHA-256:{s.photo_sha256}",
                st["small"],
            )
            img = photo(s.photo_path, 150, 90) if s.photo_path is not None else None
            if img is None:
                story.append(KeepTogether([P("(照片文件缺失)", st["base"]), caption]))
            else:
                story.append(KeepTogether([img, caption, Spacer(1, 3 * mm)]))


def decisions(story: list[Any], data: DossierData, st: dict[str, Any]) -> None:
    """Section six: the decisions, sanctions and postings of the case."""
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, Spacer

    P = Paragraph
    v = data.violation
    story.append(P("六、处理经过与决定", st["h2"]))
    rows = [["时间", "状态变化", "操作人", "说明 / 理由", "补充证据"]]
    for ev in v.events:
        before = STATUS_ZH.get(ev.from_status or "", ev.from_status or "")
        after = STATUS_ZH.get(ev.to_status, ev.to_status)
        rows.append(
            [
                when(data, ev.at),
                f"{before} → {after}" if before else after,
                ev.actor,
                SYSTEM_NOTE_ZH.get(ev.note or "", ev.note or "—"),
                ev.evidence or "—",
            ]
        )
    story.append(table(rows, [30, 28, 26, 60, 34], st, header=True))
    if v.sanctions:
        story.append(Spacer(1, 2 * mm))
        rows = [["决定时间", "处罚阶梯", "第几次", "理由", "状态"]]
        for sn in v.sanctions:
            rows.append(
                [
                    when(data, sn.decided_at),
                    STEP_ZH.get(sn.step.value, sn.step.value),
                    str(sn.offence_number),
                    sn.reason,
                    "生效" if sn.in_force else "已撤回或解除",
                ]
            )
        story.append(table(rows, [30, 26, 16, 80, 26], st, header=True))
    if v.postings:
        story.append(Spacer(1, 2 * mm))
        rows = [["记账时间", "原因", "当事方", "科目", "金额"]]
        for p in v.postings:
            for line in p.lines:
                rows.append(
                    [
                        when(data, p.posted_at),
                        CAUSE_ZH.get(p.cause_type, p.cause_type),
                        "公司"
                        if line.party_type.value == "system"
                        else party(data, line.party_code),
                        ACCOUNT_ZH.get(line.kind.value, line.kind.value),
                        str(line.amount),
                    ]
                )
        story.append(table(rows, [30, 38, 50, 32, 28], st, header=True))
