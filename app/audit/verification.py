"""Verifying the whole log: the hash chain, the Merkle leaves, every signed checkpoint, entries
added late, and a checkpoint kept outside the database."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import exists, func, select, text
from sqlalchemy.orm import Session

from app.audit import merkle
from app.audit.checkpoints import (
    SEQUENCER_LOCK,
    Checkpoint,
    checkpoint_of,
    merge_delay,
    signature_ok,
)
from app.audit.entries import entry_body
from app.audit.proofs import leaf_hashes
from app.config import Settings, get_settings
from app.models import AuditCheckpoint, AuditEntry, AuditLeaf


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    entries: int
    first_bad_entry: int | None = None
    reason: str | None = None


def _rows(session: Session, stmt: Any) -> Iterator[Any]:
    return iter(session.execute(stmt.execution_options(yield_per=2000)))


def verify(
    session: Session, settings: Settings | None = None, *, outside: Checkpoint | None = None
) -> ChainReport:
    """Check every entry (integrated or not), every leaf and every signed checkpoint, and a
    checkpoint kept outside if given; name the first entry found changed, removed, reordered or
    added late."""
    settings = settings or get_settings()
    # Hold the sequencer off while we read (the shared side of its lock, released with our
    # transaction; an integration waits or skips its turn). On PostgreSQL each statement sees
    # the latest commit: a batch integrated between two of our reads would look like leaves
    # that no checkpoint signed. SQLite's write lock already keeps our reads consistent.
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock_shared(:k)"), {"k": SEQUENCER_LOCK})
    checkpoints = [
        checkpoint_of(r)
        for r in session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.tree_size))
    ]
    latest_at = max((c.at for c in checkpoints), default=None)
    found: list[tuple[int, str]] = []  # problems located at one entry
    count = 0
    for e, idx, stored in _rows(
        session,
        select(AuditEntry, AuditLeaf.idx, AuditLeaf.leaf_hash)
        .outerjoin(AuditLeaf, AuditLeaf.seq == AuditEntry.seq)
        .order_by(AuditEntry.seq),
    ):
        count += 1
        body = entry_body(e)
        if hashlib.sha256(body).hexdigest() != e.hash:
            found.append((e.seq, "content does not match its hash (edited)"))
        elif idx is None:
            if latest_at is not None and e.at < latest_at - merge_delay(settings):
                found.append((e.seq, "added late: older than a signed checkpoint allows"))
        elif stored != merkle.leaf_hash(body):
            found.append((e.seq, "changed after it was integrated into the log"))

    # The leaves in log order: none missing, none orphaned, each batch in sequence order, the
    # tree's root equal to every signed checkpoint's.
    sizes = {c.tree_size: c for c in checkpoints}
    bad_log: list[tuple[int, str]] = []
    frontier: merkle.Frontier = []
    last_seq, good_size = 0, 0
    batch_seqs: list[int] = []
    leaf_count = 0
    for idx, seq, stored, present in _rows(
        session,
        select(
            AuditLeaf.idx,
            AuditLeaf.seq,
            AuditLeaf.leaf_hash,
            exists().where(AuditEntry.seq == AuditLeaf.seq),
        ).order_by(AuditLeaf.idx),
    ):
        if idx != leaf_count:
            bad_log.append((last_seq + 1, f"removed: leaves {leaf_count}..{idx - 1} are gone"))
            break
        leaf_count += 1
        if not present:
            found.append((seq, f"removed: leaf {idx} names an entry that is gone"))
        batch_seqs.append(seq)
        last_seq = seq
        merkle.frontier_append(frontier, stored)
        cp = sizes.get(leaf_count)
        if cp is not None:
            # The sequencer integrates each batch in sequence order.
            for got, want in zip(batch_seqs, sorted(batch_seqs), strict=True):
                if got != want:
                    found.append((min(got, want), "reordered within the log"))
                    break
            if merkle.frontier_root(frontier) != cp.root_hash and not bad_log:
                # Every earlier checkpoint matched: the change lies within this batch.
                bad_log.append(
                    (
                        batch_seqs[0],
                        f"leaves {good_size}..{leaf_count - 1} do not match the signed "
                        f"checkpoint of size {leaf_count}",
                    )
                )
            elif not bad_log:
                good_size = leaf_count
            batch_seqs = []
    signed = checkpoints[-1].tree_size if checkpoints else 0
    if batch_seqs and not bad_log and leaf_count > signed:
        found.append((batch_seqs[0], "in the log but in no signed checkpoint (added late)"))
    for c in checkpoints:
        if not signature_ok(settings, c):
            bad_log.append((last_seq, f"checkpoint of size {c.tree_size} has a bad signature"))
            break
    if checkpoints and checkpoints[-1].tree_size > leaf_count and not bad_log:
        bad_log.append(
            (
                last_seq + 1,
                f"truncated: a signed checkpoint covers {checkpoints[-1].tree_size} entries, "
                f"the log holds {leaf_count}",
            )
        )
    if found:
        seq, reason = min(found)
        return ChainReport(False, count, seq, reason)
    if bad_log:
        seq, reason = bad_log[0]
        return ChainReport(False, count, seq, reason)
    if outside is not None:
        problem = _against_outside(session, settings, outside, leaf_count)
        if problem is not None:
            return ChainReport(False, count, problem[0], problem[1])
    return ChainReport(True, count)


def _against_outside(
    session: Session, settings: Settings, cp: Checkpoint, leaf_count: int
) -> tuple[int, str] | None:
    if not signature_ok(settings, cp):
        return (0, "the checkpoint kept outside is not signed by this log's key")
    if cp.tree_size > leaf_count:
        last = session.scalar(select(func.max(AuditLeaf.seq))) or 0
        return (
            last + 1,
            f"truncated: the checkpoint kept outside covers {cp.tree_size} entries, "
            f"the log holds {leaf_count}",
        )
    if cp.tree_size == 0:
        return None
    if merkle.root(leaf_hashes(session, cp.tree_size)) != cp.root_hash:
        first = session.scalar(select(AuditLeaf.seq).where(AuditLeaf.idx == 0)) or 0
        return (
            first,
            f"rewritten: the log's first {cp.tree_size} entries do not match the checkpoint "
            "kept outside",
        )
    return None
