"""Engine, declarative base and the one-transaction-per-request session."""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, ClassVar

from fastapi import Depends
from sqlalchemy import DateTime, Engine, MetaData, Table, create_engine, event
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from app.config import get_settings

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware datetimes, stored in UTC on every backend (SQLite keeps no offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: store timezone-aware values only")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime()}


def utcnow() -> datetime:
    return datetime.now(UTC)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # Autocommit at the driver level so that we, not pysqlite, decide when a transaction begins.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA synchronous=NORMAL")
    # Read pages through a memory map: looking up a batch's cartons then costs no read call
    # per page, and another connection's commit does not empty it as it does the page cache.
    cur.execute("PRAGMA mmap_size=1073741824")
    cur.close()


READ_ONLY = "cg_read_only"
"""Execution option of read_only_session()'s connections."""


class SqliteWriteQueue:
    """Transactions take turns through a lock before BEGIN IMMEDIATE: a thread lock within the
    process, then (for a database file) an flock on `<file>-writelock` across processes.

    IMMEDIATE takes SQLite's write lock up front, so read-check-write sequences cannot
    interleave. Without the queue, threads and processes that find the lock taken poll for it
    with SQLite's busy handler, which sleeps up to 100 ms between tries: under 32 concurrent
    requests that turned a 4 ms transaction into seconds of waiting. The file lock extends the
    queue to every process on the file (`serve --workers N`, a CLI issuing codes beside it);
    the kernel drops it with a process that dies."""

    def __init__(self, lock_file: Path | None = None) -> None:
        self._lock = threading.Lock()
        self._lock_file = lock_file
        self._fd: int | None = None
        self._fd_pid = 0

    def begin(self, conn: Any) -> None:
        if conn.get_execution_options().get(READ_ONLY):
            # A plain (deferred) BEGIN: in WAL mode readers neither wait for the writer nor
            # hold it up, and read_only_session() never writes.
            conn.exec_driver_sql("BEGIN")
            return
        if not self._lock.acquire(timeout=30):
            raise TimeoutError("waited 30 s for the database: another transaction is stuck")
        conn.info["cg_write_lock"] = True
        try:
            self._lock_across_processes()
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            self.release(conn)
            raise

    def release(self, conn: Any) -> None:
        # A plain Lock, not an RLock: FastAPI may finish a request on another pool thread.
        if conn.info.pop("cg_write_lock", False):
            if self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
            self._lock.release()

    def _lock_across_processes(self) -> None:
        if self._lock_file is None:
            return
        if self._fd is None or self._fd_pid != os.getpid():
            # A forked worker opens its own descriptor: flock is per open file description.
            self._fd = os.open(self._lock_file, os.O_RDWR | os.O_CREAT, 0o600)
            self._fd_pid = os.getpid()
        deadline = time.monotonic() + 30
        pause = 0.0002
        while True:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise TimeoutError(
                        "waited 30 s for the database: another process's transaction is stuck"
                    ) from None
                time.sleep(pause)
                pause = min(pause * 2, 0.002)


def sqlite_file(url: str) -> Path | None:
    """The file a SQLite URL names (None for other databases and in-memory SQLite)."""
    parsed = make_url(url)
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    if database.startswith("file:"):
        return Path(database.removeprefix("file:").split("?", 1)[0])
    return Path(database)


def safe_url(url: str) -> str:
    """The URL with its password hidden, for messages."""
    return make_url(url).render_as_string(hide_password=True)


def make_engine(url: str) -> Engine:
    # hide_parameters: errors and logs name the statement, never the values (carton payloads,
    # token hashes) bound into it.
    if url.startswith("sqlite"):
        path = sqlite_file(url)
        if path is not None:
            # The default database lives in a per-user folder that may not exist yet.
            path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            hide_parameters=True,
        )
        queue = SqliteWriteQueue(
            path.with_name(path.name + "-writelock") if path is not None else None
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", queue.begin)
        event.listen(engine, "commit", queue.release)
        event.listen(engine, "rollback", queue.release)
        return engine
    return create_engine(
        url, pool_size=10, max_overflow=20, pool_pre_ping=True, hide_parameters=True
    )


@lru_cache
def get_engine() -> Engine:
    return make_engine(get_settings().database_url)


@lru_cache
def get_sessionmaker() -> sessionmaker[Session]:
    return sessionmaker(get_engine(), expire_on_commit=False)


def get_session() -> Iterator[Session]:
    """One transaction per request: commit when the handler returns, roll back if it raises."""
    with get_sessionmaker()() as session, session.begin():
        yield session


def read_only_session() -> Session:
    """A short session apart from the request's, for reads that must not wait: on SQLite its
    transaction is a deferred BEGIN outside the write queue, so it runs beside a writer instead
    of behind it. Only for reads whose answer stands alone (the bearer-token check); anything
    that reads in order to write belongs in the request's session."""
    return Session(get_engine().execution_options(**{READ_ONLY: True}), expire_on_commit=False)


DbSession = Annotated[Session, Depends(get_session, scope="function")]


def table_of(model: type[Base]) -> Table:
    """A model's Core table, for bulk inserts of complete rows without ORM bookkeeping."""
    table = model.__table__
    if not isinstance(table, Table):
        raise TypeError(f"{model.__name__} is not mapped to a table")
    return table
