"""Public verify page benchmark: requests per second and p50/p99 latency of the page a consumer's
phone opens from a bottle's QR (`GET /01/{gtin}/21/{serial}?91=…&92=…`), as JSON and as HTML,
beside a bare FastAPI endpoint at the same path measured in the same run. Every request is a
genuine code's verification, so each one counts it and records a sighting (a write).

    .venv/bin/python -m bench.bench_verify                       # 3 runs of 10 s each form
    .venv/bin/python -m bench.bench_verify --runs 3 --seconds 3  # quick look
    DATABASE_URL=postgresql+psycopg://cg:cg@127.0.0.1/cg_bench \
        .venv/bin/python -m bench.bench_verify

The database named by DATABASE_URL (default: a new SQLite file in a temporary folder) is
migrated and filled; on PostgreSQL point it at a scratch database. The server runs with the
per-address limit lifted (CG_PUBLIC_VERIFY_PER_MINUTE): every request comes from 127.0.0.1.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import textwrap
from pathlib import Path
from urllib.parse import urlsplit

from bench.bench_scans import LAGER, keep_alive_load, start_pair

BARE_APP = textwrap.dedent("""
    from fastapi import FastAPI, Request
    from fastapi.responses import HTMLResponse, JSONResponse, Response

    app = FastAPI()

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/01/{gtin}/21/{serial}")
    def verify(gtin: str, serial: str, request: Request) -> Response:
        if "application/json" in request.headers.get("accept", ""):
            return JSONResponse({"genuine": True, "verifications": 0})
        return HTMLResponse("<!doctype html><html lang=zh-CN><h1>正品</h1></html>")
""")

FORMS = {"json": "application/json", "html": "text/html,application/xhtml+xml,*/*;q=0.8"}


def prepare(url: str, n_codes: int) -> list[str]:
    """Migrate, load the demo, issue bottle codes: the paths (with query) their QRs point at."""
    os.environ["DATABASE_URL"] = url
    from app.db import get_sessionmaker
    from app.demo import load_demo
    from app.migrate import upgrade_to_head

    upgrade_to_head(url)
    with get_sessionmaker()() as s, s.begin():
        load_demo(s)
    return issue_bottles(n_codes)


def issue_bottles(n_codes: int) -> list[str]:
    """Issue bottle codes into the current database: the paths (with query) their QRs open."""
    from app.codes import service as codes
    from app.codes.schemas import CodeBatchIn
    from app.config import get_settings
    from app.db import get_sessionmaker

    paths: list[str] = []
    left = n_codes
    while left > 0:
        q = min(left, codes.INLINE_LIMIT)  # the batch answer lists its codes up to this many
        with get_sessionmaker()() as s, s.begin():
            out = codes.issue_batch(
                s,
                data=CodeBatchIn(gtin=LAGER, region_code="370100", quantity=q, level="item"),
                settings=get_settings(),
                actor="bench",
            )
        assert out.codes is not None
        for code in out.codes:
            link = urlsplit(code.payload)
            paths.append(f"{link.path}?{link.query}")
        left -= q
    return paths


def load(
    base: str, paths: list[str], accept: str, clients: int, seconds: float
) -> tuple[float, float, float]:
    """p50 and p99 in ms, and requests/s, of verifications of random codes by `clients`
    keep-alive clients."""
    return keep_alive_load(
        base,
        clients,
        seconds,
        lambda: ("GET", random.choice(paths), None),
        {"Accept": accept},
        "verify",
    )


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--codes", type=int, default=5_000, help="bottle codes issued and verified")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=10.0, help="duration of each measurement")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--clients", type=int, default=16, help="concurrent phones")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="cg-bench-"))
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp / 'bench.db'}"
    paths = prepare(url, args.codes)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "CG_PHOTO_DIR": str(tmp / "photos"),
        "CG_PUBLIC_VERIFY_PER_MINUTE": "100000000",
    }
    app, bare, base, bare_base = start_pair(tmp, env, args.workers, BARE_APP)
    try:
        runs: dict[tuple[str, str], list[tuple[float, float, float]]] = {}
        for run in range(args.runs):
            line = []
            for form, accept in FORMS.items():
                for who, at in (("page", base), ("bare", bare_base)):
                    m = load(at, paths, accept, args.clients, args.seconds)
                    runs.setdefault((who, form), []).append(m)
                    line.append(f"{who} {form} {m[2]:,.0f} req/s p50/p99 {m[0]:.1f}/{m[1]:.1f} ms")
            print(f"run {run + 1}: " + "; ".join(line))
        med = statistics.median
        backend = url.split(":", 1)[0]
        print(
            f"\n== medians of {args.runs} runs of {args.seconds:g} s, {args.codes:,} bottle codes, "
            f"{backend}, {args.workers} worker(s), {args.clients} clients =="
        )
        for form in FORMS:
            p50, p99, rps = (med(x[i] for x in runs[("page", form)]) for i in range(3))
            b50, b99, brps = (med(x[i] for x in runs[("bare", form)]) for i in range(3))
            print(
                f"verify {form:<4}: {rps:>7,.0f} req/s  p50 {p50:6.1f} ms  p99 {p99:6.1f} ms   "
                f"bare {form}: {brps:>7,.0f} req/s  p50 {b50:6.1f} ms  p99 {b99:6.1f} ms   "
                f"throughput ratio {rps / brps:.2f}  p50 x{p50 / b50:.1f}  p99 x{p99 / b99:.1f}"
            )
    finally:
        app.terminate()
        bare.terminate()
        app.wait(10)
        bare.wait(10)


if __name__ == "__main__":
    main()
