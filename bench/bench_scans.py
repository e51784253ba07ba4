"""Scan ingest benchmark: throughput of POST /api/v1/scans in batches of 500 with a million
registered codes, and single-scan latency under 32 concurrent clients, each beside a baseline
measured in the same run (the raw driver inserting the same rows into the same table, with
executemany and on PostgreSQL also COPY; a bare FastAPI endpoint).

    .venv/bin/python -m bench.bench_scans                 # full size: 1,000,000 codes
    .venv/bin/python -m bench.bench_scans --codes 50000 --runs 1   # quick look
    DATABASE_URL=postgresql+psycopg://cg:cg@127.0.0.1/cg_bench .venv/bin/python -m bench.bench_scans

The database named by DATABASE_URL (default: a new SQLite file in a temporary folder) is
migrated and filled; on PostgreSQL point it at a scratch database.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import httpx

ROOT = Path(__file__).resolve().parent.parent
LAGER = "06901234560015"


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prepare(url: str, n_codes: int) -> tuple[str, list[str]]:
    """Migrate, load the demo, issue the codes; returns an admin token and a sample of codes."""
    os.environ["DATABASE_URL"] = url
    from sqlalchemy import select

    from app.codes import service as codes
    from app.codes.schemas import CodeBatchIn
    from app.config import get_settings
    from app.db import get_sessionmaker
    from app.demo import load_demo
    from app.migrate import upgrade_to_head
    from app.models import Carton

    upgrade_to_head(url)
    with get_sessionmaker()() as s, s.begin():
        tokens = load_demo(s)
    t = time.perf_counter()
    left = n_codes
    while left > 0:
        q = min(left, 1_000_000)
        with get_sessionmaker()() as s, s.begin():
            codes.issue_batch(
                s,
                data=CodeBatchIn(gtin=LAGER, region_code="370100", quantity=q),
                settings=get_settings(),
                actor="bench",
            )
        left -= q
    dt = time.perf_counter() - t
    print(f"issued {n_codes:,} codes in {dt:.1f} s ({n_codes / dt:,.0f} codes/s)")
    with get_sessionmaker()() as s:
        rows = s.execute(select(Carton.serial, Carton.signature).limit(200_000)).all()
    sample = [f"(01){LAGER}(21){serial}(91)370100(92){sig}" for serial, sig in rows]
    return tokens["inspector"][1], sample


def start(cmd: list[str], port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return proc
        except httpx.TransportError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit(f"server on port {port} did not start")


def start_pair(
    tmp: Path, env: dict[str, str], workers: int, bare_app: str
) -> tuple[subprocess.Popen[bytes], subprocess.Popen[bytes], str, str]:
    """`channelguard serve` and a bare FastAPI app (`bare_app`, its source) with the same
    worker count, each on a free port: the service and its ceiling, measured in one run."""
    port, bare_port = free_port(), free_port()
    exe = str(Path(sys.executable).parent / "channelguard")
    app = start([exe, "serve", "--port", str(port), "--workers", str(workers)], port, env)
    (tmp / "bare_app.py").write_text(bare_app)
    bare = start(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "bare_app:app",
            "--port",
            str(bare_port),
            "--workers",
            str(workers),
            "--log-level",
            "warning",
            "--app-dir",
            str(tmp),
        ],
        bare_port,
        env,
    )
    return app, bare, f"http://127.0.0.1:{port}", f"http://127.0.0.1:{bare_port}"


BARE_APP = textwrap.dedent("""
    from fastapi import FastAPI
    from pydantic import BaseModel

    class Item(BaseModel):
        payload: str
        checkpoint_code: str | None = None
        scanned_at: str

    class Batch(BaseModel):
        scans: list[Item]

    app = FastAPI()

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/api/v1/scans")
    async def scans(body: Batch) -> dict[str, list[dict[str, str]]]:
        return {"results": [{"payload": s.payload, "verdict": "in_region"} for s in body.scans]}
""")


def batch(sample: list[str], size: int, at: datetime) -> dict[str, object]:
    where = ["JN-G2-N", "JN-G20-E", "LC-G3"]
    return {
        "scans": [
            {
                "payload": random.choice(sample),
                "checkpoint_code": random.choice(where),
                "scanned_at": (at + timedelta(seconds=i)).isoformat(),
            }
            for i in range(size)
        ]
    }


async def throughput(base: str, token: str, sample: list[str], batches: int, clients: int) -> float:
    """Scans per second through the API, `clients` uploaders sending 500-scan batches."""
    at = datetime.now(UTC) - timedelta(hours=1)
    bodies = [batch(sample, 500, at) for _ in range(batches)]
    queue: asyncio.Queue[dict[str, object]] = asyncio.Queue()
    for b in bodies:
        queue.put_nowait(b)

    async def worker(c: httpx.AsyncClient) -> None:
        while not queue.empty():
            body = queue.get_nowait()
            r = await c.post(
                "/api/v1/scans", json=body, headers={"Idempotency-Key": str(uuid.uuid4())}
            )
            r.raise_for_status()

    async with httpx.AsyncClient(
        base_url=base, timeout=300, headers={"Authorization": f"Bearer {token}"}
    ) as c:
        t = time.perf_counter()
        await asyncio.gather(*(worker(c) for _ in range(clients)))
        return batches * 500 / (time.perf_counter() - t)


def keep_alive_load(
    base: str,
    clients: int,
    seconds: float,
    next_request: Callable[[], tuple[str, str, str | None]],
    headers: dict[str, str],
    what: str,
) -> tuple[float, float, float]:
    """p50 and p99 in ms, and requests/s, of `clients` clients each sending `next_request()`'s
    (method, path, body) over and over for `seconds`.

    Each client is a thread with one keep-alive connection from the standard library: httpx's
    async pool, tried first, could not drive even a bare endpoint past ~150 requests/s here."""
    parts = urlsplit(base)
    stop = time.monotonic() + seconds

    def worker(_: int) -> list[float]:
        conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=60)
        out: list[float] = []
        while time.monotonic() < stop:
            method, path, body = next_request()
            t = time.perf_counter()
            conn.request(method, path, body=body, headers=headers)
            r = conn.getresponse()
            r.read()
            if r.status != 200:
                raise SystemExit(f"{what} request failed: {r.status}")
            out.append((time.perf_counter() - t) * 1000)
        conn.close()
        return out

    t = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        lat = [x for part in pool.map(worker, range(clients)) for x in part]
    elapsed = time.perf_counter() - t
    q = statistics.quantiles(lat, n=100)
    return q[49], q[98], len(lat) / elapsed


def latency(
    base: str, token: str, sample: list[str], clients: int, seconds: float
) -> tuple[float, float, float]:
    """p50 and p99 in ms of single-scan requests, and requests/s, under `clients` clients."""
    at = datetime.now(UTC) - timedelta(hours=1)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    return keep_alive_load(
        base,
        clients,
        seconds,
        lambda: ("POST", "/api/v1/scans", json.dumps(batch(sample, 1, at))),
        headers,
        "scan",
    )


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--codes", type=int, default=1_000_000)
    ap.add_argument("--batches", type=int, default=40, help="500-scan batches per throughput run")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=10.0, help="duration of each latency run")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--clients", type=int, default=32, help="concurrent single-scan clients")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="cg-bench-"))
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp / 'bench.db'}"
    token, sample = prepare(url, args.codes)
    env = {**os.environ, "DATABASE_URL": url, "CG_PHOTO_DIR": str(tmp / "photos")}
    app, bare, base, bare_base = start_pair(tmp, env, args.workers, BARE_APP)
    # The raw driver into the same table: the ceiling the issue's target is a share of.
    from bench.__main__ import raw_scan_insert

    pg = not url.startswith("sqlite")
    try:
        api_tp, ins_tp, copy_tp, lat_app, lat_bare = [], [], [], [], []
        for run in range(args.runs):
            api_tp.append(asyncio.run(throughput(base, token, sample, args.batches, 2)))
            ins_tp.append(raw_scan_insert(url, sample, args.batches))
            if pg:
                copy_tp.append(raw_scan_insert(url, sample, args.batches, copy=True))
            lat_app.append(latency(base, token, sample, args.clients, args.seconds))
            lat_bare.append(latency(bare_base, token, sample, args.clients, args.seconds))
            print(
                f"run {run + 1}: api {api_tp[-1]:,.0f} scans/s, "
                f"raw executemany {ins_tp[-1]:,.0f} rows/s, "
                + (f"raw COPY {copy_tp[-1]:,.0f} rows/s, " if pg else "")
                + f"api p50/p99 {lat_app[-1][0]:.1f}/{lat_app[-1][1]:.1f} ms, "
                f"bare endpoint p50/p99 {lat_bare[-1][0]:.1f}/{lat_bare[-1][1]:.1f} ms"
            )
        med = statistics.median
        a, b = med(api_tp), med(ins_tp)
        p50, p99, rps = (med(x[i] for x in lat_app) for i in range(3))
        b50, b99, brps = (med(x[i] for x in lat_bare) for i in range(3))
        backend = url.split(":", 1)[0]
        print(
            f"\n== medians of {args.runs} runs, {args.codes:,} codes, {backend}, "
            f"{args.workers} worker(s) =="
        )
        print(
            f"POST /api/v1/scans, 500/batch : {a:,.0f} scans/s   "
            f"raw executemany: {b:,.0f} rows/s   ratio {a / b:.2f}"
        )
        if pg:
            c = med(copy_tp)
            print(f"{'':32}raw COPY: {c:,.0f} rows/s   ratio {a / c:.2f}")
        print(
            f"single scan, {args.clients:>2} clients       : "
            f"p50 {p50:.1f} ms  p99 {p99:.1f} ms  {rps:,.0f} req/s"
        )
        print(
            f"bare FastAPI endpoint         : p50 {b50:.1f} ms  p99 {b99:.1f} ms  {brps:,.0f} req/s"
        )
        print(f"latency ratio api/bare        : p50 x{p50 / b50:.1f}  p99 x{p99 / b99:.1f}")
    finally:
        app.terminate()
        bare.terminate()


if __name__ == "__main__":
    main()
