"""people have names: users gain their own display name

`app_user.display_name` is what pages call a person (王建国), ahead of the party's name and the
login. Nullable: users made before it keep showing as before until someone names them.

Revision ID: user_display_names
Revises: public_verification_partitions
Create Date: 2026-12-02 12:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'user_display_names'
down_revision: str | None = 'public_verification_partitions'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('app_user') as batch:
        batch.add_column(sa.Column('display_name', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('app_user') as batch:
        batch.drop_column('display_name')
