"""money that bites: rebates, deposits, the sanctions ladder

Ledger accounts gain the kinds `rebates`, `commissions` and `deposit`; the database refuses any
line that would take a deposit below zero (a trigger on SQLite and PostgreSQL). Periods whose
rebates were posted are recorded in `period_close`; the sanctions ladder's decisions in
`sanction`. Downgrade drops the guard and both tables (ledger lines of the new kinds stay: the
ledger is append-only).

Revision ID: money_that_bites
Revises: item_codes_public_verify
Create Date: 2026-12-15 09:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db
from app.dbguards import drop_deposit_guard, make_deposit_guard

revision: str = 'money_that_bites'
down_revision: str | None = 'item_codes_public_verify'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('period_close',
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('closed_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=80), nullable=False),
    sa.Column('policy_version', sa.String(length=40), nullable=False),
    sa.PrimaryKeyConstraint('period', name=op.f('pk_period_close'))
    )
    op.create_table('sanction',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('distributor_id', sa.Integer(), nullable=False),
    sa.Column('violation_id', sa.Integer(), nullable=False),
    sa.Column('step', sa.Enum('warning', 'interview', 'deposit_deduction', 'rebate_cut', 'supply_stop', name='sanctionstep', native_enum=False, length=20), nullable=False),
    sa.Column('offence_number', sa.Integer(), nullable=False),
    sa.Column('rests_on', sa.JSON(), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('rule', sa.String(length=60), nullable=False),
    sa.Column('policy_version', sa.String(length=40), nullable=False),
    sa.Column('reason', sa.String(length=300), nullable=False),
    sa.Column('actor', sa.String(length=80), nullable=False),
    sa.Column('decided_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('withdrawn_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('lifted_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('lifted_by', sa.String(length=80), nullable=True),
    sa.ForeignKeyConstraint(['distributor_id'], ['distributor.id'], name=op.f('fk_sanction_distributor_id_distributor')),
    sa.ForeignKeyConstraint(['violation_id'], ['violation.id'], name=op.f('fk_sanction_violation_id_violation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sanction'))
    )
    with op.batch_alter_table('sanction', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sanction_distributor_id'), ['distributor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sanction_violation_id'), ['violation_id'], unique=False)
    # The account kind is a plain string column (no CHECK): the new kinds need no table rebuild.
    make_deposit_guard()


def downgrade() -> None:
    drop_deposit_guard()
    with op.batch_alter_table('sanction', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sanction_violation_id'))
        batch_op.drop_index(batch_op.f('ix_sanction_distributor_id'))
    op.drop_table('sanction')
    op.drop_table('period_close')
