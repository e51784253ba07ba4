"""The evidence dossier: a zh-CN PDF with its fonts embedded, the case's codes, custody, scans,
photo and decisions, and audit proofs that the documented command verifies, and that fail,
naming the entry, once an audit row or the attached proof is tampered with."""

from __future__ import annotations

import base64
import io
import json
import subprocess
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import segno
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from PIL import Image
from sqlalchemy import select, text
from typer.testing import CliRunner

from app.audit.sequencer import integrate_all
from app.cli.main import cli
from app.config import get_settings
from app.db import get_sessionmaker
from app.models import AuditEntry, Role
from app.violations import dossier
from tests.audit.tampering import switch_guards_off
from tests.conftest import _reset_caches
from tests.violations.market import Market, now

JINAN = "D-370100-1"


@pytest.fixture
def quiet_log(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """Photos in a temporary folder; the log integrated by the test, not by a background thread
    (set before the app starts)."""
    monkeypatch.setenv("CG_PHOTO_DIR", str(tmp_path / "photos"))
    monkeypatch.setenv("CG_LOG_INTEGRATE_INTERVAL", "0")
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def _qr_photo(payload: str) -> bytes:
    buf = io.BytesIO()
    segno.make(payload, error="m").save(buf, kind="png", scale=6, border=4)
    tile = Image.open(io.BytesIO(buf.getvalue())).convert("RGB")
    sheet = Image.new("RGB", (tile.width + 160, tile.height + 120), (214, 190, 150))  # a carton
    sheet.paste(tile, (80, 60))
    out = io.BytesIO()
    sheet.save(out, format="JPEG", quality=90)
    return out.getvalue()


def _integrate() -> None:
    integrate_all(get_settings(), "dossier-test")


@pytest.fixture
def case(quiet_log: Path, market: Market) -> int:
    """Jinan's carton photographed at the Liaocheng toll station (a diversion with its photo),
    appealed by Jinan and confirmed by HQ with a note; the log then signed."""
    payload = market.stock(JINAN, "SP-370100", "370100", 1)[0]
    market.scan(payload, "JN-G2-N")  # seen at home first
    r = market.api.post(
        "inspector",
        "/api/v1/scans/photo",
        files={"file": ("carton.jpg", _qr_photo(payload), "image/jpeg")},
        data={"checkpoint_code": "LC-G3", "scanned_at": (now() - timedelta(minutes=5)).isoformat()},
    )
    assert r.status_code == 200, r.text
    (result,) = r.json()["results"]
    assert result["verdict"] == "diversion", result
    vid: int = result["violation_id"]
    r = market.api.post(
        "jinan-distributor",
        f"/api/v1/violations/{vid}/appeal",
        json={"reason": "该批货物已退回公司仓库", "evidence": "退货单 RT-0042"},
    )
    assert r.status_code == 200, r.text
    r = market.api.post(
        "auditor",
        f"/api/v1/violations/{vid}/decide",
        json={"decision": "confirm", "note": "聊城收费站照片清晰,退货单日期晚于扫描,申诉不成立"},
    )
    assert r.status_code == 200, r.text
    _integrate()
    return vid


def _text(pdf: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout


def _verify(pdf: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["audit", "verify-dossier", str(pdf), *args])
    return result.exit_code, result.output


def _tamper(sql: str, **params: Any) -> None:
    with get_sessionmaker()() as s, s.begin():
        switch_guards_off(s)
        s.execute(text(sql), params)


def _confirm_entry(vid: int) -> int:
    with get_sessionmaker()() as s:
        seq = s.scalar(
            select(AuditEntry.seq).where(
                AuditEntry.entity_type == "violation",
                AuditEntry.entity_key == str(vid),
                AuditEntry.action == "violation.confirmed",
            )
        )
    assert seq is not None
    return int(seq)


def test_dossier_reads_in_chinese_embeds_its_font_and_its_proof_verifies(
    case: int, market: Market, tmp_path: Path
) -> None:
    r = market.api.get("auditor", f"/api/v1/violations/{case}/dossier.pdf")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf"
    pdf = tmp_path / f"dossier-{case}.pdf"
    pdf.write_bytes(r.content)

    words = _text(pdf)
    for expected in (
        f"窜货案件证据档案 第{case}号",
        "济南市",  # the carton's region and the diverting side
        "聊城市",  # where it was found
        "G3京台高速 聊城收费站",  # the checkpoint by name
        "青岛风格淡爽啤酒",  # the product
        "有效",  # the signature check
        "申诉不成立",  # HQ's note
        "退货单 RT-0042",  # the appeal's evidence
        "包含证明",
        "channelguard audit verify-dossier",
    ):
        assert expected in words, expected
    # Times in the business time zone (Asia/Shanghai), never in UTC.
    detail = market.violation(case)
    local = (
        datetime.fromisoformat(detail["detected_at"])
        .astimezone(get_settings().tz)
        .strftime("%Y-%m-%d %H:%M")
    )
    assert local in words

    fonts = subprocess.run(["pdffonts", str(pdf)], check=True, capture_output=True, text=True)
    rows = [line.split() for line in fonts.stdout.splitlines()[2:] if line.strip()]
    assert any("WenQuanYi" in row[0] for row in rows), fonts.stdout
    # Every font embedded (column "emb"), so no reader or print server substitutes boxes.
    assert all(row[-5] == "yes" for row in rows), fonts.stdout

    # The photo is in the PDF as an image.
    images = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True)
    assert len(images.stdout.strip().splitlines()) >= 3, images.stdout  # header lines + 1 image

    bundle = dossier.read_bundle(pdf.read_bytes())
    actions = {item["entry"]["action"] for item in bundle["entries"]}
    assert {"violations.opened", "violation.appealed", "violation.confirmed"} <= actions
    assert "code_batch.issued" in actions
    for item in bundle["entries"]:  # no other case's entries
        entry = item["entry"]
        if entry["entity_type"] == "violation":
            opened = [o["id"] for o in entry["data"].get("violations", [])]
            assert entry["entity_key"] == str(case) or case in opened, entry
    assert not bundle["pending"]
    code, out = _verify(pdf)
    assert code == 0, out
    assert out.startswith("OK") or "\nOK:" in out, out
    # The same with the log's published key, and the checkpoint the log served.
    cp = market.api.get("auditor", "/api/v1/audit-log/checkpoint").json()
    saved = tmp_path / "latest.checkpoint"
    saved.write_text(json.dumps(cp))
    code, out = _verify(pdf, "--public-key", cp["public_key"], "--checkpoint", str(saved))
    assert code == 0, out


def test_a_later_checkpoint_kept_outside_is_checked_for_consistency(
    case: int, market: Market, tmp_path: Path
) -> None:
    pdf = tmp_path / "d.pdf"
    pdf.write_bytes(market.api.get("auditor", f"/api/v1/violations/{case}/dossier.pdf").content)
    market.scan(market.stock(JINAN, "SP-370100", "370100", 1)[0], "JN-G2-N")  # the log grows
    _integrate()
    later = market.api.get("auditor", "/api/v1/audit-log/checkpoint").json()
    assert later["tree_size"] > dossier.read_bundle(pdf.read_bytes())["checkpoint"]["tree_size"]
    saved = tmp_path / "later.checkpoint"
    saved.write_text(json.dumps(later))
    code, out = _verify(pdf, "--checkpoint", str(saved))
    assert code == 0, out
    # A checkpoint of a forked log (another root at the same size) is caught.
    forged = {**later, "root_hash": "00" * 32}
    saved.write_text(json.dumps(forged))
    code, out = _verify(pdf, "--checkpoint", str(saved))
    assert code == 1
    assert "not signed by the log's key" in out


def test_an_audit_row_edited_after_it_was_logged_fails_naming_the_entry(
    case: int, market: Market, tmp_path: Path
) -> None:
    seq = _confirm_entry(case)
    _tamper(
        "UPDATE audit_entry SET actor = 'someone-else' WHERE seq = :seq",
        seq=seq,
    )
    pdf = tmp_path / "d.pdf"
    r = market.api.get("auditor", f"/api/v1/violations/{case}/dossier.pdf")
    assert r.status_code == 200
    pdf.write_bytes(r.content)
    assert "未通过" in _text(pdf)  # the PDF itself says so
    code, out = _verify(pdf)
    assert code == 1, out
    assert f"entry {seq} (violation.confirmed" in out
    assert "edited" in out
    assert "OK" not in out


def test_the_database_edited_after_the_dossier_fails_naming_the_entry(
    case: int, market: Market, tmp_path: Path
) -> None:
    pdf = tmp_path / "d.pdf"
    pdf.write_bytes(market.api.get("auditor", f"/api/v1/violations/{case}/dossier.pdf").content)
    seq = _confirm_entry(case)
    _tamper("UPDATE audit_entry SET actor = 'someone-else' WHERE seq = :seq", seq=seq)
    code, out = _verify(pdf)
    assert code == 1, out
    assert f"entry {seq}: changed in the database since the dossier was made" in out


def test_the_attached_proof_edited_fails_naming_the_entry(
    case: int, market: Market, tmp_path: Path
) -> None:
    original = market.api.get("auditor", f"/api/v1/violations/{case}/dossier.pdf").content
    bundle = dossier.read_bundle(original)
    target = next(i for i in bundle["entries"] if i["entry"]["action"] == "violation.confirmed")
    seq = target["entry"]["seq"]
    # The note of the decision rewritten inside the attachment, hash and all left as they were.
    target["entry"]["data"] = {**target["entry"]["data"], "note": "申诉成立"}
    pdf = tmp_path / "edited.pdf"
    pdf.write_bytes(dossier.attach(original, bundle, title="x"))
    code, out = _verify(pdf)
    assert code == 1, out
    assert f"entry {seq} (violation.confirmed" in out
    # A forged checkpoint root: every proof fails and the signature with it.
    bundle = dossier.read_bundle(original)
    bundle["checkpoint"]["root_hash"] = "ab" * 32
    pdf.write_bytes(dossier.attach(original, bundle, title="x"))
    code, out = _verify(pdf)
    assert code == 1
    assert "Ed25519 signature does not verify" in out
    # Not a dossier at all.
    pdf.write_bytes(b"%PDF-1.4 nothing here")
    code, out = _verify(pdf)
    assert code == 2


def test_only_hq_and_the_parties_get_the_dossier(case: int, market: Market) -> None:
    path = f"/api/v1/violations/{case}/dossier.pdf"
    for user in ("auditor", "admin", "jinan-distributor", "liaocheng-distributor"):
        assert market.api.get(user, path).status_code == 200, user
    market.user("qingdao-distributor", Role.distributor, distributor="D-370200-1")
    for user in ("qingdao-distributor", "inspector"):
        r = market.api.get(user, path)
        assert r.status_code == 404, (user, r.text)
    assert market.api.get(None, path).status_code == 401
    assert market.api.get("auditor", "/api/v1/violations/999999/dossier.pdf").status_code == 404
    # A party's dossier carries no other party's money: postings and fine only for HQ.
    party = dossier.read_bundle(market.api.get("liaocheng-distributor", path).content)
    assert {i["entry"]["entity_type"] for i in party["entries"]} <= {
        "violation",
        "carton",
        "code_batch",
    }


def test_the_command_line_writes_the_dossier(case: int, tmp_path: Path) -> None:
    out = tmp_path / "cli.pdf"
    result = CliRunner().invoke(cli, ["violations", "dossier", str(case), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"%PDF")
    assert "聊城市" in _text(out)
    result = CliRunner().invoke(cli, ["violations", "dossier", "999999", "-o", str(out)])
    assert result.exit_code == 2


def test_a_lawyer_verifies_without_the_database(
    case: int, market: Market, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pdf = tmp_path / "d.pdf"
    pdf.write_bytes(market.api.get("auditor", f"/api/v1/violations/{case}/dossier.pdf").content)
    published = market.api.get("auditor", "/api/v1/audit-log/checkpoint").json()["public_key"]
    nowhere = tmp_path / "no-database-here.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{nowhere}")
    _reset_caches()
    try:
        code, out = _verify(pdf)
        assert code == 0, out
        assert "key inside the dossier" in out
        code, out = _verify(pdf, "--public-key", published)
        assert code == 0, out
        assert "key inside the dossier" not in out
        # Another log's key: the dossier's checkpoint is not that log's.
        other = base64.b64encode(
            Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        ).decode()
        code, out = _verify(pdf, "--public-key", other)
        assert code == 1, out
        assert "signature does not verify" in out
        assert not nowhere.exists()  # verifying never creates a database
    finally:
        monkeypatch.undo()
        _reset_caches()
