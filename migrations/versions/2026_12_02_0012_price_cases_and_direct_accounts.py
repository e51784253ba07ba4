"""salespeople's own fines and direct retail accounts

Violations record the diverting salesperson's own fine (only under its agreement). Price cases
need no schema change: `violation.kind` is a plain string column and `price` fits it. Direct
retail accounts (代理批发关系) are shops the company's office serves itself, whose volume accrues
to a chosen wholesaler's reward base from a given date. Downgrade drops both and sets price
cases' carton links inactive (older revisions allow one active case per carton).

Revision ID: price_cases_direct_accounts
Revises: vehicles_squads_inspections
Create Date: 2026-12-20 09:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db

revision: str = 'price_cases_direct_accounts'
down_revision: str | None = 'vehicles_squads_inspections'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('direct_account',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('tier', sa.Enum('wholesale_2', 'terminal_wholesale', 'retail', name='subcustomertier', native_enum=False, length=20), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.String(length=80), nullable=False),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['region_id'], ['region.id'], name=op.f('fk_direct_account_region_id_region')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_direct_account')),
    sa.UniqueConstraint('code', name=op.f('uq_direct_account_code'))
    )
    op.create_index(op.f('ix_direct_account_region_id'), 'direct_account', ['region_id'], unique=False)
    op.create_table('direct_account_assignment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('distributor_id', sa.Integer(), nullable=False),
    sa.Column('effective_from', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('set_by', sa.String(length=80), nullable=False),
    sa.Column('set_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['direct_account.id'], name=op.f('fk_direct_account_assignment_account_id_direct_account')),
    sa.ForeignKeyConstraint(['distributor_id'], ['distributor.id'], name=op.f('fk_direct_account_assignment_distributor_id_distributor')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_direct_account_assignment')),
    sa.UniqueConstraint('account_id', 'effective_from', name=op.f('uq_direct_account_assignment_account_id'))
    )
    op.create_index(op.f('ix_direct_account_assignment_account_id'), 'direct_account_assignment', ['account_id'], unique=False)
    op.create_index(op.f('ix_direct_account_assignment_distributor_id'), 'direct_account_assignment', ['distributor_id'], unique=False)
    with op.batch_alter_table('violation') as batch:
        batch.add_column(sa.Column('salesperson_fine_fen', sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column('salesperson_fine_reason', sa.String(length=300), nullable=True))


def downgrade() -> None:
    # Before this revision a carton was in at most one case of each kind besides clones: price
    # cases' carton links stop counting, so the older one-case-per-carton index holds again.
    op.execute("UPDATE violation_carton SET active = FALSE WHERE kind = 'price' AND active")
    op.drop_index(op.f('ix_direct_account_assignment_distributor_id'), table_name='direct_account_assignment')
    op.drop_index(op.f('ix_direct_account_assignment_account_id'), table_name='direct_account_assignment')
    op.drop_table('direct_account_assignment')
    op.drop_index(op.f('ix_direct_account_region_id'), table_name='direct_account')
    op.drop_table('direct_account')
    with op.batch_alter_table('violation') as batch:
        batch.drop_column('salesperson_fine_reason')
        batch.drop_column('salesperson_fine_fen')
