"""An audit entry: its canonical body and hash, and appending one in the caller's transaction."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from app.db import utcnow
from app.models import AuditEntry


def canonical(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def entry_body(entry: AuditEntry) -> bytes:
    """The entry's canonical bytes: what its hash and its Merkle leaf cover."""
    return canonical(
        {
            "seq": entry.seq,
            "at": entry.at.isoformat(timespec="microseconds"),
            "actor": entry.actor,
            "action": entry.action,
            "entity_type": entry.entity_type,
            "entity_key": entry.entity_key,
            "data": entry.data,
        }
    ).encode()


def entry_hash(entry: AuditEntry) -> str:
    return hashlib.sha256(entry_body(entry)).hexdigest()


def _next_seq(session: Session) -> int:
    if session.get_bind().dialect.name == "postgresql":
        return int(session.scalar(text("SELECT nextval('audit_entry_seq')")) or 0)
    # SQLite writers hold the database's write lock for their whole transaction.
    return int(session.scalar(select(func.coalesce(func.max(AuditEntry.seq), 0) + 1)) or 1)


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    entity_type: str,
    entity_key: str,
    data: dict[str, Any],
) -> AuditEntry:
    """Append one entry in the caller's transaction; no other writer is waited for."""
    data = json.loads(canonical(data))  # what is hashed is exactly what is stored
    entry = AuditEntry(
        seq=_next_seq(session),
        at=utcnow(),
        actor=actor,
        action=action,
        entity_type=entity_type,
        entity_key=entity_key,
        data=data,
    )
    entry.hash = entry_hash(entry)
    session.add(entry)
    session.flush()
    return entry


def change(
    session: Session,
    actor: str,
    action: str,
    key: str,
    data: dict[str, Any],
    *,
    entity_type: str | None = None,
) -> AuditEntry:
    """The audit line of one change to an entity, keyed by `key`: the action
    `<entity type>.<verb>` names the entity type unless `entity_type` says otherwise."""
    return record(
        session,
        actor=actor,
        action=action,
        entity_type=entity_type or action.partition(".")[0],
        entity_key=key,
        data=data,
    )
