"""audit log as a Merkle tree with signed checkpoints

Writers no longer chain their entries (no `prev_hash`, no global lock): each entry's hash covers
its own content, ids come from a sequence (PostgreSQL) or the write lock (SQLite). A sequencer
integrates entries into a Merkle tree (`audit_leaf`, RFC 9162) and signs checkpoints of its head
(`audit_checkpoint`); `audit_log_state` holds its lease and the tree's frontier. Existing entries
keep their content and get their new hash (the old chain is checked first: a broken chain stops
the upgrade); the first integration puts them in the tree in sequence order. Downgrade drops the
tree and rebuilds the hash chain over the entries.

Revision ID: audit_merkle_log
Revises: inbox_read_marks
Create Date: 2026-12-10 09:00:00.000000
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from alembic import op

import app.db
from app.dbguards import drop_append_only, make_append_only

revision: str = 'audit_merkle_log'
down_revision: str | None = 'inbox_read_marks'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GENESIS = "0" * 64
_entries = sa.table(
    'audit_entry',
    sa.column('seq', sa.BigInteger()),
    sa.column('at', app.db.UTCDateTime(timezone=True)),
    sa.column('actor', sa.String()),
    sa.column('action', sa.String()),
    sa.column('entity_type', sa.String()),
    sa.column('entity_key', sa.String()),
    sa.column('data', sa.JSON()),
    sa.column('prev_hash', sa.String()),
    sa.column('hash', sa.String()),
)


def _hash(row: Any, prev: str | None) -> str:
    """The entry hash as each revision defines it (frozen here, whatever the code does later)."""
    body: dict[str, Any] = {
        "seq": row.seq,
        "at": row.at.isoformat(timespec="microseconds"),
        "actor": row.actor,
        "action": row.action,
        "entity_type": row.entity_type,
        "entity_key": row.entity_key,
        "data": row.data,
    }
    if prev is not None:
        body["prev_hash"] = prev
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _rows(with_prev: bool) -> list[Any]:
    cols = [c for c in _entries.c if with_prev or c.name != 'prev_hash']
    return list(op.get_bind().execute(sa.select(*cols).order_by(_entries.c.seq)))


def upgrade() -> None:
    conn = op.get_bind()
    prev = GENESIS
    for row in _rows(with_prev=True):
        if row.prev_hash != prev or _hash(row, prev) != row.hash:
            raise RuntimeError(
                f"audit chain broken at entry {row.seq}: run `channelguard audit verify` on the "
                "previous version and investigate before upgrading"
            )
        prev = row.hash
    drop_append_only('audit_entry')
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.drop_constraint('uq_audit_entry_prev_hash', type_='unique')
        batch_op.drop_column('prev_hash')
        batch_op.create_index(batch_op.f('ix_audit_entry_at'), ['at'], unique=False)
    for row in _rows(with_prev=False):
        conn.execute(
            _entries.update().where(_entries.c.seq == row.seq).values(hash=_hash(row, None))
        )
    make_append_only('audit_entry')
    if conn.dialect.name == 'postgresql':
        start = (conn.scalar(sa.text("SELECT max(seq) FROM audit_entry")) or 0) + 1
        op.execute(f"CREATE SEQUENCE audit_entry_seq START WITH {int(start)}")

    op.create_table('audit_leaf',
    sa.Column('idx', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('leaf_hash', sa.LargeBinary(length=32), nullable=False),
    sa.PrimaryKeyConstraint('idx', name=op.f('pk_audit_leaf')),
    sa.UniqueConstraint('seq', name=op.f('uq_audit_leaf_seq'))
    )
    make_append_only('audit_leaf')
    op.create_table('audit_checkpoint',
    sa.Column('tree_size', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('root_hash', sa.LargeBinary(length=32), nullable=False),
    sa.Column('at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('key_id', sa.String(length=16), nullable=False),
    sa.Column('signature', sa.LargeBinary(length=64), nullable=False),
    sa.PrimaryKeyConstraint('tree_size', name=op.f('pk_audit_checkpoint'))
    )
    make_append_only('audit_checkpoint')
    op.create_table('audit_log_state',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('holder', sa.String(length=80), nullable=False),
    sa.Column('lease_until', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('tree_size', sa.BigInteger(), nullable=False),
    sa.Column('frontier', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log_state'))
    )


def downgrade() -> None:
    conn = op.get_bind()
    op.drop_table('audit_log_state')
    drop_append_only('audit_checkpoint')
    op.drop_table('audit_checkpoint')
    drop_append_only('audit_leaf')
    op.drop_table('audit_leaf')
    if conn.dialect.name == 'postgresql':
        op.execute("DROP SEQUENCE IF EXISTS audit_entry_seq")
    drop_append_only('audit_entry')
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_entry_at'))
        batch_op.add_column(sa.Column('prev_hash', sa.String(length=64), nullable=True))
    # The chain is rebuilt in sequence order; sequence gaps close up so that it links.
    prev = GENESIS
    for n, row in enumerate(_rows(with_prev=False), start=1):
        if row.seq != n:
            conn.execute(_entries.update().where(_entries.c.seq == row.seq).values(seq=n))
        renumbered = SimpleNamespace(**{**row._asdict(), 'seq': n})
        h = _hash(renumbered, prev)
        conn.execute(_entries.update().where(_entries.c.seq == n).values(prev_hash=prev, hash=h))
        prev = h
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.alter_column('prev_hash', existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_audit_entry_prev_hash'), ['prev_hash'])
    make_append_only('audit_entry')
