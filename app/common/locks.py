"""Row locks that writers take in one order, so that concurrent writers queue, never deadlock."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from app.models import Carton

_CHUNK = 5000


def lock_cartons(session: Session, carton_ids: Iterable[int]) -> None:
    """Lock the cartons' rows in id order until the transaction ends (PostgreSQL; SQLite's
    writers are serialised already). Two batches touching one carton then queue, and the second
    sees what the first committed. NO KEY UPDATE: scans referencing a carton (KEY SHARE) pass."""
    if session.get_bind().dialect.name != "postgresql":
        return
    ids = sorted(set(carton_ids))
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        session.execute(
            select(Carton.id)
            .where(Carton.id.in_(chunk))
            .order_by(Carton.id)
            .with_for_update(key_share=True)
        ).all()


def lock_key(session: Session, scope: str, key: str) -> None:
    """A transaction lock on one business key (a distributor's deposit, a ledger period), for
    invariants no single row carries: writers of other keys do not wait (PostgreSQL; SQLite's
    writers are serialised already). Hash collisions only make two keys queue together."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock(hashtext(:scope), hashtext(:key))"),
            {"scope": scope, "key": key},
        )
