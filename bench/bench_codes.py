"""Codes issued per second into SQLite and PostgreSQL (signing + storing, as `channelguard codes
issue` does it), medians of several runs, with the bare cost of signing alone beside it.

    .venv/bin/python -m bench.bench_codes                         # 200,000 codes x 3 runs, SQLite
    .venv/bin/python -m bench.bench_codes --quantity 1000000 --runs 1
    CG_BENCH_POSTGRES_URL=postgresql+psycopg://cg:cg@127.0.0.1/cg \
        .venv/bin/python -m bench.bench_codes

With CG_BENCH_POSTGRES_URL, a scratch database is created there for the run and dropped after.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import tempfile
import time
import uuid
from pathlib import Path

LAGER = "06901234560015"


def signing_only(quantity: int) -> float:
    from app.codes import gs1
    from app.config import get_settings

    keys = get_settings().signing
    t = time.perf_counter()
    for _ in gs1.issue_codes(gtin=LAGER, region_code="370100", keys=keys, quantity=quantity):
        pass
    return quantity / (time.perf_counter() - t)


def issue_into(url: str, quantity: int) -> float:
    os.environ["DATABASE_URL"] = url
    from app import db
    from app.codes import service as codes
    from app.codes.schemas import CodeBatchIn
    from app.config import get_settings
    from app.demo import load_master_data
    from app.migrate import upgrade_to_head

    get_settings.cache_clear()
    db.get_engine.cache_clear()
    db.get_sessionmaker.cache_clear()
    upgrade_to_head(url)
    with db.get_sessionmaker()() as s, s.begin():
        load_master_data(s)
    t = time.perf_counter()
    with db.get_sessionmaker()() as s, s.begin():
        codes.issue_batch(
            s,
            data=CodeBatchIn(gtin=LAGER, region_code="370100", quantity=quantity),
            settings=get_settings(),
            actor="bench",
        )
    rate = quantity / (time.perf_counter() - t)
    db.get_engine().dispose()
    return rate


def scratch_pg(base: str) -> tuple[str, str]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"cg_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(base).set(database=name).render_as_string(hide_password=False), name


def drop_pg(base: str, name: str) -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--quantity", type=int, default=200_000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    pg = os.environ.get("CG_BENCH_POSTGRES_URL")
    results: dict[str, list[float]] = {"signing only": [], "sqlite": []}
    if pg:
        results["postgresql"] = []
    for run in range(args.runs):
        results["signing only"].append(signing_only(args.quantity))
        with tempfile.TemporaryDirectory() as tmp:
            results["sqlite"].append(issue_into(f"sqlite:///{Path(tmp) / 'c.db'}", args.quantity))
        if pg:
            url, name = scratch_pg(pg)
            try:
                results["postgresql"].append(issue_into(url, args.quantity))
            finally:
                drop_pg(pg, name)
        print(f"run {run + 1}: " + ", ".join(f"{k} {v[-1]:,.0f}/s" for k, v in results.items()))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\n== {args.quantity:,} codes per batch, medians of {args.runs} runs ==")
    base = statistics.median(results["signing only"])
    for name, values in results.items():
        m = statistics.median(values)
        print(f"{name:14s}: {m:>10,.0f} codes/s   ({m / base:.2f} of signing alone)")
    print(f"peak memory of this process: {peak_mb:,.0f} MB")


if __name__ == "__main__":
    main()
