"""Every benchmark in one command, each figure beside its baseline measured in the same run.

    .venv/bin/python -m bench              # default size, SQLite and PostgreSQL, medians of 3 runs
    .venv/bin/python -m bench --full       # 100,000 vs 10,000,000 codes (long)
    CG_BENCH_POSTGRES_URL=postgresql+psycopg://u:p@host/db .venv/bin/python -m bench  # elsewhere

Prints, per database: batch ingest (POST /api/v1/scans, 500 a batch) vs the raw driver inserting
the same rows into the same `scan` table (`executemany`; on PostgreSQL also `COPY`); single scans
under 32 clients vs a bare FastAPI endpoint; the large vs the small code population (batch
throughput and one-client verdict latency); code issuance vs the raw driver inserting the same
carton rows; the public verify page vs the bare endpoint. Then photo decoding (the service's
decoder stack vs zxing-cpp alone). PostgreSQL is CG_BENCH_POSTGRES_URL if set, else the machine's
own cluster started as `./scripts/test.sh` starts it (`--no-postgres` to leave it out); a scratch
database is created there for each population and dropped after.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench import bench_codes, bench_decode, bench_scans, bench_verify

BARE_APP = bench_scans.BARE_APP + textwrap.dedent("""
    from fastapi import Request
    from fastapi.responses import HTMLResponse, JSONResponse, Response

    @app.get("/01/{gtin}/21/{serial}")
    def verify(gtin: str, serial: str, request: Request) -> Response:
        if "application/json" in request.headers.get("accept", ""):
            return JSONResponse({"genuine": True, "verifications": 0})
        return HTMLResponse("<!doctype html><html lang=zh-CN><h1>正品</h1></html>")
""")

SCAN_COLUMNS = (
    "scanned_at, received_at, payload, serial, carton_id, checkpoint_id, region_id, lat, lon, "
    "user_id, source, verdict, rule, policy_version, findings"
)

_step = 0
_started = time.monotonic()


def progress(what: str) -> None:
    global _step
    _step += 1
    print(f"[{time.monotonic() - _started:5.0f} s] step {_step}: {what}", flush=True)


def use(url: str) -> None:
    """Point this process's settings and engine at `url`."""
    from app import db
    from app.config import get_settings

    os.environ["DATABASE_URL"] = url
    get_settings.cache_clear()
    db.get_engine.cache_clear()
    db.get_sessionmaker.cache_clear()


def dispose() -> None:
    from app import db

    db.get_engine().dispose()


def driver(url: str) -> Any:
    """A plain DB-API connection (sqlite3 or psycopg), outside SQLAlchemy, autocommit off."""
    from sqlalchemy.engine import make_url

    from app.db import sqlite_file

    path = sqlite_file(url)
    if path is not None:
        import sqlite3

        conn = sqlite3.connect(path, isolation_level=None, timeout=30)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA synchronous=NORMAL")
        return conn
    import psycopg

    u = make_url(url)
    return psycopg.connect(
        host=u.host, port=u.port, user=u.username, password=u.password, dbname=u.database
    )


def raw_scan_insert(url: str, sample: list[str], batches: int, copy: bool = False) -> float:
    """Rows/s of the raw driver inserting scan rows like the API's into `scan`, 500 a commit."""
    import random

    from sqlalchemy import select

    from app.db import get_sessionmaker
    from app.models import Carton, Checkpoint, User

    with get_sessionmaker()() as s:
        uid = s.scalar(select(User.id).where(User.username == "inspector"))
        cp = s.scalar(select(Checkpoint).where(Checkpoint.code == "JN-G2-N"))
        ids = s.scalars(select(Carton.id).limit(len(sample))).all()
    assert cp is not None
    sqlite = url.startswith("sqlite")
    at = datetime.now(UTC) - timedelta(hours=1)
    stamp: Any = at.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f") if sqlite else at
    conn = driver(url)
    mark = "?" if sqlite else "%s"
    sql = f"INSERT INTO scan ({SCAN_COLUMNS}) VALUES ({', '.join([mark] * 15)})"
    t = time.perf_counter()
    for _ in range(batches):
        rows = [
            (
                stamp,
                stamp,
                random.choice(sample),
                "X",
                random.choice(ids),
                cp.id,
                cp.region_id,
                cp.lat,
                cp.lon,
                uid,
                "bench",
                "in_region",
                "inside_territory",
                "bench",
                "[]",
            )
            for _ in range(500)
        ]
        if sqlite:
            conn.execute("BEGIN")
            conn.executemany(sql, rows)
            conn.execute("COMMIT")
        elif copy:
            with conn.cursor() as cur, cur.copy(f"COPY scan ({SCAN_COLUMNS}) FROM STDIN") as cp_:
                for row in rows:
                    cp_.write_row(row)
            conn.commit()
        else:
            with conn.cursor() as cur:
                cur.executemany(sql, rows)
            conn.commit()
    rate = batches * 500 / (time.perf_counter() - t)
    conn.close()
    return rate


def raw_carton_copy(url: str) -> tuple[int, float]:
    """Rows/s of the raw driver inserting a copy of every carton row (new serials) into
    `carton`, one transaction, as the issuance did: (rows, rate)."""
    sqlite = url.startswith("sqlite")
    conn = driver(url)
    cur = conn.cursor()
    cur.execute("SELECT * FROM carton")
    names = [d[0] for d in cur.description]
    rows = [list(r) for r in cur.fetchall()]
    cur.close()
    if not sqlite:
        conn.rollback()
    ci, si = names.index("id"), names.index("serial")
    cols = [n for n in names if n != "id"]
    out = [
        tuple("x" + str(v)[1:] if j == si else v for j, v in enumerate(r) if j != ci) for r in rows
    ]
    mark = "?" if sqlite else "%s"
    sql = f"INSERT INTO carton ({', '.join(cols)}) VALUES ({', '.join([mark] * len(cols))})"
    t = time.perf_counter()
    if sqlite:
        conn.execute("BEGIN")
        conn.executemany(sql, out)
        conn.execute("COMMIT")
    else:
        with conn.cursor() as c2, c2.copy(f"COPY carton ({', '.join(cols)}) FROM STDIN") as cp_:
            for row in out:
                cp_.write_row(row)
        conn.commit()
    rate = len(out) / (time.perf_counter() - t)
    conn.close()
    return len(out), rate


def one_client(base: str, token: str, sample: list[str], seconds: float) -> float:
    """Median ms of a single scan's verdict, one client after another (no queueing)."""
    return bench_scans.latency(base, token, sample, 1, seconds)[0]


class Scratch:
    """Databases of this run: SQLite files in a temporary folder, or scratch PostgreSQL ones."""

    def __init__(self, pg: str | None, tmp: Path) -> None:
        self.pg, self.tmp, self.names = pg, tmp, []  # type: ignore[var-annotated]
        self.count = 0

    def new(self) -> str:
        self.count += 1
        if self.pg is None:
            return f"sqlite:///{self.tmp / f'bench{self.count}.db'}"
        url, name = bench_codes.scratch_pg(self.pg)
        self.names.append(name)
        return url

    def drop_all(self) -> None:
        dispose()
        for name in self.names:
            assert self.pg is not None
            bench_codes.drop_pg(self.pg, name)


def cpu_seconds(pid: int) -> float:
    """CPU time of a server and its worker processes so far (Linux /proc): what a request
    costs the server, which a busy machine's other jobs do not change as they change req/s."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(stat.parent.name) == pid or int(fields[1]) == pid:
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def with_cpu(
    pid: int, base: str, token: str, sample: list[str], args: argparse.Namespace
) -> tuple[float, float, float, float]:
    """Single-scan p50, p99 (ms), req/s under `args.clients` clients, and server CPU ms a
    request."""
    before, started = cpu_seconds(pid), time.perf_counter()
    p50, p99, rps = bench_scans.latency(base, token, sample, args.clients, args.seconds)
    spent, elapsed = cpu_seconds(pid) - before, time.perf_counter() - started
    return p50, p99, rps, 1000 * spent / max(1.0, rps * elapsed)


def local_postgres() -> str | None:
    """The machine's own PostgreSQL cluster, as the test suite uses it; None where there is none."""
    script = Path(__file__).resolve().parent.parent / "scripts" / "postgres.sh"
    if not Path("/usr/lib/postgresql").is_dir() or not script.is_file():
        return None
    try:
        out = subprocess.run(
            ["bash", str(script)], capture_output=True, text=True, timeout=120, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return None
    lines = out.stdout.strip().splitlines()
    return lines[-1] if lines and lines[-1].startswith("postgresql") else None


def med(values: list[float]) -> float:
    return statistics.median(values)


def line(label: str, value: str, base_label: str, base: str, ratio: float) -> None:
    print(f"  {label:<34} {value:>18}   {base_label:<28} {base:>18}   ratio {ratio:5.2f}")


def bench_database(args: argparse.Namespace, pg: str | None, tmp: Path) -> None:
    backend = "postgresql" if pg else "sqlite"
    scratch = Scratch(pg, tmp / backend)
    (tmp / backend).mkdir(exist_ok=True)
    procs: list[subprocess.Popen[bytes]] = []
    try:
        small, large = scratch.new(), scratch.new()
        progress(f"{backend}: migrate, demo, {args.codes:,} carton codes, bottle codes")
        use(small)
        token, sample = bench_scans.prepare(small, args.codes)
        bottles = bench_verify.issue_bottles(args.bottles)
        dispose()
        progress(f"{backend}: migrate, demo, {args.large:,} carton codes (the large population)")
        use(large)
        big_token, big_sample = bench_scans.prepare(large, args.large)
        dispose()
        use(small)
        env = {
            **os.environ,
            "DATABASE_URL": small,
            "CG_PHOTO_DIR": str(tmp / "photos"),
            "CG_PUBLIC_VERIFY_PER_MINUTE": "100000000",
        }
        progress(f"{backend}: start the service and its bare twin ({args.workers} worker(s))")
        app, bare, base, bare_base = bench_scans.start_pair(tmp, env, args.workers, BARE_APP)
        procs += [app, bare]
        port = bench_scans.free_port()
        exe = str(Path(sys.executable).parent / "channelguard")
        procs.append(
            bench_scans.start(
                [exe, "serve", "--port", str(port), "--workers", str(args.workers)],
                port,
                {**env, "DATABASE_URL": large},
            )
        )
        big_base = f"http://127.0.0.1:{port}"
        m: dict[str, list[Any]] = {}

        def measure(name: str, fn: Callable[[], Any]) -> None:
            m.setdefault(name, []).append(fn())

        for run in range(1, args.runs + 1):
            progress(f"{backend} run {run}/{args.runs}: batch ingest vs raw driver insert")
            measure(
                "api",
                lambda: asyncio.run(bench_scans.throughput(base, token, sample, args.batches, 2)),
            )
            measure("many", lambda: raw_scan_insert(small, sample, args.batches))
            if pg:
                measure("copy", lambda: raw_scan_insert(small, sample, args.batches, copy=True))
            progress(f"{backend} run {run}/{args.runs}: single scans, {args.clients} clients")
            measure("single", lambda: with_cpu(app.pid, base, token, sample, args))
            measure("single_bare", lambda: with_cpu(bare.pid, bare_base, token, sample, args))
            progress(f"{backend} run {run}/{args.runs}: {args.large:,} vs {args.codes:,} codes")
            measure(
                "big_api",
                lambda: asyncio.run(
                    bench_scans.throughput(big_base, big_token, big_sample, args.batches, 2)
                ),
            )
            measure("one", lambda: one_client(base, token, sample, args.seconds / 2))
            measure(
                "big_one", lambda: one_client(big_base, big_token, big_sample, args.seconds / 2)
            )
            progress(f"{backend} run {run}/{args.runs}: public verify page vs bare endpoint")
            for form, accept in bench_verify.FORMS.items():
                measure(
                    f"verify_{form}",
                    lambda a=accept: bench_verify.load(base, bottles, a, 16, args.seconds / 2),
                )
                measure(
                    f"verify_{form}_bare",
                    lambda a=accept: bench_verify.load(bare_base, bottles, a, 16, args.seconds / 2),
                )
            progress(f"{backend} run {run}/{args.runs}: code issuance vs raw insert")
            url = scratch.new()
            measure("issue", lambda u=url: bench_codes.issue_into(u, args.issue))
            measure("issue_raw", lambda u=url: raw_carton_copy(u)[1])
            use(small)
        dispose()
        print(
            f"\n== {backend}: medians of {args.runs} runs, {args.workers} worker(s); "
            f"small {args.codes:,} codes, large {args.large:,} ==",
            flush=True,
        )
        api = med(m["api"])
        line(
            "POST /api/v1/scans, 500 a batch",
            f"{api:,.0f} scans/s",
            "raw driver executemany",
            f"{med(m['many']):,.0f} rows/s",
            api / med(m["many"]),
        )
        if pg:
            line(
                "",
                "",
                "raw driver COPY",
                f"{med(m['copy']):,.0f} rows/s",
                api / med(m["copy"]),
            )
        p50, p99, rps = (med([x[i] for x in m["single"]]) for i in range(3))
        b50, b99, brps = (med([x[i] for x in m["single_bare"]]) for i in range(3))
        line(
            f"single scans, {args.clients} clients",
            f"{rps:,.0f} req/s",
            "bare FastAPI endpoint",
            f"{brps:,.0f} req/s",
            rps / brps,
        )
        line("  p50", f"{p50:.1f} ms", "  p50", f"{b50:.1f} ms", p50 / b50)
        line("  p99", f"{p99:.1f} ms", "  p99", f"{b99:.1f} ms", p99 / b99)
        cpu, bcpu = med([x[3] for x in m["single"]]), med([x[3] for x in m["single_bare"]])
        line("  server CPU per request", f"{cpu:.2f} ms", "  same", f"{bcpu:.2f} ms", cpu / bcpu)
        big = med(m["big_api"])
        line(
            f"batch ingest, {args.large:,} codes",
            f"{big:,.0f} scans/s",
            f"same, {args.codes:,} codes",
            f"{api:,.0f} scans/s",
            big / api,
        )
        one, big_one = med(m["one"]), med(m["big_one"])
        line(
            f"verdict p50, 1 client, {args.large:,}",
            f"{big_one:.1f} ms",
            f"same, {args.codes:,} codes",
            f"{one:.1f} ms",
            big_one / one,
        )
        for form in bench_verify.FORMS:
            v = med([x[2] for x in m[f"verify_{form}"]])
            vb = med([x[2] for x in m[f"verify_{form}_bare"]])
            v99 = med([x[1] for x in m[f"verify_{form}"]])
            vb99 = med([x[1] for x in m[f"verify_{form}_bare"]])
            line(
                f"verify page ({form}), 16 clients",
                f"{v:,.0f} req/s",
                "bare FastAPI endpoint",
                f"{vb:,.0f} req/s",
                v / vb,
            )
            line("  p99", f"{v99:.1f} ms", "  p99", f"{vb99:.1f} ms", v99 / vb99)
        iss, raw = med(m["issue"]), med(m["issue_raw"])
        line(
            f"code issuance, {args.issue:,} codes",
            f"{iss:,.0f} codes/s",
            "raw driver insert, same rows" if not pg else "raw driver COPY, same rows",
            f"{raw:,.0f} rows/s",
            iss / raw,
        )
        print(flush=True)
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(10)
        scratch.drop_all()


def bench_photos(runs: int) -> None:
    samples = list(bench_decode.corpus())
    stack: list[float] = []
    zxing: list[float] = []
    for run in range(1, runs + 1):
        progress(f"photo decode run {run}/{runs}: {len(samples)} corpus images")
        for name, fn, out in (
            ("stack", bench_decode.decode_grayscale, stack),
            ("zxing", bench_decode.zxing_symbols, zxing),
        ):
            scores = bench_decode.score(samples, fn)
            out.append(1000 * med([t for s in scores.values() for t in s.seconds]))
            del name
    print(f"\n== photo decode: medians of {runs} runs, {len(samples)} images ==")
    s, z = med(stack), med(zxing)
    line("decoder stack, median per image", f"{s:.1f} ms", "zxing-cpp alone", f"{z:.1f} ms", s / z)


def main() -> None:
    ap = argparse.ArgumentParser(
        prog="python -m bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument("--runs", type=int, default=3, help="medians of this many runs")
    ap.add_argument("--codes", type=int, default=None, help="small population (100,000)")
    ap.add_argument("--large", type=int, default=None, help="large population (500,000)")
    ap.add_argument("--full", action="store_true", help="100,000 vs 10,000,000 codes, 10 s runs")
    ap.add_argument("--batches", type=int, default=20, help="500-scan batches per ingest run")
    ap.add_argument("--seconds", type=float, default=None, help="duration of a latency run (4)")
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--bottles", type=int, default=2_000, help="bottle codes to verify")
    ap.add_argument("--issue", type=int, default=50_000, help="codes per issuance run")
    ap.add_argument("--skip-sqlite", action="store_true", help="PostgreSQL only")
    ap.add_argument("--skip-photos", action="store_true", help="no photo decoding")
    ap.add_argument("--no-postgres", action="store_true", help="SQLite only")
    args = ap.parse_args()
    args.codes = args.codes or 100_000
    args.large = args.large or (10_000_000 if args.full else 500_000)
    args.seconds = args.seconds or (10.0 if args.full else 4.0)
    pg = None if args.no_postgres else os.environ.get("CG_BENCH_POSTGRES_URL") or local_postgres()
    tmp = Path(tempfile.mkdtemp(prefix="cg-bench-"))
    print(
        json.dumps(vars(args)) + (" + postgresql" if pg else ""),
        flush=True,
    )
    if not args.skip_sqlite:
        bench_database(args, None, tmp)
    if pg:
        bench_database(args, pg, tmp)
    elif not args.no_postgres:
        print("\npostgresql: not measured (no local cluster; set CG_BENCH_POSTGRES_URL)")
    if not args.skip_photos:
        bench_photos(args.runs)
    print(f"\ntotal {time.monotonic() - _started:.0f} s")


if __name__ == "__main__":
    main()
