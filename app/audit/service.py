"""The tamper-evident audit log, after Certificate Transparency (RFC 9162).

Writers append entries in their own transactions and wait for nobody: an entry's id comes from a
sequence and its hash covers only its own content. A sequencer (one at a time: a PostgreSQL
advisory try-lock or SQLite's write lock, and a lease another sequencer takes over once it
expires) integrates committed entries into a Merkle tree in batches and signs a checkpoint of the
tree's head with Ed25519. A checkpoint kept outside the database catches even a rewrite of the
whole database made after it left."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import timedelta

from sqlalchemy import exists, insert, select, text
from sqlalchemy.orm import Session

from app.audit import merkle
from app.audit.checkpoints import ORIGIN as ORIGIN
from app.audit.checkpoints import SEQUENCER_LOCK, merge_delay
from app.audit.checkpoints import Checkpoint as Checkpoint
from app.audit.checkpoints import key_id as key_id
from app.audit.checkpoints import latest_checkpoint as latest_checkpoint
from app.audit.checkpoints import public_key as public_key
from app.audit.checkpoints import public_key_bytes as public_key_bytes
from app.audit.checkpoints import read_checkpoint_file as read_checkpoint_file
from app.audit.checkpoints import sign as sign
from app.audit.checkpoints import signature_ok as signature_ok
from app.audit.checkpoints import write_checkpoint_file as write_checkpoint_file
from app.audit.entries import canonical as canonical
from app.audit.entries import change as change
from app.audit.entries import entry_body as entry_body
from app.audit.entries import entry_hash as entry_hash
from app.audit.entries import record as record
from app.audit.proofs import consistency as consistency
from app.audit.proofs import inclusion as inclusion
from app.audit.verification import ChainReport as ChainReport
from app.audit.verification import verify as verify
from app.config import Settings
from app.db import utcnow
from app.models import AuditCheckpoint, AuditEntry, AuditLeaf, AuditLogState

LEASE = timedelta(seconds=10)
BATCH = 20_000


@dataclass(frozen=True)
class Integration:
    integrated: int
    checkpoint: Checkpoint | None


def integrate(
    session: Session, *, holder: str, settings: Settings, limit: int = BATCH
) -> Integration | None:
    """One batch of the sequencer, in the caller's transaction: None if another sequencer holds
    the log (its lease has not expired, or it is integrating right now)."""
    if session.get_bind().dialect.name == "postgresql" and not session.scalar(
        text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": SEQUENCER_LOCK}
    ):
        return None
    now = utcnow()
    state = session.scalars(
        select(AuditLogState)
        .where(AuditLogState.id == 1)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if state is None:
        state = AuditLogState(id=1, holder=holder, lease_until=now, tree_size=0, frontier=[])
        session.add(state)
    elif state.holder != holder and state.lease_until > now:
        return None
    state.holder, state.lease_until = holder, now + LEASE
    pending = select(AuditEntry).where(~exists().where(AuditLeaf.seq == AuditEntry.seq))
    last = latest_checkpoint(session)
    if last is not None:
        # Older entries cannot be pending legitimately: they were added late (verify says so).
        pending = pending.where(AuditEntry.at >= last.at - merge_delay(settings))
    entries = list(session.scalars(pending.order_by(AuditEntry.seq).limit(limit)))
    if not entries:
        session.flush()
        return Integration(0, None)
    frontier: merkle.Frontier = [(int(s), bytes.fromhex(h)) for s, h in state.frontier]
    rows = []
    for i, e in enumerate(entries):
        leaf = merkle.leaf_hash(entry_body(e))
        rows.append({"idx": state.tree_size + i, "seq": e.seq, "leaf_hash": leaf})
        merkle.frontier_append(frontier, leaf)
    session.execute(insert(AuditLeaf), rows)
    state.tree_size += len(rows)
    state.frontier = [[s, h.hex()] for s, h in frontier]
    cp = sign(settings, state.tree_size, merkle.frontier_root(frontier), now)
    # The row is the signed checkpoint, field for field.
    session.add(AuditCheckpoint(**asdict(cp)))
    session.flush()
    return Integration(len(rows), cp)


def release(session: Session, *, holder: str) -> None:
    """Give the lease up (a one-off run from cron), so that the next sequencer need not wait."""
    state = session.get(AuditLogState, 1, with_for_update=True)
    if state is not None and state.holder == holder:
        state.lease_until = utcnow()
        session.flush()


def list_entries(
    session: Session,
    *,
    limit: int,
    after_seq: int | None = None,
    newest_first: bool = True,
    entity_type: str | None = None,
    entity_key: str | None = None,
) -> list[AuditEntry]:
    """One page of the log. Newest first, `after_seq` is the last seq already seen and the page
    holds older entries (seq < it), so entries written meanwhile never shift the walk; oldest
    first (a replay) it holds seq > it."""
    stmt = select(AuditEntry)
    if after_seq is not None:
        older, newer = AuditEntry.seq < after_seq, AuditEntry.seq > after_seq
        stmt = stmt.where(older if newest_first else newer)
    if entity_type:
        stmt = stmt.where(AuditEntry.entity_type == entity_type)
    if entity_key:
        stmt = stmt.where(AuditEntry.entity_key == entity_key)
    order = AuditEntry.seq.desc() if newest_first else AuditEntry.seq.asc()
    return list(session.scalars(stmt.order_by(order).limit(limit)))
