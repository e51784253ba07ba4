"""Commands act on one well-defined database whatever folder they run from, say which one, and
commands that only read never create an empty one."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from app.auth import service as auth
from app.config import Settings, absolute_sqlite_url
from app.db import get_engine, get_sessionmaker
from app.demo import DEMO_SUB_CUSTOMER_USERS, DEMO_USERS
from app.errors import Unauthorized
from app.models import ApiToken
from tests.conftest import _reset_caches

EXE = str(Path(sys.executable).parent / "channelguard")


def run(args: list[str], *, cwd: Path, home: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """The CLI as a user runs it: no DATABASE_URL, so the default database is used."""
    base = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "XDG_DATA_HOME")}
    return subprocess.run(
        [EXE, *args],
        env={**base, "HOME": str(home), **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_default_database_is_the_same_from_any_folder(tmp_path: Path) -> None:
    home, here, there = tmp_path / "home", tmp_path / "a", tmp_path / "b" / "c"
    for d in (home, here, there):
        d.mkdir(parents=True)
    expected = home / ".local" / "share" / "channelguard" / "channelguard.db"

    # Nothing there yet: a read refuses with exit 2, names the file and creates nothing.
    missing = run(["audit", "verify"], cwd=here, home=home)
    assert missing.returncode == 2, missing.stdout + missing.stderr
    assert "no database" in missing.stderr and str(expected) in missing.stderr
    assert missing.stderr.splitlines()[0] == f"database: sqlite:///{expected}"
    assert not expected.exists() and list(here.iterdir()) == []
    assert run(["users", "list"], cwd=here, home=home).returncode == 2
    assert not expected.exists()

    created = run(["users", "create", "--username", "ops", "--role", "admin"], cwd=here, home=home)
    assert created.returncode == 0, created.stderr
    assert created.stderr.splitlines()[0] == f"database: sqlite:///{expected}"
    assert expected.exists() and list(here.iterdir()) == []

    # From another folder: the same database, with the user and its audit entries.
    listing = run(["users", "list"], cwd=there, home=home)
    assert listing.returncode == 0 and "ops" in listing.stdout
    verify = run(["audit", "verify"], cwd=there, home=home)
    assert verify.returncode == 0 and "intact: 2 entries" in verify.stdout
    assert list(there.iterdir()) == []

    # XDG_DATA_HOME moves it; a read there finds nothing and says so.
    xdg = tmp_path / "xdg"
    elsewhere = run(["audit", "verify"], cwd=there, home=home, XDG_DATA_HOME=str(xdg))
    assert elsewhere.returncode == 2 and str(xdg / "channelguard" / "channelguard.db") in (
        elsewhere.stderr
    )


def test_relative_sqlite_url_is_resolved_once_and_password_is_hidden(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert absolute_sqlite_url("sqlite:///x.db") == f"sqlite:///{tmp_path / 'x.db'}"
    assert absolute_sqlite_url("sqlite:///sub/../y.db") == f"sqlite:///{tmp_path / 'y.db'}"
    assert absolute_sqlite_url("sqlite:////abs/z.db") == "sqlite:////abs/z.db"
    assert absolute_sqlite_url("sqlite://") == "sqlite://"
    pg = "postgresql+psycopg://cg:secret@db/cg"
    assert absolute_sqlite_url(pg) == pg
    monkeypatch.setenv("DATABASE_URL", "sqlite:///rel.db")
    assert Settings().database_url == f"sqlite:///{tmp_path / 'rel.db'}"
    monkeypatch.delenv("DATABASE_URL")
    monkeypatch.setenv("CG_DATA_DIR", "data")
    assert Settings().database_url == f"sqlite:///{tmp_path / 'data' / 'channelguard.db'}"

    home = tmp_path / "home"
    home.mkdir()
    r = run(["audit", "verify"], cwd=tmp_path, home=home, DATABASE_URL=pg)
    # PostgreSQL is never "missing" up front; the line names it without its password.
    assert r.stderr.splitlines()[0] == "database: postgresql+psycopg://cg:***@db/cg"
    assert "secret" not in r.stdout + r.stderr


def test_demo_prints_whole_tokens_and_a_rerun_revokes_the_earlier_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    env = {"DATABASE_URL": url, "COLUMNS": "60"}  # a narrow terminal used to cut tokens

    def tokens_of(out: str) -> dict[str, str]:
        rows = [line.split("\t") for line in out.splitlines() if line.count("\t") == 2]
        return {user: token for _role, user, token in rows}

    first = run(["demo"], cwd=tmp_path, home=tmp_path, **env)
    assert first.returncode == 0, first.stderr
    assert "…" not in first.stdout
    old = tokens_of(first.stdout)
    expected = {u for u, *_ in DEMO_USERS} | {u for u, _ in DEMO_SUB_CUSTOMER_USERS}
    assert old.keys() == expected and all(len(t) == 46 for t in old.values())
    second = run(["demo"], cwd=tmp_path, home=tmp_path, **env)
    assert second.returncode == 0, second.stderr
    new = tokens_of(second.stdout)
    assert new.keys() == old.keys() and not set(new.values()) & set(old.values())

    monkeypatch.setenv("DATABASE_URL", url)
    _reset_caches()
    with get_sessionmaker()() as s:
        for user, token in new.items():
            assert auth.authenticate(s, token).username == user
        for token in old.values():
            with pytest.raises(Unauthorized):
                auth.authenticate(s, token)
        # Exactly one live token per demo user.
        live = s.scalars(select(ApiToken).where(ApiToken.revoked_at.is_(None))).all()
        assert len(live) == len(new)
    get_engine().dispose()
    _reset_caches()

    listing = run(["users", "list"], cwd=tmp_path, home=tmp_path, **env)
    assert "distributor D-370100-1" in listing.stdout
    assert "salesperson SP-370100" in listing.stdout
    assert "#" not in listing.stdout  # no internal ids


def test_demo_is_refused_in_production(tmp_path: Path) -> None:
    db = tmp_path / "prod.db"
    r = run(
        ["demo"],
        cwd=tmp_path,
        home=tmp_path,
        DATABASE_URL=f"sqlite:///{db}",
        CG_ENV="production",
        CG_SIGNING_KEYS="P1:" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVowMTIzNDU=",
        CG_WEBHOOK_SECRET="w" * 40,
        CG_LOG_SIGNING_KEY="bG9nLXNpZ25pbmcta2V5LWZvci10ZXN0cy0wMTIzNDU=",
    )
    assert r.returncode == 2, r.stdout + r.stderr
    assert "production" in r.stderr
    assert not db.exists()
