"""Command-line issuing and batch-file import; the webhook outbox delivers with retries."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import uvicorn
from fastapi import FastAPI, Request, Response
from sqlalchemy import select, update

from app.db import get_sessionmaker
from app.models import WebhookDelivery
from app.waybills.webhooks import deliver_due
from tests.conftest import free_port
from tests.scans.conftest import LAGER, T0, World

EXE = str(Path(sys.executable).parent / "channelguard")


def run(args: list[str], url: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [EXE, *args],
        env={**os.environ, "DATABASE_URL": url},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_codes_issue_writes_every_code_once_and_import_never_counts_twice(
    demo_url: str, tmp_path: Path
) -> None:
    r = run(
        [
            "codes",
            "issue",
            "--gtin",
            LAGER,
            "--region",
            "370100",
            "--quantity",
            "6000",
            "--csv",
            "codes.csv",
        ],
        demo_url,
        tmp_path,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    rows = list(csv.DictReader((tmp_path / "codes.csv").open(encoding="utf-8")))
    assert len(rows) == 6000
    assert len({row["serial"] for row in rows}) == 6000
    assert all(row["region_code"] == "370100" for row in rows)
    bad = run(
        ["codes", "issue", "--gtin", "123", "--region", "370100", "--quantity", "1"],
        demo_url,
        tmp_path,
    )
    assert bad.returncode == 2
    batch = tmp_path / "reader.csv"
    batch.write_text(
        "".join(f"{row['element_string']},2026-11-21T10:00:00+08:00,LC-G3\n" for row in rows[:5])
        + "garbage,2026-11-21T10:00:00+08:00,LC-G3\n",
        encoding="utf-8",
    )
    first = run(["scans", "import", str(batch), "--user", "inspector"], demo_url, tmp_path)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "diversion 5" in first.stdout and "unreadable 1" in first.stdout
    again = run(["scans", "import", str(batch), "--user", "inspector"], demo_url, tmp_path)
    assert "imported before" in again.stdout and "nothing new" in again.stdout


def test_webhook_outbox_retries_until_delivered(world: World) -> None:
    calls: list[bytes] = []
    app = FastAPI()

    @app.post("/hook")
    async def hook(request: Request) -> Response:
        calls.append(await request.body())
        return Response(status_code=503 if len(calls) == 1 else 204)

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            pass
        r = world.api.patch(
            "admin",
            "/api/v1/distributors/D-370300-1",
            json={"webhook_url": f"http://127.0.0.1:{port}/hook"},
        )
        assert r.status_code == 200
        world.ship_the_spare("WB-ZB", "鲁C1", to="D-370200-2", route=["370300", "370200"])
        with httpx.Client() as http:
            first = deliver_due(get_sessionmaker(), client=http)
            assert (first.delivered, first.failed) == (0, 1)
            assert deliver_due(get_sessionmaker(), client=http).failed == 0  # not due yet: backoff
            with get_sessionmaker()() as s, s.begin():
                s.execute(update(WebhookDelivery).values(next_attempt_at=T0))
            second = deliver_due(get_sessionmaker(), client=http)
            assert (second.delivered, second.failed) == (1, 0)
        assert len(calls) == 2 and calls[0] == calls[1]
        assert b'"number": "WB-ZB"' in calls[1]
        with get_sessionmaker()() as s:
            d = s.scalars(select(WebhookDelivery)).one()
            assert (d.attempts, d.delivered_at is not None) == (2, True)
    finally:
        server.should_exit = True
        thread.join(5)
