"""Large code batches are stored a chunk a transaction: the service keeps answering while one
is issued, the batch shows `issuing` and its progress until `complete`, and a batch whose run
died or failed ends `failed`/`issuing` with an exact count and resumes to exactly `quantity`.

CI issues 50,000 codes in chunks of 5,000; CG_TEST_FULL_SIZE=1 issues 1,000,000 in chunks of
10,000 (the production size)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from app import db
from app.codes import gs1
from app.codes import service as codes
from app.codes.schemas import CodeBatchIn
from app.config import get_settings
from app.models import AuditEntry, Carton, CodeBatch
from app.models.code import BatchStatus
from tests.conftest import Api, LiveServer

FULL = bool(os.environ.get("CG_TEST_FULL_SIZE"))
LARGE, CHUNK = (1_000_000, 10_000) if FULL else (50_000, 5_000)
LAGER = "06901234560015"
EXE = str(Path(sys.executable).parent / "channelguard")


def _batch(batch_id: int) -> tuple[CodeBatch, int, int]:
    """The batch row, its stored codes and their distinct serials, read fresh."""
    with db.get_sessionmaker()() as s:
        row = s.get(CodeBatch, batch_id)
        assert row is not None
        stored, distinct = s.execute(
            select(func.count(), func.count(func.distinct(Carton.serial))).where(
                Carton.batch_id == batch_id
            )
        ).one()
        return row, stored, distinct


def _issued_audits(batch_id: int) -> int:
    with db.get_sessionmaker()() as s:
        return (
            s.scalar(
                select(func.count()).where(
                    AuditEntry.action == "code_batch.issued",
                    AuditEntry.entity_key == str(batch_id),
                )
            )
            or 0
        )


def _small_batch_payloads(api: Api, n: int) -> list[str]:
    r = api.post(
        "admin",
        "/api/v1/code-batches",
        json={"gtin": LAGER, "region_code": "370100", "quantity": n},
    )
    assert r.status_code == 201, r.text
    return [c["payload"] for c in r.json()["codes"]]


def _scan_body(payload: str) -> dict[str, object]:
    at = datetime.now(UTC).isoformat()
    return {"scans": [{"payload": payload, "checkpoint_code": "JN-G2-N", "scanned_at": at}]}


@pytest.mark.slow
def test_service_answers_between_chunks_while_the_api_issues_a_large_batch(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(codes, "ISSUE_CHUNK", CHUNK)
    payloads = _small_batch_payloads(api, 50)
    result: dict[str, httpx.Response] = {}

    def issue() -> None:
        result["r"] = api.post(
            "admin",
            "/api/v1/code-batches",
            json={"gtin": LAGER, "region_code": "370100", "quantity": LARGE},
        )

    worker = threading.Thread(target=issue, daemon=True)
    worker.start()
    health: list[float] = []
    scans: list[float] = []
    progress: list[tuple[str, int]] = []
    i = 0
    while worker.is_alive():
        t = time.perf_counter()
        assert api.get(None, "/healthz").status_code == 200
        health.append(time.perf_counter() - t)
        t = time.perf_counter()
        r = api.client.post(
            "/api/v1/scans",
            json=_scan_body(payloads[i % len(payloads)]),
            headers={**api.as_("inspector"), "Idempotency-Key": uuid.uuid4().hex},
        )
        scans.append(time.perf_counter() - t)
        assert r.status_code == 200, r.text
        assert r.json()["results"][0]["verdict"] == "in_region"
        listing = api.get("admin", "/api/v1/code-batches", params={"limit": 1}).json()["items"]
        if listing and listing[0]["quantity"] == LARGE:
            progress.append((listing[0]["status"], listing[0]["issued"]))
        i += 1
    worker.join()
    r = result["r"]
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["codes"] is None and body["status"] == "complete" and body["issued"] == LARGE
    # Other requests got in between the chunks: several answered (scans stored) while the
    # batch was still issuing. How fast they answered is for bench/, not for a test on a
    # shared machine.
    assert len(health) >= 3, health
    assert len(scans) >= 3, scans
    # Meanwhile the batch was visible as issuing, its count moving up in whole chunks.
    issuing = [n for st, n in progress if st == "issuing"]
    assert issuing and all(0 <= n < LARGE and n % CHUNK == 0 for n in issuing), progress
    assert sorted(issuing) == issuing
    row, stored, distinct = _batch(body["id"])
    assert (row.status, row.issued, stored, distinct) == (BatchStatus.complete, LARGE, LARGE, LARGE)
    got = api.get("admin", f"/api/v1/code-batches/{body['id']}").json()
    assert got["status"] == "complete" and got["issued"] == LARGE and got["completed_at"]
    assert _issued_audits(body["id"]) == 1


class Boom(RuntimeError):
    pass


def test_batch_that_fails_after_some_chunks_is_marked_failed_then_resumes_exactly(
    api: Api,
) -> None:
    quantity, chunk, fail_after = 23_000, 5_000, 3
    settings = get_settings()
    calls = 0

    def crash_after_k_chunks(n: int) -> None:
        nonlocal calls
        calls += 1
        if calls == fail_after:
            raise Boom("power cut")

    with pytest.raises(Boom):
        codes.issue_batch_chunked(
            db.get_sessionmaker(),
            data=CodeBatchIn(gtin=LAGER, region_code="370100", quantity=quantity),
            settings=settings,
            actor="admin",
            chunk=chunk,
            progress=crash_after_k_chunks,
        )
    with db.get_sessionmaker()() as s:
        batch_id = s.scalar(select(func.max(CodeBatch.id)))
    assert batch_id is not None
    row, stored, distinct = _batch(batch_id)
    # Never half-visible as complete: failed, with an exact count of what is stored.
    assert row.status is BatchStatus.failed
    assert row.issued == stored == distinct == fail_after * chunk
    assert _issued_audits(batch_id) == 0
    got = api.get("admin", f"/api/v1/code-batches/{batch_id}").json()
    assert (got["status"], got["issued"], got["quantity"]) == ("failed", 15_000, quantity)
    # A short run is neither exported nor printed.
    for path in ("codes.csv", "labels.pdf"):
        r = api.get("admin", f"/api/v1/code-batches/{batch_id}/{path}")
        assert r.status_code == 409 and "resume" in r.json()["detail"], r.text

    seen: list[int] = []
    out = codes.resume_batch(
        db.get_sessionmaker(),
        batch_id=batch_id,
        settings=settings,
        chunk=chunk,
        progress=seen.append,
    )
    assert seen == [5_000, 3_000]  # only what was missing, the last chunk short
    assert (out.status, out.issued) == ("complete", quantity)
    row, stored, distinct = _batch(batch_id)
    assert (row.status, row.issued, stored, distinct) == (
        BatchStatus.complete,
        quantity,
        quantity,
        quantity,
    )
    assert _issued_audits(batch_id) == 1
    # Resuming a complete batch adds nothing.
    codes.resume_batch(db.get_sessionmaker(), batch_id=batch_id, settings=settings, chunk=chunk)
    assert _batch(batch_id)[1] == quantity
    # Every code, from before and after the failure, is signed as any other and exported.
    r = api.get("admin", f"/api/v1/code-batches/{batch_id}/codes.csv")
    assert r.status_code == 200
    rows = r.text.strip().splitlines()[1:]
    assert len(rows) == quantity
    keys = settings.signing
    for line in rows[:: quantity // 50]:
        parsed = gs1.parse_payload(line.split(",")[3], allowed_hosts=None)
        assert isinstance(parsed, gs1.ParsedCarton)
        assert gs1.verify(parsed, keys=keys) == "valid"


def test_resume_never_overshoots_when_the_count_was_already_reached(api: Api) -> None:
    # Two resumes racing over one batch: the row lock makes the second top up nothing.
    settings = get_settings()
    with db.get_sessionmaker()() as s, s.begin():
        batch_id = codes.start_batch(
            s,
            data=CodeBatchIn(gtin=LAGER, region_code="370100", quantity=7_000),
            settings=settings,
            actor="admin",
        )
    ctx_sessions = db.get_sessionmaker()
    with ctx_sessions() as s:
        ctx = codes.batch_context(s, batch_id)
    signed = list(
        gs1.issue_codes(gtin=LAGER, region_code="370100", keys=settings.signing, quantity=9_000)
    )
    with ctx_sessions() as s, s.begin():
        _row, n = codes._store_chunk(s, ctx, signed)
    assert n == 7_000
    with ctx_sessions() as s, s.begin():
        _row, n = codes._store_chunk(s, ctx, signed[7_000:])
    assert n == 0
    row, stored, _ = _batch(batch_id)
    assert (row.status, row.issued, stored) == (BatchStatus.complete, 7_000, 7_000)


@pytest.mark.slow
def test_killed_cli_issue_leaves_an_exact_count_and_resume_completes_it(
    live_server: LiveServer, tmp_path: Path
) -> None:
    """The CLI in its own process: the server keeps answering, a kill -9
    mid-batch leaves it `issuing` with exactly the committed codes, `--resume` finishes it."""
    env = {**os.environ, "DATABASE_URL": live_server.database_url}
    os.environ["DATABASE_URL"] = live_server.database_url
    get_settings.cache_clear()
    db.get_engine.cache_clear()
    db.get_sessionmaker.cache_clear()
    quantity = 1_000_000 if FULL else 60_000  # the CLI's chunks are 10,000
    args = ["codes", "issue", "--gtin", LAGER, "--region", "370100", "--quantity", str(quantity)]
    proc = subprocess.Popen([EXE, *args], env=env, stdout=subprocess.DEVNULL, cwd=tmp_path)
    batch_id = None
    health: list[float] = []
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and proc.poll() is None:
            t = time.perf_counter()
            assert httpx.get(f"{live_server.base_url}/healthz", timeout=5).status_code == 200
            health.append(time.perf_counter() - t)
            with db.get_sessionmaker()() as s:
                row = s.scalar(
                    select(CodeBatch)
                    .where(CodeBatch.quantity == quantity)
                    .order_by(CodeBatch.id.desc())
                )
            if row is not None and row.issued >= 20_000:
                batch_id = row.id
                break
            time.sleep(0.02)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    assert batch_id is not None, "the batch never showed progress"
    assert len(health) >= 2, health  # the server answered while the CLI issued
    row, stored, distinct = _batch(batch_id)
    assert row.status is BatchStatus.issuing
    assert row.issued == stored == distinct and 20_000 <= stored < quantity
    assert stored % 10_000 == 0

    r = subprocess.run(
        [EXE, "codes", "issue", "--resume"], env=env, capture_output=True, text=True, timeout=600
    )
    assert r.returncode == 0, r.stdout + r.stderr
    row, stored, distinct = _batch(batch_id)
    assert (row.status, row.issued, stored, distinct) == (
        BatchStatus.complete,
        quantity,
        quantity,
        quantity,
    )
    again = subprocess.run(
        [EXE, "codes", "issue", "--resume"], env=env, capture_output=True, text=True
    )
    assert again.returncode == 0 and "no unfinished batches" in again.stdout


def test_batches_issued_before_the_upgrade_are_complete_with_their_count(demo_url: str) -> None:
    from alembic import command

    from app.migrate import alembic_config

    cfg = alembic_config(demo_url)
    command.downgrade(cfg, "0003")
    command.upgrade(cfg, "head")
    db.get_engine().dispose()
    with db.get_sessionmaker()() as s:
        ids = list(s.scalars(select(CodeBatch.id)))
    assert ids  # the demo data set holds batches
    for batch_id in ids:
        row, stored, _ = _batch(batch_id)
        assert (row.status, row.issued, stored) == (
            BatchStatus.complete,
            row.quantity,
            row.quantity,
        )
        assert row.completed_at is not None
