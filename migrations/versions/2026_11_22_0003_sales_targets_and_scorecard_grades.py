"""sales targets and scorecard grades

Plan completion needs a credited-sales target per party and month; the star scorecard needs the
four indicators the service does not compute, entered per distributor and period. Downgrade
drops both tables (targets and entered grades are lost; the audit log still records them).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 13:45:05.212923
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('sales_target',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('party_type', sa.Enum('distributor', 'salesperson', 'system', name='partytype', native_enum=False, length=12), nullable=False),
    sa.Column('party_code', sa.String(length=40), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('target_fen', sa.BigInteger(), nullable=False),
    sa.Column('set_by', sa.String(length=80), nullable=False),
    sa.Column('set_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('target_fen >= 0', name=op.f('ck_sales_target_target_not_negative')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sales_target')),
    sa.UniqueConstraint('party_type', 'party_code', 'period', name=op.f('uq_sales_target_party_type'))
    )
    with op.batch_alter_table('sales_target', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sales_target_period'), ['period'], unique=False)

    op.create_table('scorecard_grade',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('distributor_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('indicator', sa.String(length=30), nullable=False),
    sa.Column('grade', sa.Integer(), nullable=False),
    sa.Column('set_by', sa.String(length=80), nullable=False),
    sa.Column('set_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('grade BETWEEN 1 AND 5', name=op.f('ck_scorecard_grade_grade_1_to_5')),
    sa.ForeignKeyConstraint(['distributor_id'], ['distributor.id'], name=op.f('fk_scorecard_grade_distributor_id_distributor')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scorecard_grade')),
    sa.UniqueConstraint('distributor_id', 'period', 'indicator', name=op.f('uq_scorecard_grade_distributor_id'))
    )
    with op.batch_alter_table('scorecard_grade', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scorecard_grade_distributor_id'), ['distributor_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('scorecard_grade', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scorecard_grade_distributor_id'))

    op.drop_table('scorecard_grade')
    with op.batch_alter_table('sales_target', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sales_target_period'))

    op.drop_table('sales_target')
