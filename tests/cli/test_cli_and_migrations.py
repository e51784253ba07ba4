"""The command line works on a new database, and the migrations match the models."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from app.db import Base, make_engine
from app.migrate import alembic_config
from app.partitions.service import include_name

EXE = str(Path(sys.executable).parent / "channelguard")


def run(args: list[str], url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [EXE, *args],
        env={**os.environ, "DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_models_and_migrations_do_not_drift(db_url: str) -> None:
    engine = make_engine(db_url)
    with engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(
                conn, opts={"compare_type": True, "include_name": include_name}
            ),
            Base.metadata,
        )
    engine.dispose()
    assert diff == []


def test_downgrade_to_base_and_back(db_url: str) -> None:
    cfg = alembic_config(db_url)
    command.downgrade(cfg, "base")
    engine = create_engine(db_url)
    assert "region" not in inspect(engine).get_table_names()
    engine.dispose()
    command.upgrade(cfg, "head")
    engine = create_engine(db_url)
    assert {"region", "audit_entry", "app_user"} <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_users_create_prints_token_last_and_it_works(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"  # a brand-new database: the CLI migrates it first
    r = run(["users", "create", "--username", "ops", "--role", "hq_auditor"], url)
    assert r.returncode == 0, r.stderr
    token = r.stdout.strip().splitlines()[-1]
    assert token.startswith("cg_")
    listing = run(["users", "list"], url)
    assert "ops" in listing.stdout and "hq_auditor" in listing.stdout
    dup = run(["users", "create", "--username", "ops", "--role", "admin"], url)
    assert dup.returncode == 2 and "already exists" in dup.stdout
    bad = run(
        ["users", "create", "--username", "d1", "--role", "distributor", "--distributor", "NOPE"],
        url,
    )
    assert bad.returncode == 2 and "not found" in bad.stdout
    revoke = run(["users", "revoke", "ops"], url)
    assert revoke.returncode == 0 and "1 token(s) revoked" in revoke.stdout
    assert run(["audit", "verify"], url).returncode == 0


def test_demo_prints_a_token_per_role_and_can_run_twice(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    first = run(["demo"], url)
    assert first.returncode == 0, first.stderr
    roles = {line.split("\t")[0] for line in first.stdout.splitlines() if line.count("\t") == 2}
    assert roles == {
        "admin",
        "hq_auditor",
        "inspector",
        "distributor",
        "salesperson",
        "sub_customer",
    }
    second = run(["demo"], url)
    assert second.returncode == 0, second.stderr
