"""Two app servers on one database (one of them with two worker processes), over real HTTP on
loopback: the same scans with the same Idempotency-Keys sent to both at once are stored once,
and every answer for a key is the one stored."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import DEMO_TOKENS, Databases, _build_demo, free_port

LAGER = "06901234560015"


def _serve(url: str, tmp: Path, workers: int) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "CG_PHOTO_DIR": str(tmp / "photos")}
    exe = Path(sys.executable).parent / "channelguard"
    cmd = [str(exe), "serve", "--port", str(port), "--workers", str(workers)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return proc, f"http://127.0.0.1:{port}"


def _wait(proc: subprocess.Popen[bytes], base: str) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if proc.poll() is not None:
            break
        time.sleep(0.2)
    raise RuntimeError(f"channelguard serve at {base} did not start")


@pytest.fixture(scope="module")
def two_servers(databases: Databases) -> Iterator[tuple[str, str]]:
    url = databases.copy(databases.template("demo", _build_demo))
    a = _serve(url, databases.tmp, workers=2)
    b = _serve(url, databases.tmp, workers=1)
    try:
        _wait(*a)
        _wait(*b)
        yield a[1], b[1]
    finally:
        for proc, _ in (a, b):
            proc.terminate()
        for proc, _ in (a, b):
            proc.wait(15)


def test_the_same_scans_sent_to_two_servers_at_once_are_stored_once(
    two_servers: tuple[str, str],
) -> None:
    base_a, base_b = two_servers
    admin = {"Authorization": f"Bearer {DEMO_TOKENS['admin']}"}
    inspector = {"Authorization": f"Bearer {DEMO_TOKENS['inspector']}"}
    r = httpx.post(
        f"{base_a}/api/v1/code-batches",
        json={"gtin": LAGER, "region_code": "370100", "quantity": 12},
        headers=admin,
        timeout=60,
    )
    assert r.status_code == 201, r.text
    cartons = r.json()["codes"]
    at = datetime.now(UTC) - timedelta(hours=1)
    # Each carton once, under one key, to both servers, twice each; singles and pairs, so that
    # group commit and ordinary batches meet; Liaocheng for half of them (a violation opens).
    jobs: list[tuple[str, dict[str, Any]]] = []
    for i in range(0, len(cartons), 3):
        key = uuid.uuid4().hex
        where = "LC-G3" if i % 2 else "JN-G2-N"
        scans = [
            {
                "payload": c["payload"],
                "checkpoint_code": where,
                "scanned_at": (at + timedelta(seconds=j)).isoformat(),
            }
            for j, c in enumerate(cartons[i : i + (1 if i % 2 else 3)])
        ]
        jobs.append((key, {"scans": scans}))
    for k in range(len(cartons) - 3, len(cartons)):
        key = uuid.uuid4().hex
        scans = [
            {
                "payload": cartons[k]["payload"],
                "checkpoint_code": "LC-G3",
                "scanned_at": at.isoformat(),
            }
        ]
        jobs.append((key, {"scans": scans}))
    sends = [(base, key, body) for key, body in jobs for base in (base_a, base_b, base_b, base_a)]
    start = threading.Barrier(len(sends))

    def send(call: tuple[str, str, dict[str, Any]]) -> tuple[str, dict[str, Any]]:
        base, key, body = call
        headers = {**inspector, "Idempotency-Key": key}
        with httpx.Client(base_url=base, timeout=60) as c:
            start.wait()
            for _ in range(50):
                r = c.post("/api/v1/scans", json=body, headers=headers)
                # A duplicate arriving while the first is in flight (PostgreSQL) is told to retry.
                if r.status_code == 409 and "still being processed" in r.text:
                    time.sleep(0.1)
                    continue
                assert r.status_code == 200, r.text
                return key, r.json()
        raise AssertionError("still 409 after 50 retries")

    with ThreadPoolExecutor(len(sends)) as pool:
        answers = list(pool.map(send, sends))
    by_key: dict[str, list[dict[str, Any]]] = {}
    for key, answer in answers:
        by_key.setdefault(key, []).append(answer)
    assert len(by_key) == len(jobs)
    for key, seen in by_key.items():
        assert all(a == seen[0] for a in seen), f"answers for {key} differ"
    verdict_of: dict[str, list[str]] = {}
    for seen in by_key.values():
        for res in seen[0]["results"]:
            verdict_of.setdefault(res["serial"], []).append(res["verdict"])
    auditor = {"Authorization": f"Bearer {DEMO_TOKENS['auditor']}"}
    for c in cartons:
        r = httpx.get(f"{base_b}/api/v1/cartons/{c['serial']}", headers=auditor, timeout=30)
        assert r.status_code == 200, r.text
        stored = r.json()["scans"]
        answered = verdict_of.get(c["serial"], [])
        assert len(stored) == len(answered), c["serial"]
        assert sorted(s["verdict"] for s in stored) == sorted(answered)


def test_a_sqlite_transaction_holds_the_write_lock_across_processes(tmp_path: Path) -> None:
    """While one process is in a transaction, another finds `<file>-writelock` taken, and takes
    it the moment the first commits (rather than polling SQLite's busy handler)."""
    from sqlalchemy import text

    from app.db import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'cg.db'}")
    probe = (
        "import fcntl, os, sys\n"
        "fd = os.open(sys.argv[1], os.O_RDWR)\n"
        "try:\n"
        "    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)\n"
        "    print('free')\n"
        "except BlockingIOError:\n"
        "    print('held')\n"
    )
    lock = str(tmp_path / "cg.db-writelock")

    def other_process() -> str:
        out = subprocess.run([sys.executable, "-c", probe, lock], capture_output=True, text=True)
        return out.stdout.strip()

    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
        assert other_process() == "held"
        conn.commit()
    assert other_process() == "free"
    engine.dispose()
