"""Test databases are built by the real migrations, once per run, then copied for each test:
a file copy on SQLite, `CREATE DATABASE … TEMPLATE` on PostgreSQL. Set CG_TEST_DB=postgres and
CG_TEST_POSTGRES_URL to run the suite against PostgreSQL."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

import httpx
import pytest
from fastapi.testclient import TestClient
from hypothesis import settings as hypothesis_settings
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from app import db
from app.config import get_settings
from app.migrate import upgrade_to_head

# Shared CI machines are slow and noisy: a property test fails on a wrong answer, not on time.
hypothesis_settings.register_profile("channelguard", deadline=None)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "channelguard"))

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "tests" / "data"
BACKEND = os.environ.get("CG_TEST_DB", "sqlite")
PG_URL = os.environ.get("CG_TEST_POSTGRES_URL", "")


def _reset_caches() -> None:
    get_settings.cache_clear()
    db.get_engine.cache_clear()
    db.get_sessionmaker.cache_clear()


def _use(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    _reset_caches()


class Databases:
    """Makes migrated template databases and hands out fresh copies of them."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
        self.templates: dict[str, str] = {}
        self.created: list[str] = []
        if BACKEND == "postgres" and not PG_URL:
            raise RuntimeError("CG_TEST_DB=postgres needs CG_TEST_POSTGRES_URL")

    def _admin(self) -> object:
        return create_engine(PG_URL, isolation_level="AUTOCOMMIT")

    def template(self, name: str, build: object) -> str:
        """A template database called `name`, built once by `build(url)` after migrating."""
        if name in self.templates:
            return self.templates[name]
        url = self._new_url(f"tpl_{name}")
        _use(url)
        upgrade_to_head(url)
        if build is not None:
            build(url)  # type: ignore[operator]
        db.get_engine().dispose()
        self.templates[name] = url
        return url

    def _new_url(self, stem: str, template: str | None = None) -> str:
        if BACKEND == "sqlite":
            path = self.tmp / f"{stem}_{uuid.uuid4().hex[:8]}.db"
            if template:
                shutil.copyfile(make_url(template).database or "", path)
            return f"sqlite:///{path}"
        dbname = f"cg_{self.worker}_{stem}_{uuid.uuid4().hex[:8]}"
        engine = self._admin()
        with engine.connect() as conn:  # type: ignore[attr-defined]
            tpl = f' TEMPLATE "{make_url(template).database}"' if template else ""
            conn.execute(text(f'CREATE DATABASE "{dbname}"{tpl}'))
        engine.dispose()  # type: ignore[attr-defined]
        self.created.append(dbname)
        return make_url(PG_URL).set(database=dbname).render_as_string(hide_password=False)

    def copy(self, template_url: str) -> str:
        return self._new_url("t", template_url)

    def drop_all(self) -> None:
        if BACKEND != "postgres":
            return
        engine = self._admin()
        with engine.connect() as conn:  # type: ignore[attr-defined]
            for name in reversed(self.created):
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Databases]:
    dbs = Databases(tmp_path_factory.mktemp("db"))
    yield dbs
    dbs.drop_all()


DEMO_TOKENS: dict[str, str] = {}


def _build_demo(url: str) -> None:
    from app.demo import load_demo

    with db.get_sessionmaker()() as session, session.begin():
        for username, (_role, token) in load_demo(session).items():
            DEMO_TOKENS[username] = token


@pytest.fixture
def db_url(databases: Databases) -> Iterator[str]:
    """A fresh, migrated, empty database."""
    url = databases.copy(databases.template("blank", None))
    _use(url)
    yield url
    db.get_engine().dispose()


@pytest.fixture
def demo_url(databases: Databases) -> Iterator[str]:
    """A fresh database holding the demo data set; tokens in `tokens`."""
    url = databases.copy(databases.template("demo", _build_demo))
    _use(url)
    yield url
    db.get_engine().dispose()


@pytest.fixture
def tokens(demo_url: str) -> dict[str, str]:
    return dict(DEMO_TOKENS)


@pytest.fixture
def session(db_url: str) -> Iterator[Session]:
    """A session on an empty database, in a transaction the test may commit."""
    with db.get_sessionmaker()() as s, s.begin():
        yield s


@pytest.fixture
def demo_session(demo_url: str) -> Iterator[Session]:
    with db.get_sessionmaker()() as s, s.begin():
        yield s


@dataclass
class Api:
    """An in-process client that sends a role's token."""

    client: TestClient
    tokens: dict[str, str]

    def as_(self, user: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[user]}"} if user else {}

    def get(self, user: str | None, path: str, **kw: object) -> httpx.Response:
        return self.client.get(path, headers=self.as_(user), **kw)  # type: ignore[arg-type]

    def post(self, user: str | None, path: str, **kw: object) -> httpx.Response:
        return self.client.post(path, headers=self.as_(user), **kw)  # type: ignore[arg-type]

    def patch(self, user: str | None, path: str, **kw: object) -> httpx.Response:
        return self.client.patch(path, headers=self.as_(user), **kw)  # type: ignore[arg-type]


@pytest.fixture
def api(tokens: dict[str, str]) -> Iterator[Api]:
    from app.main import create_app

    with TestClient(create_app()) as client:
        yield Api(client, tokens)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveServer:
    base_url: str
    database_url: str
    tokens: dict[str, str]


class LiveClient:
    """The live server over real HTTP, sending a demo user's token or none. `prefix` goes before
    every path (the API's, or nothing for the public pages)."""

    prefix = "/api/v1"

    def __init__(self, server: LiveServer) -> None:
        self.server = server
        self.client = httpx.Client(base_url=server.base_url, timeout=30)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.close()

    def call(self, method: str, user: str | None, path: str, **kw: Any) -> httpx.Response:
        headers = dict(kw.pop("headers", {}))
        if user:
            headers["Authorization"] = f"Bearer {self.server.tokens[user]}"
        return self.client.request(method, f"{self.prefix}{path}", headers=headers, **kw)


@pytest.fixture(scope="module")
def live_server(databases: Databases) -> Iterator[LiveServer]:
    """`channelguard serve` in its own process, over real HTTP, on a copy of the demo database."""
    url = databases.copy(databases.template("demo", _build_demo))
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "CG_PHOTO_DIR": str(databases.tmp / "photos")}
    exe = Path(sys.executable).parent / "channelguard"
    # The server's output goes to a file, not a pipe: a pipe nobody reads fills up with access
    # lines during a long browser test and then blocks the server mid-request.
    log_path = databases.tmp / f"serve-{port}.log"
    log = log_path.open("wb")
    proc = subprocess.Popen(
        [str(exe), "serve", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    # Generous: a loaded 2-core machine can take tens of seconds to import and migrate.
    deadline = time.monotonic() + 120
    while True:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            proc.wait(10)
            log.close()
            out = log_path.read_text(encoding="utf-8", errors="replace")
            raise RuntimeError(f"channelguard serve did not start:\n{out}")
        time.sleep(0.1)
    try:
        yield LiveServer(base, url, dict(DEMO_TOKENS))
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        log.close()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests of real concurrency need PostgreSQL: on SQLite they are deselected (not skipped),
    so that a skip always means something is missing."""
    if BACKEND == "postgres":
        return
    keep = [item for item in items if item.get_closest_marker("postgres") is None]
    if len(keep) != len(items):
        config.hook.pytest_deselected(items=[i for i in items if i not in keep])
        items[:] = keep


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """With CG_TEST_NO_SKIPS=1 (the README's test command sets it), a skipped test fails:
    a missing browser, database or data file must never pass as a skip."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if report.skipped and os.environ.get("CG_TEST_NO_SKIPS") == "1":
        report.outcome = "failed"
        report.longrepr = f"skipped, which CG_TEST_NO_SKIPS=1 forbids: {report.longrepr}"
