"""region label colour

商标颜色差异化: each region may have its own label colour (#RRGGBB), printed as a band on its
carton labels and shown as the region's mark on the pages. Existing regions get none (labels
print as before). Downgrade drops the column: the colours are lost, nothing else.

Revision ID: region_label_colour
Revises: audit_merkle_log
Create Date: 2026-12-02 10:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'region_label_colour'
down_revision: str | None = 'audit_merkle_log'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('region', sa.Column('colour', sa.String(length=7), nullable=True))


def downgrade() -> None:
    # Plain ALTER TABLE … DROP COLUMN (SQLite 3.35+): a batch copy of region would have to drop
    # the table that every carton's and distributor's foreign key points at.
    op.drop_column('region', 'colour')
