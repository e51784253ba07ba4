"""sub-customers and custody hand-offs

The channel below the distributor: sub-customers (下级客户) with their certificate status, custody
events (deliver, ship, receive) and each carton's current custodian and pending shipment, users
bound to a sub-customer, violations naming the diverting sub-customer and its own fine, and
violation cartons keyed by case kind so that a cloned code is its own case beside a diversion.
Cartons already delivered get their distributor as custodian and a `deliver` event from their
waybill. Downgrade drops all of it (hand-offs are lost; the audit log still records them); a
carton counted by both a clone case and a diversion stays counted by the diversion only.

Revision ID: sub_customers_custody
Revises: 0004
Create Date: 2026-12-01 21:25:40.494135
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db

revision: str = 'sub_customers_custody'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('sub_customer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('tier', sa.Enum('wholesale_2', 'terminal_wholesale', 'retail', name='subcustomertier', native_enum=False, length=20), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('distributor_id', sa.Integer(), nullable=False),
    sa.Column('lat', sa.Double(), nullable=True),
    sa.Column('lon', sa.Double(), nullable=True),
    sa.Column('contact', sa.String(length=200), nullable=True),
    sa.Column('agreement_signed_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('status', sa.Enum('pending', 'approved', 'revoked', name='subcustomerstatus', native_enum=False, length=10), nullable=False),
    sa.Column('approved_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_by', sa.String(length=80), nullable=False),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['distributor_id'], ['distributor.id'], name=op.f('fk_sub_customer_distributor_id_distributor')),
    sa.ForeignKeyConstraint(['region_id'], ['region.id'], name=op.f('fk_sub_customer_region_id_region')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sub_customer')),
    sa.UniqueConstraint('code', name=op.f('uq_sub_customer_code'))
    )
    with op.batch_alter_table('sub_customer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sub_customer_distributor_id'), ['distributor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sub_customer_region_id'), ['region_id'], unique=False)

    op.create_table('custody_event',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('carton_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.Enum('deliver', 'ship', 'receive', name='custodykind', native_enum=False, length=10), nullable=False),
    sa.Column('from_type', sa.Enum('distributor', 'sub_customer', name='custodyparty', native_enum=False), nullable=True),
    sa.Column('from_id', sa.Integer(), nullable=True),
    sa.Column('to_type', sa.Enum('distributor', 'sub_customer', name='custodyparty', native_enum=False), nullable=False),
    sa.Column('to_id', sa.Integer(), nullable=False),
    sa.Column('at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('ref', sa.String(length=200), nullable=True),
    sa.Column('outcome', sa.String(length=10), nullable=False),
    sa.Column('reason', sa.String(length=40), nullable=True),
    sa.Column('violation_id', sa.Integer(), nullable=True),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['carton_id'], ['carton.id'], name=op.f('fk_custody_event_carton_id_carton')),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_custody_event_user_id_app_user')),
    sa.ForeignKeyConstraint(['violation_id'], ['violation.id'], name=op.f('fk_custody_event_violation_id_violation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_custody_event'))
    )
    with op.batch_alter_table('custody_event', schema=None) as batch_op:
        batch_op.create_index('ix_custody_event_carton_id_at', ['carton_id', 'at'], unique=False)
        batch_op.create_index(batch_op.f('ix_custody_event_user_id'), ['user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_custody_event_violation_id'), ['violation_id'], unique=False)

    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sub_customer_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_app_user_sub_customer_id'), ['sub_customer_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_app_user_sub_customer_id_sub_customer'), 'sub_customer', ['sub_customer_id'], ['id'])

    with op.batch_alter_table('carton', schema=None) as batch_op:
        batch_op.add_column(sa.Column('custodian_type', sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column('custodian_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('pending_to_type', sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column('pending_to_id', sa.Integer(), nullable=True))

    with op.batch_alter_table('violation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('diverting_sub_customer_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('blame_rule', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('sub_customer_fine_fen', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('sub_customer_fine_reason', sa.String(length=300), nullable=True))
        batch_op.create_index(batch_op.f('ix_violation_diverting_sub_customer_id'), ['diverting_sub_customer_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_violation_diverting_sub_customer_id_sub_customer'), 'sub_customer', ['diverting_sub_customer_id'], ['id'])

    with op.batch_alter_table('violation_carton', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=12), server_default='diversion', nullable=False))
        batch_op.drop_index('uq_violation_carton_active', sqlite_where=sa.text('active'), postgresql_where=sa.text('active'))
    op.execute(
        "UPDATE violation_carton SET kind = "
        "(SELECT v.kind FROM violation v WHERE v.id = violation_carton.violation_id)"
    )
    with op.batch_alter_table('violation_carton', schema=None) as batch_op:
        batch_op.create_index('uq_violation_carton_active', ['carton_id', 'kind'], unique=True, sqlite_where=sa.text('active'), postgresql_where=sa.text('active'))

    op.execute(
        "UPDATE carton SET custodian_type = 'distributor', custodian_id = distributor_id "
        "WHERE distributor_id IS NOT NULL"
    )
    op.execute(
        "INSERT INTO custody_event (carton_id, kind, from_type, from_id, to_type, to_id, at, "
        "user_id, ref, outcome, reason, violation_id, created_at) "
        "SELECT wc.carton_id, 'deliver', NULL, NULL, 'distributor', w.destination_distributor_id, "
        "w.delivered_at, NULL, w.number, 'accepted', NULL, NULL, w.delivered_at "
        "FROM waybill_carton wc JOIN waybill w ON w.id = wc.waybill_id "
        "WHERE w.status = 'delivered' AND w.delivered_at IS NOT NULL"
    )



def downgrade() -> None:
    # One active case per carton again: a clone case beside a diversion stops counting.
    op.execute(
        "UPDATE violation_carton SET active = FALSE WHERE kind = 'cloned' AND active "
        "AND carton_id IN (SELECT carton_id FROM violation_carton vc "
        "WHERE vc.kind = 'diversion' AND vc.active)"
    )
    with op.batch_alter_table('violation_carton', schema=None) as batch_op:
        batch_op.drop_index('uq_violation_carton_active', sqlite_where=sa.text('active'), postgresql_where=sa.text('active'))
        batch_op.create_index('uq_violation_carton_active', ['carton_id'], unique=True, sqlite_where=sa.text('active'), postgresql_where=sa.text('active'))
        batch_op.drop_column('kind')

    with op.batch_alter_table('violation', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_violation_diverting_sub_customer_id_sub_customer'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_violation_diverting_sub_customer_id'))
        batch_op.drop_column('sub_customer_fine_reason')
        batch_op.drop_column('sub_customer_fine_fen')
        batch_op.drop_column('blame_rule')
        batch_op.drop_column('diverting_sub_customer_id')

    with op.batch_alter_table('carton', schema=None) as batch_op:
        batch_op.drop_column('pending_to_id')
        batch_op.drop_column('pending_to_type')
        batch_op.drop_column('custodian_id')
        batch_op.drop_column('custodian_type')

    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_app_user_sub_customer_id_sub_customer'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_app_user_sub_customer_id'))
        batch_op.drop_column('sub_customer_id')

    with op.batch_alter_table('custody_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_custody_event_violation_id'))
        batch_op.drop_index(batch_op.f('ix_custody_event_user_id'))
        batch_op.drop_index('ix_custody_event_carton_id_at')

    op.drop_table('custody_event')
    with op.batch_alter_table('sub_customer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sub_customer_region_id'))
        batch_op.drop_index(batch_op.f('ix_sub_customer_distributor_id'))

    op.drop_table('sub_customer')
