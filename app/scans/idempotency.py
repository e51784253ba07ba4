"""Idempotency-Key handling for scan uploads from flaky networks.

The key row is written in the same transaction as the scans, holding the response, so a crash
leaves neither. A retry with the same key and body gets the stored response; another body is
409. On PostgreSQL a transaction-scoped advisory lock on the key makes a duplicate that arrives
while the first is still being processed a 409 instead of a second run; SQLite serialises
writers, so there the duplicate waits and then replays."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select, text
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
    digest = fingerprint(body)
    if session.get_bind().dialect.name == "postgresql":
        got = session.scalar(
            text("SELECT pg_try_advisory_xact_lock(hashtextextended(:k, 0))"),
            {"k": f"{user_id}:{key}"},
        )
        if not got:
            raise Conflict("a request with this Idempotency-Key is still being processed; retry")
    stored = session.execute(
        select(IdempotencyKey.request_hash, IdempotencyKey.response).where(
            IdempotencyKey.user_id == user_id, IdempotencyKey.key == key
        )
    ).first()
    if stored is not None:
        if not same_body(stored.request_hash, body):
            raise Conflict("this Idempotency-Key was already used with a different body")
        return dict(stored.response or {})
    response = compute()
    # One Core insert, in the caller's transaction: no ORM object to track for a response
    # that is written once and never changed.
    session.execute(
        insert(table_of(IdempotencyKey)).values(
            user_id=user_id, key=key, request_hash=digest, response=response, created_at=utcnow()
        )
    )
    return response
