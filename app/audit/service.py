"""The tamper-evident audit log: a hash chain appended in the same transaction as the change."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from app.db import utcnow
from app.models import AuditEntry

GENESIS = "0" * 64
# Any constant works: it only has to be the same for every writer of the chain.
_CHAIN_LOCK = 0x43474155


def canonical(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def entry_hash(entry: AuditEntry) -> str:
    """SHA-256 over the entry's canonical JSON, its previous hash included."""
    body = canonical(
        {
            "seq": entry.seq,
            "at": entry.at.isoformat(timespec="microseconds"),
            "actor": entry.actor,
            "action": entry.action,
            "entity_type": entry.entity_type,
            "entity_key": entry.entity_key,
            "data": entry.data,
            "prev_hash": entry.prev_hash,
        }
    )
    return hashlib.sha256(body.encode()).hexdigest()


def lock_chain(session: Session) -> None:
    """Take the chain's writer lock now (PostgreSQL; SQLite writers are already serialised).

    Writers that also lock rows take this first, so every writer acquires locks in one order."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _CHAIN_LOCK})


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    entity_type: str,
    entity_key: str,
    data: dict[str, Any],
) -> AuditEntry:
    """Append one entry to the chain, serialised across writers, in the caller's transaction."""
    lock_chain(session)
    last = session.execute(
        select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)
    ).first()
    seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
    data = json.loads(canonical(data))  # what is hashed is exactly what is stored
    entry = AuditEntry(
        seq=seq,
        at=utcnow(),
        actor=actor,
        action=action,
        entity_type=entity_type,
        entity_key=entity_key,
        data=data,
        prev_hash=prev,
    )
    entry.hash = entry_hash(entry)
    session.add(entry)
    session.flush()
    return entry


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    entries: int
    first_bad_entry: int | None = None
    reason: str | None = None


def verify(session: Session) -> ChainReport:
    """Walk the chain in order and report the first entry that was changed, removed or moved."""
    expected_seq, prev, count = 1, GENESIS, 0
    rows = session.scalars(
        select(AuditEntry).order_by(AuditEntry.seq).execution_options(yield_per=2000)
    )
    for e in rows:
        count += 1
        if e.seq != expected_seq:
            return ChainReport(False, count, expected_seq, f"entry {expected_seq} is missing")
        if e.prev_hash != prev:
            return ChainReport(
                False, count, e.seq, "previous-hash link broken (removed or reordered)"
            )
        recomputed = entry_hash(e)
        if recomputed != e.hash:
            return ChainReport(False, count, e.seq, "content does not match its hash (edited)")
        expected_seq, prev = e.seq + 1, e.hash
    return ChainReport(True, count)


def list_entries(
    session: Session,
    *,
    limit: int,
    after_seq: int = 0,
    entity_type: str | None = None,
    entity_key: str | None = None,
) -> list[AuditEntry]:
    stmt = select(AuditEntry).where(AuditEntry.seq > after_seq)
    if entity_type:
        stmt = stmt.where(AuditEntry.entity_type == entity_type)
    if entity_key:
        stmt = stmt.where(AuditEntry.entity_key == entity_key)
    return list(session.scalars(stmt.order_by(AuditEntry.seq).limit(limit)))
