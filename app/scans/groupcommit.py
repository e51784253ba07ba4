"""Group commit for single scans: requests that arrive within a few milliseconds of each other
are judged and written in one shared transaction, each answered with its own result.

A scanner at a gate sends one scan per request; thirty of them at once used to queue for the
database one transaction each. Here the request hands its scan to this process's committer
and awaits the answer on the event loop. The committer gathers what arrives within
`scan_group_window_ms`, judges the scans of one inspector together in one call (the per-call
cost of looking up regions, cartons and sightings is paid once), stores each request's
Idempotency-Key row with its own answer, and commits once.

Exactly-once holds as for a lone request: each key row is written in the shared transaction with
its response, so a crash between the commit and the answers leaves every scan stored once and a
retry replays its stored answer; a crash before the commit leaves nothing. One bad request does
not fail its neighbours: a request that raises is retried alone in its own savepoint, and if the
shared transaction itself cannot commit, each request is run again in a transaction of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from app import db
from app.auth.principal import Principal
from app.config import get_settings
from app.errors import Forbidden
from app.scans import idempotency, service
from app.scans.ingest import SCANNERS, ingest_batch
from app.scans.recognise import Item
from app.scans.schemas import ScanBatchOut, ScanIn
from rules.policy import load_policy


@dataclass(eq=False)
class Pending:
    """One request waiting for its answer."""

    principal: Principal
    key: str | None
    fingerprint: Any
    scans: Sequence[ScanIn]
    reply: dict[str, Any] | None = None
    """The answer as JSON (`ScanBatchOut`'s shape), as stored for a replay."""
    error: BaseException | None = None
    wake: Callable[[], None] | None = None
    """Called once the answer is in, from the committer's thread (an event loop's waiter)."""

    def settle(self, answer: dict[str, Any] | None, error: BaseException | None) -> None:
        self.reply, self.error = answer, error

    @property
    def answer(self) -> ScanBatchOut | None:
        """The answer as the model, for a reader that wants one."""
        return None if self.reply is None else ScanBatchOut.model_validate(self.reply)


class GroupCommitter:
    """This process's committer: its threads start on first use (in each uvicorn worker)."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[Pending] = queue.SimpleQueue()
        self._started = False
        self._lock = threading.Lock()

    async def submit(
        self, *, principal: Principal, key: str | None, fingerprint: Any, scans: Sequence[ScanIn]
    ) -> dict[str, Any]:
        """Judge these scans in the next shared transaction; the answer (JSON) once it
        committed. The request waits on the event loop for a future, not in a pool thread, so
        a scan costs no thread switch on its way in or out."""
        if principal.role not in SCANNERS:
            raise Forbidden("only inspectors and admin record scans")
        self._start()
        loop = asyncio.get_running_loop()
        answered: asyncio.Future[None] = loop.create_future()

        def wake() -> None:
            # Called on the committer's thread, which must outlive any one loop: a loop that
            # closed meanwhile (its server stopped) has nobody left to answer.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(_resolve, answered)

        pending = Pending(
            principal=principal, key=key, fingerprint=fingerprint, scans=scans, wake=wake
        )
        self._queue.put(pending)
        # A client that hangs up cancels only this wait: the scan is still judged and stored
        # once, and its retry with the same Idempotency-Key replays the answer.
        await asyncio.shield(answered)
        if pending.error is not None:
            raise pending.error
        assert pending.reply is not None
        return pending.reply

    def _start(self) -> None:
        with self._lock:
            if self._started:
                return
            # SQLite has one writer at a time anyway; PostgreSQL judges several groups at once.
            sqlite = db.get_engine().dialect.name == "sqlite"
            for n in range(1 if sqlite else get_settings().scan_group_threads):
                threading.Thread(
                    target=self._loop, name=f"scan-group-commit-{n}", daemon=True
                ).start()
            self._started = True

    def _loop(self) -> None:
        while True:
            group = [self._queue.get()]
            settings = get_settings()
            deadline = time.monotonic() + settings.scan_group_window_ms / 1000
            while len(group) < settings.scan_group_max:
                left = deadline - time.monotonic()
                try:
                    group.append(
                        self._queue.get(timeout=left) if left > 0 else self._queue.get_nowait()
                    )
                except queue.Empty:
                    break
            try:
                commit_group(group)
            except BaseException as exc:  # never leave a request waiting forever
                for p in group:
                    if p.reply is None and p.error is None:
                        p.settle(None, exc)
            finally:
                for p in group:
                    if p.wake is not None:
                        p.wake()


def _resolve(answered: asyncio.Future[None]) -> None:
    if not answered.done():  # a waiter whose client hung up was cancelled already
        answered.set_result(None)


def commit_group(group: list[Pending]) -> None:
    """Judge and store a group in one transaction; on a failed commit, each one alone."""
    try:
        with db.get_sessionmaker()() as session, session.begin():
            answers = judge(session, group)
    except Exception:
        for p in group:
            _alone_in_own_transaction(p)
        return
    for p, (answer, error) in zip(group, answers, strict=True):
        p.settle(answer, error)


Outcome = tuple[dict[str, Any] | None, BaseException | None]
"""A request's answer (JSON) or its error."""


def judge(session: Session, group: list[Pending]) -> list[Outcome]:
    """Each request's answer (or error), judged inside `session`'s open transaction."""
    out: dict[int, Outcome] = {}
    by_user: dict[int, list[tuple[int, Pending]]] = defaultdict(list)
    for i, p in enumerate(group):
        by_user[p.principal.user_id].append((i, p))
    for user_id, members in by_user.items():
        fresh, replays = _split(session, user_id, members)
        if fresh:
            try:
                with session.begin_nested():
                    out.update(_judge_together(session, user_id, fresh))
            except Exception:
                replays = fresh + replays  # undone: each alone below
        for i, p in sorted(replays, key=lambda m: m[0]):
            out[i] = _alone(session, p)
    return [out[i] for i in range(len(group))]


def _split(
    session: Session, user_id: int, members: list[tuple[int, Pending]]
) -> tuple[list[tuple[int, Pending]], list[tuple[int, Pending]]]:
    """New requests (judged together) and the rest, run alone after so that they replay or
    meet a 409 exactly as a lone request would: a key already stored, repeated in the group,
    or (PostgreSQL) still held by another transaction."""
    keys = list(dict.fromkeys(p.key for _, p in members if p.key is not None))
    # As run_once does for one key: the locks first, then the stored keys read under them.
    held = idempotency.claim(session, user_id, keys)
    stored = idempotency.stored(session, user_id, keys)
    fresh, rest = [], []
    seen: set[str] = set()
    for i, p in members:
        if p.key is not None and (p.key in seen or p.key in stored or p.key not in held):
            rest.append((i, p))
            continue
        if p.key is not None:
            seen.add(p.key)
        fresh.append((i, p))
    return fresh, rest


def _judge_together(
    session: Session, user_id: int, fresh: list[tuple[int, Pending]]
) -> dict[int, Outcome]:
    items: list[Item] = []
    spans: list[tuple[int, int]] = []
    for _, p in fresh:
        part = service.items_from(p.scans)
        spans.append((len(items), len(items) + len(part)))
        items.extend(part)
    results = service.ingest(
        session,
        items=items,
        user_id=user_id,
        settings=get_settings(),
        policy=load_policy(),
        source="api",
    )
    out: dict[int, Outcome] = {}
    keyed: list[tuple[str, Any, dict[str, Any]]] = []
    for (i, p), (a, b) in zip(fresh, spans, strict=True):
        answer = {"results": results[a:b]}
        if p.key is not None:
            keyed.append((p.key, p.fingerprint, answer))
        out[i] = (answer, None)
    # The rows run_once would write, written for the whole group in one statement.
    idempotency.store_many(session, user_id=user_id, answers=keyed)
    return out


def _alone(session: Session, p: Pending) -> Outcome:
    """One request in its own savepoint of the shared transaction."""
    try:
        with session.begin_nested():
            return _ingest(session, p), None
    except Exception as exc:
        return None, exc


def _alone_in_own_transaction(p: Pending) -> None:
    try:
        with db.get_sessionmaker()() as session, session.begin():
            answer = _ingest(session, p)
    except Exception as exc:
        p.settle(None, exc)
        return
    p.settle(answer, None)


def _ingest(session: Session, p: Pending) -> dict[str, Any]:
    return ingest_batch(
        session,
        principal=p.principal,
        key=p.key,
        fingerprint=p.fingerprint,
        items=lambda: service.items_from(p.scans),
        source="api",
        size=len(p.scans),
    )


committer = GroupCommitter()
"""This process's committer, shared by its request threads."""
