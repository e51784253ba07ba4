"""inbox read marks

Each user's read marks for the inbox items they share with others (violation events, consumer
signals). Route notifications keep their own `read_at`. Downgrade drops the table: the inbox
then shows those items unread again, nothing else is lost.

Revision ID: inbox_read_marks
Revises: money_that_bites
Create Date: 2026-12-16 09:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db

revision: str = 'inbox_read_marks'
down_revision: str | None = 'money_that_bites'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('inbox_read',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('item_key', sa.String(length=40), nullable=False),
    sa.Column('read_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_inbox_read_user_id_app_user')),
    sa.PrimaryKeyConstraint('user_id', 'item_key', name=op.f('pk_inbox_read'))
    )


def downgrade() -> None:
    op.drop_table('inbox_read')
