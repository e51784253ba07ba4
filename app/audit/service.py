"""The tamper-evident audit log, after Certificate Transparency (RFC 9162).

Writers append entries in their own transactions and wait for nobody: an entry's id comes from a
sequence and its hash covers only its own content. A sequencer (one at a time: a PostgreSQL
advisory try-lock or SQLite's write lock, and a lease another sequencer takes over once it
expires) integrates committed entries into a Merkle tree in batches and signs a checkpoint of the
tree's head with Ed25519. A checkpoint kept outside the database catches even a rewrite of the
whole database made after it left."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy import exists, func, insert, select, text
from sqlalchemy.orm import Session

from app.audit import merkle
from app.config import Settings, get_settings, log_seed
from app.db import utcnow
from app.errors import NotFound, Unprocessable
from app.models import AuditCheckpoint, AuditEntry, AuditLeaf, AuditLogState

ORIGIN = "channelguard audit log"
# Any constant works: it only has to be the same for every sequencer of one database.
_SEQUENCER_LOCK = 0x43474153
LEASE = timedelta(seconds=10)
BATCH = 20_000


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


# Checkpoints ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Checkpoint:
    tree_size: int
    root_hash: bytes
    at: datetime
    key_id: str
    signature: bytes

    def note(self) -> bytes:
        """The signed text (a C2SP-style note body)."""
        at = self.at.isoformat(timespec="microseconds")
        root = base64.b64encode(self.root_hash).decode()
        return f"{ORIGIN}\n{self.tree_size}\n{root}\n{at}\n".encode()

    def to_json(self) -> dict[str, Any]:
        return {
            "origin": ORIGIN,
            "tree_size": self.tree_size,
            "root_hash": self.root_hash.hex(),
            "at": self.at.isoformat(timespec="microseconds"),
            "key_id": self.key_id,
            "signature": base64.b64encode(self.signature).decode(),
        }

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> Checkpoint:
        return cls(
            tree_size=int(obj["tree_size"]),
            root_hash=bytes.fromhex(obj["root_hash"]),
            at=datetime.fromisoformat(obj["at"]),
            key_id=str(obj["key_id"]),
            signature=base64.b64decode(obj["signature"]),
        )


def _private_key(settings: Settings) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(log_seed(settings.log_signing_key))


def public_key(settings: Settings) -> Ed25519PublicKey:
    return _private_key(settings).public_key()


def public_key_bytes(settings: Settings) -> bytes:
    return public_key(settings).public_bytes(Encoding.Raw, PublicFormat.Raw)


def key_id(settings: Settings) -> str:
    return hashlib.sha256(public_key_bytes(settings)).hexdigest()[:16]


def sign(settings: Settings, tree_size: int, root_hash: bytes, at: datetime) -> Checkpoint:
    unsigned = Checkpoint(tree_size, root_hash, at, key_id(settings), b"")
    return Checkpoint(
        tree_size, root_hash, at, unsigned.key_id, _private_key(settings).sign(unsigned.note())
    )


def signature_ok(settings: Settings, cp: Checkpoint) -> bool:
    try:
        public_key(settings).verify(cp.signature, cp.note())
    except InvalidSignature:
        return False
    return True


def _checkpoint_of(row: AuditCheckpoint) -> Checkpoint:
    return Checkpoint(row.tree_size, row.root_hash, row.at, row.key_id, row.signature)


def latest_checkpoint(session: Session) -> Checkpoint | None:
    row = session.scalars(
        select(AuditCheckpoint).order_by(AuditCheckpoint.tree_size.desc()).limit(1)
    ).first()
    return _checkpoint_of(row) if row else None


def write_checkpoint_file(settings: Settings, cp: Checkpoint) -> None:
    """Publish the checkpoint outside the database (atomically replaced)."""
    if not settings.checkpoint_dir:
        return
    folder = Path(settings.checkpoint_dir)
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".checkpoint-")
    with os.fdopen(fd, "w") as f:
        json.dump(cp.to_json(), f)
    os.replace(tmp, folder / "latest.checkpoint")


def read_checkpoint_file(path: Path) -> Checkpoint:
    try:
        return Checkpoint.from_json(json.loads(path.read_text()))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{path} is not a checkpoint: {exc}") from exc


# The sequencer ----------------------------------------------------------------------------


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
        text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": _SEQUENCER_LOCK}
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
        pending = pending.where(AuditEntry.at >= last.at - _merge_delay(settings))
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
    session.add(
        AuditCheckpoint(
            tree_size=cp.tree_size,
            root_hash=cp.root_hash,
            at=cp.at,
            key_id=cp.key_id,
            signature=cp.signature,
        )
    )
    session.flush()
    return Integration(len(rows), cp)


def release(session: Session, *, holder: str) -> None:
    """Give the lease up (a one-off run from cron), so that the next sequencer need not wait."""
    state = session.get(AuditLogState, 1, with_for_update=True)
    if state is not None and state.holder == holder:
        state.lease_until = utcnow()
        session.flush()


def _merge_delay(settings: Settings) -> timedelta:
    return timedelta(seconds=settings.log_merge_delay)


# Proofs -----------------------------------------------------------------------------------


def _leaves(session: Session, size: int) -> list[bytes]:
    return list(
        session.scalars(
            select(AuditLeaf.leaf_hash).where(AuditLeaf.idx < size).order_by(AuditLeaf.idx)
        )
    )


def _size_or_latest(session: Session, size: int | None) -> int:
    tree = int(session.scalar(select(func.count()).select_from(AuditLeaf)) or 0)
    if size is None:
        cp = latest_checkpoint(session)
        if cp is None:
            raise NotFound("the log has no signed checkpoint yet")
        size = cp.tree_size
    if not 0 < size <= tree:
        raise Unprocessable(f"size must be between 1 and the log's {tree} entries")
    return size


def inclusion(session: Session, *, seq: int, size: int | None) -> dict[str, Any]:
    tree_size = _size_or_latest(session, size)
    idx = session.scalar(select(AuditLeaf.idx).where(AuditLeaf.seq == seq))
    if idx is None or idx >= tree_size:
        raise NotFound(f"entry {seq} is not in the log's first {tree_size} entries")
    leaves = _leaves(session, tree_size)
    return {
        "seq": seq,
        "leaf_index": idx,
        "tree_size": tree_size,
        "leaf_hash": leaves[idx].hex(),
        "root_hash": merkle.root(leaves).hex(),
        "audit_path": [h.hex() for h in merkle.inclusion_proof(idx, leaves)],
    }


def consistency(session: Session, *, first: int, second: int | None) -> dict[str, Any]:
    second = _size_or_latest(session, second)
    if not 0 < first <= second:
        raise Unprocessable("first must be between 1 and second")
    leaves = _leaves(session, second)
    return {
        "first": first,
        "second": second,
        "first_root": merkle.root(leaves[:first]).hex(),
        "second_root": merkle.root(leaves).hex(),
        "proof": [h.hex() for h in merkle.consistency_proof(first, leaves)],
    }


# Verification -----------------------------------------------------------------------------


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
        session.execute(text("SELECT pg_advisory_xact_lock_shared(:k)"), {"k": _SEQUENCER_LOCK})
    checkpoints = [
        _checkpoint_of(r)
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
            if latest_at is not None and e.at < latest_at - _merge_delay(settings):
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
    if merkle.root(_leaves(session, cp.tree_size)) != cp.root_hash:
        first = session.scalar(select(AuditLeaf.seq).where(AuditLeaf.idx == 0)) or 0
        return (
            first,
            f"rewritten: the log's first {cp.tree_size} entries do not match the checkpoint "
            "kept outside",
        )
    return None


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
