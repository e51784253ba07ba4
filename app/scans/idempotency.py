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
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from app.errors import Conflict
from app.models import IdempotencyKey


def fingerprint(body: Any) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


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
    row = session.get(IdempotencyKey, (user_id, key))
    if row is not None:
        if row.request_hash != digest:
            raise Conflict("this Idempotency-Key was already used with a different body")
        return dict(row.response or {})
    response = compute()
    session.add(IdempotencyKey(user_id=user_id, key=key, request_hash=digest, response=response))
    session.flush()
    return response
