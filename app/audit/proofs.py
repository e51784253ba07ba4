"""Merkle proofs over the integrated log (RFC 9162): an entry's inclusion, two heads'
consistency."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.audit import merkle
from app.audit.checkpoints import latest_checkpoint
from app.errors import NotFound, Unprocessable
from app.models import AuditLeaf


def leaf_hashes(session: Session, size: int) -> list[bytes]:
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
    leaves = leaf_hashes(session, tree_size)
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
    leaves = leaf_hashes(session, second)
    return {
        "first": first,
        "second": second,
        "first_root": merkle.root(leaves[:first]).hex(),
        "second_root": merkle.root(leaves).hex(),
        "proof": [h.hex() for h in merkle.consistency_proof(first, leaves)],
    }
