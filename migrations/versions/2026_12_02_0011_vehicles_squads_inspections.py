"""vehicles, squads, waybill inspections, HQ webhooks

The vehicle register (统一备案) and the distributors each vehicle may deliver to; waybills name
their registered vehicle; checkpoint looks at waybills; anti-diversion squads with their
salespeople, checkpoints and inspectors; webhook calls to HQ (no distributor); and the relay's
cursors, set at the newest existing inbox events so that an upgrade sends no old news.
Downgrade drops all of it (HQ webhook calls included).

Revision ID: vehicles_squads_inspections
Revises: region_label_colour
Create Date: 2026-12-02 09:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db

revision: str = 'vehicles_squads_inspections'
down_revision: str | None = 'region_label_colour'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('vehicle',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plate', sa.String(length=12), nullable=False),
    sa.Column('owner', sa.String(length=200), nullable=False),
    sa.Column('driver_name', sa.String(length=80), nullable=False),
    sa.Column('driver_phone', sa.String(length=20), nullable=False),
    sa.Column('revoked_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoke_reason', sa.String(length=300), nullable=True),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vehicle')),
    sa.UniqueConstraint('plate', name=op.f('uq_vehicle_plate'))
    )
    op.create_table('webhook_relay_cursor',
    sa.Column('source', sa.String(length=40), nullable=False),
    sa.Column('last_id', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('source', name=op.f('pk_webhook_relay_cursor'))
    )
    op.create_table('squad',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('leader_distributor_id', sa.Integer(), nullable=False),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['leader_distributor_id'], ['distributor.id'], name=op.f('fk_squad_leader_distributor_id_distributor')),
    sa.ForeignKeyConstraint(['region_id'], ['region.id'], name=op.f('fk_squad_region_id_region')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_squad')),
    sa.UniqueConstraint('code', name=op.f('uq_squad_code')),
    sa.UniqueConstraint('region_id', name=op.f('uq_squad_region_id'))
    )
    with op.batch_alter_table('squad', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_squad_leader_distributor_id'), ['leader_distributor_id'], unique=False)

    op.create_table('vehicle_distributor',
    sa.Column('vehicle_id', sa.Integer(), nullable=False),
    sa.Column('distributor_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['distributor_id'], ['distributor.id'], name=op.f('fk_vehicle_distributor_distributor_id_distributor')),
    sa.ForeignKeyConstraint(['vehicle_id'], ['vehicle.id'], name=op.f('fk_vehicle_distributor_vehicle_id_vehicle'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('vehicle_id', 'distributor_id', name=op.f('pk_vehicle_distributor'))
    )
    with op.batch_alter_table('vehicle_distributor', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vehicle_distributor_distributor_id'), ['distributor_id'], unique=False)

    op.create_table('squad_checkpoint',
    sa.Column('squad_id', sa.Integer(), nullable=False),
    sa.Column('checkpoint_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['checkpoint_id'], ['checkpoint.id'], name=op.f('fk_squad_checkpoint_checkpoint_id_checkpoint')),
    sa.ForeignKeyConstraint(['squad_id'], ['squad.id'], name=op.f('fk_squad_checkpoint_squad_id_squad'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('checkpoint_id', name=op.f('pk_squad_checkpoint'))
    )
    with op.batch_alter_table('squad_checkpoint', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_squad_checkpoint_squad_id'), ['squad_id'], unique=False)

    op.create_table('squad_salesperson',
    sa.Column('squad_id', sa.Integer(), nullable=False),
    sa.Column('salesperson_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['salesperson_id'], ['salesperson.id'], name=op.f('fk_squad_salesperson_salesperson_id_salesperson')),
    sa.ForeignKeyConstraint(['squad_id'], ['squad.id'], name=op.f('fk_squad_salesperson_squad_id_squad'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('squad_id', 'salesperson_id', name=op.f('pk_squad_salesperson'))
    )
    with op.batch_alter_table('squad_salesperson', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_squad_salesperson_salesperson_id'), ['salesperson_id'], unique=False)

    op.create_table('squad_inspector',
    sa.Column('squad_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['squad_id'], ['squad.id'], name=op.f('fk_squad_inspector_squad_id_squad'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_squad_inspector_user_id_app_user')),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_squad_inspector'))
    )
    with op.batch_alter_table('squad_inspector', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_squad_inspector_squad_id'), ['squad_id'], unique=False)

    op.create_table('waybill_inspection',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('waybill_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('checkpoint_id', sa.Integer(), nullable=True),
    sa.Column('seen_plate', sa.String(length=20), nullable=False),
    sa.Column('verdict', sa.String(length=30), nullable=False),
    sa.Column('findings', sa.String(length=200), nullable=False),
    sa.Column('at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['checkpoint_id'], ['checkpoint.id'], name=op.f('fk_waybill_inspection_checkpoint_id_checkpoint')),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_waybill_inspection_user_id_app_user')),
    sa.ForeignKeyConstraint(['waybill_id'], ['waybill.id'], name=op.f('fk_waybill_inspection_waybill_id_waybill')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_waybill_inspection'))
    )
    with op.batch_alter_table('waybill_inspection', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_waybill_inspection_at'), ['at'], unique=False)
        batch_op.create_index('ix_waybill_inspection_checkpoint_at', ['checkpoint_id', 'at'], unique=False)
        batch_op.create_index(batch_op.f('ix_waybill_inspection_user_id'), ['user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_waybill_inspection_waybill_id'), ['waybill_id'], unique=False)

    with op.batch_alter_table('waybill', schema=None) as batch_op:
        batch_op.add_column(sa.Column('vehicle_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_waybill_vehicle_id'), ['vehicle_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_waybill_vehicle_id_vehicle'), 'vehicle', ['vehicle_id'], ['id'])

    with op.batch_alter_table('webhook_delivery', schema=None) as batch_op:
        batch_op.alter_column('distributor_id',
               existing_type=sa.INTEGER(),
               nullable=True)

    # Inbox events already in the database were never webhooks: start after them.
    cursor = sa.table('webhook_relay_cursor', sa.column('source', sa.String), sa.column('last_id', sa.BigInteger))
    conn = op.get_bind()
    for source, table in (('violation_event', 'violation_event'), ('consumer_signal', 'consumer_signal')):
        last = conn.execute(sa.text(f'SELECT COALESCE(MAX(id), 0) FROM {table}')).scalar() or 0
        op.bulk_insert(cursor, [{'source': source, 'last_id': int(last)}])


def downgrade() -> None:
    op.execute('DELETE FROM webhook_delivery WHERE distributor_id IS NULL')
    with op.batch_alter_table('webhook_delivery', schema=None) as batch_op:
        batch_op.alter_column('distributor_id',
               existing_type=sa.INTEGER(),
               nullable=False)

    with op.batch_alter_table('waybill', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_waybill_vehicle_id_vehicle'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_waybill_vehicle_id'))
        batch_op.drop_column('vehicle_id')

    with op.batch_alter_table('waybill_inspection', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_waybill_inspection_waybill_id'))
        batch_op.drop_index(batch_op.f('ix_waybill_inspection_user_id'))
        batch_op.drop_index('ix_waybill_inspection_checkpoint_at')
        batch_op.drop_index(batch_op.f('ix_waybill_inspection_at'))

    op.drop_table('waybill_inspection')
    with op.batch_alter_table('squad_inspector', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_squad_inspector_squad_id'))

    op.drop_table('squad_inspector')
    with op.batch_alter_table('squad_salesperson', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_squad_salesperson_salesperson_id'))

    op.drop_table('squad_salesperson')
    with op.batch_alter_table('squad_checkpoint', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_squad_checkpoint_squad_id'))

    op.drop_table('squad_checkpoint')
    with op.batch_alter_table('vehicle_distributor', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_vehicle_distributor_distributor_id'))

    op.drop_table('vehicle_distributor')
    with op.batch_alter_table('squad', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_squad_leader_distributor_id'))

    op.drop_table('squad')
    op.drop_table('webhook_relay_cursor')
    op.drop_table('vehicle')
