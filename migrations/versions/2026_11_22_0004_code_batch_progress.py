"""code batch progress

Large batches are issued in chunks that each commit, so a batch has a status (issuing, complete,
failed), a count of codes stored so far, and when it completed. Every batch issued before this
revision was issued in one transaction: it is complete with all of its codes. Downgrade drops the
three columns (an unfinished batch then looks like any other: finish or void it first).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 15:10:00.000000
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('code_batch', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.Enum('issuing', 'complete', 'failed', name='batchstatus', native_enum=False, length=10), nullable=False, server_default='complete'))
        batch_op.add_column(sa.Column('issued', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('completed_at', app.db.UTCDateTime(timezone=True), nullable=True))
    op.execute("UPDATE code_batch SET issued = quantity, completed_at = created_at")


def downgrade() -> None:
    # Plain ALTER TABLE … DROP COLUMN (SQLite 3.35+): a batch copy of code_batch would have to
    # drop the table that every carton's foreign key points at.
    op.drop_column('code_batch', 'completed_at')
    op.drop_column('code_batch', 'issued')
    op.drop_column('code_batch', 'status')
