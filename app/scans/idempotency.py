"""Idempotency-Key handling for scan uploads from flaky networks.

The key row is written in the same transaction as the scans, holding the response, so a crash
leaves neither. A retry with the same key and body gets the stored response; another body is
409. On PostgreSQL a transaction-scoped advisory lock on the key makes a duplicate that arrives
while the first is still being processed a 409 instead of a second run; SQLite serialises
writers, so there the duplicate waits and then replays."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, insert, select, text
from sqlalchemy.orm import Session

from app.db import table_of, utcnow
from app.errors import Conflict
from app.models import IdempotencyKey


@dataclass(frozen=True)
class Prehashed:
    """A request body already hashed in a canonical form of its own (pydantic's JSON of the
    validated model: the same for every spelling of the same body), which is far cheaper than
    sorting a dump of it. `legacy` gives the body as `fingerprint` hashed it before, so that a
    key stored by an earlier version still replays instead of meeting a 409."""

    digest: str
    legacy: Callable[[], Any]

    @classmethod
    def of_json(cls, canonical: bytes, legacy: Callable[[], Any]) -> Prehashed:
        return cls(hashlib.sha256(b"v2:" + canonical).hexdigest(), legacy)


def fingerprint(body: Any) -> str:
    if isinstance(body, Prehashed):
        return body.digest
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def same_body(stored_hash: str, body: Any) -> bool:
    """Whether a stored key's hash is this body's, in the current form or the earlier one."""
    if stored_hash == fingerprint(body):
        return True
    return isinstance(body, Prehashed) and stored_hash == fingerprint(body.legacy())


def claim(session: Session, user_id: int, keys: Sequence[str]) -> set[str]:
    """The keys this transaction may answer. On PostgreSQL, those whose transaction-scoped
    advisory lock it takes now (all in one statement): a key another transaction still holds
    is being processed there. SQLite serialises writers, so there every key is free."""
    if not keys or session.get_bind().dialect.name != "postgresql":
        return set(keys)
    rows = session.execute(
        text(
            "SELECT k FROM unnest(CAST(:ks AS text[])) AS k "
            "WHERE pg_try_advisory_xact_lock(hashtextextended(:u || ':' || k, 0))"
        ),
        {"ks": list(keys), "u": str(user_id)},
    )
    return {r[0] for r in rows}


def stored(session: Session, user_id: int, keys: Sequence[str]) -> dict[str, Row[Any]]:
    """The rows already stored under these keys (`request_hash`, `response`), by key."""
    if not keys:
        return {}
    rows = session.execute(
        select(IdempotencyKey.key, IdempotencyKey.request_hash, IdempotencyKey.response).where(
            IdempotencyKey.user_id == user_id, IdempotencyKey.key.in_(keys)
        )
    )
    return {r.key: r for r in rows}


def store_many(
    session: Session, *, user_id: int, answers: Sequence[tuple[str, Any, dict[str, Any]]]
) -> None:
    """Store each `(key, body, response)` for a replay, in the caller's transaction so that a
    crash leaves the key row and the work it answers for together or neither. One Core
    insert: no ORM object to track for a response that is written once and never changed."""
    if not answers:
        return
    now = utcnow()
    session.execute(
        insert(table_of(IdempotencyKey)),
        [
            {
                "user_id": user_id,
                "key": key,
                "request_hash": fingerprint(body),
                "response": response,
                "created_at": now,
            }
            for key, body, response in answers
        ],
    )


def run_once(
    session: Session,
    *,
    user_id: int,
    key: str | None,
    body: Any,
    compute: Callable[[], dict[str, Any]],
) -> dict[str, Any]:
    """The response for this key: computed now, or replayed from the first time. Without a
    key there is nothing to replay: the request is simply computed."""
    if key is None:
        return compute()
    if key not in claim(session, user_id, [key]):
        raise Conflict("a request with this Idempotency-Key is still being processed; retry")
    earlier = stored(session, user_id, [key]).get(key)
    if earlier is not None:
        if not same_body(earlier.request_hash, body):
            raise Conflict("this Idempotency-Key was already used with a different body")
        return dict(earlier.response or {})
    response = compute()
    store_many(session, user_id=user_id, answers=[(key, body, response)])
    return response
