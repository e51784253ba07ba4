"""codes, waybills, scans, violations and the double-entry ledger

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 13:37:20.028008
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db
from app.dbguards import (
    drop_append_only,
    drop_ledger_balance_guard,
    make_append_only,
    make_ledger_balance_guard,
)

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('journal_entry',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('posted_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('cause_type', sa.String(length=30), nullable=False),
    sa.Column('cause_key', sa.String(length=80), nullable=False),
    sa.Column('reverses_entry_id', sa.String(length=32), nullable=True),
    sa.Column('rule', sa.String(length=60), nullable=False),
    sa.Column('policy_version', sa.String(length=40), nullable=False),
    sa.Column('memo', sa.String(length=300), nullable=False),
    sa.Column('actor', sa.String(length=80), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_journal_entry')),
    sa.UniqueConstraint('cause_type', 'cause_key', name=op.f('uq_journal_entry_cause_type'))
    )
    with op.batch_alter_table('journal_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_journal_entry_period'), ['period'], unique=False)

    op.create_table('ledger_account',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('party_type', sa.Enum('distributor', 'salesperson', 'system', name='partytype', native_enum=False, length=12), nullable=False),
    sa.Column('party_code', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.Enum('credited_sales', 'fines', 'system', name='accountkind', native_enum=False, length=16), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_account')),
    sa.UniqueConstraint('party_type', 'party_code', 'kind', name=op.f('uq_ledger_account_party_type'))
    )
    op.create_table('pallet',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sscc', sa.String(length=18), nullable=False),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pallet')),
    sa.UniqueConstraint('sscc', name=op.f('uq_pallet_sscc'))
    )
    op.create_table('photo',
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('content_type', sa.String(length=40), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('sha256', name=op.f('pk_photo'))
    )
    op.create_table('code_batch',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('key_id', sa.String(length=8), nullable=False),
    sa.Column('created_by', sa.String(length=80), nullable=False),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_code_batch_product_id_product')),
    sa.ForeignKeyConstraint(['region_id'], ['region.id'], name=op.f('fk_code_batch_region_id_region')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_code_batch'))
    )
    with op.batch_alter_table('code_batch', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_code_batch_product_id'), ['product_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_code_batch_region_id'), ['region_id'], unique=False)

    op.create_table('journal_line',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('entry_id', sa.String(length=32), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('role', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['ledger_account.id'], name=op.f('fk_journal_line_account_id_ledger_account')),
    sa.ForeignKeyConstraint(['entry_id'], ['journal_entry.id'], name=op.f('fk_journal_line_entry_id_journal_entry'), initially='DEFERRED', deferrable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_journal_line'))
    )
    with op.batch_alter_table('journal_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_journal_line_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_journal_line_entry_id'), ['entry_id'], unique=False)

    op.create_table('carton',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('serial', sa.String(length=20), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('signature', sa.String(length=40), nullable=False),
    sa.Column('status', sa.Enum('active', 'voided', name='cartonstatus', native_enum=False, length=10), nullable=False),
    sa.Column('voided_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('void_reason', sa.String(length=200), nullable=True),
    sa.Column('pallet_id', sa.Integer(), nullable=True),
    sa.Column('distributor_id', sa.Integer(), nullable=True),
    sa.Column('delivered_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['batch_id'], ['code_batch.id'], name=op.f('fk_carton_batch_id_code_batch')),
    sa.ForeignKeyConstraint(['distributor_id'], ['distributor.id'], name=op.f('fk_carton_distributor_id_distributor')),
    sa.ForeignKeyConstraint(['pallet_id'], ['pallet.id'], name=op.f('fk_carton_pallet_id_pallet')),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_carton_product_id_product')),
    sa.ForeignKeyConstraint(['region_id'], ['region.id'], name=op.f('fk_carton_region_id_region')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_carton')),
    sa.UniqueConstraint('serial', name=op.f('uq_carton_serial'))
    )
    with op.batch_alter_table('carton', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_carton_batch_id'), ['batch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_carton_distributor_id'), ['distributor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_carton_pallet_id'), ['pallet_id'], unique=False)

    op.create_table('violation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('diversion', 'cloned', name='violationkind', native_enum=False, length=12), nullable=False),
    sa.Column('status', sa.Enum('open', 'appealed', 'confirmed', 'dismissed', 'reversed', name='violationstatus', native_enum=False, length=12), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('diverting_distributor_id', sa.Integer(), nullable=True),
    sa.Column('diverting_salesperson_id', sa.Integer(), nullable=True),
    sa.Column('invaded_distributor_id', sa.Integer(), nullable=True),
    sa.Column('invaded_salesperson_id', sa.Integer(), nullable=True),
    sa.Column('cartons', sa.Integer(), nullable=False),
    sa.Column('value_fen', sa.BigInteger(), nullable=False),
    sa.Column('detected_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('policy_version', sa.String(length=40), nullable=False),
    sa.Column('advisory', sa.Boolean(), nullable=False),
    sa.Column('fine_fen', sa.BigInteger(), nullable=True),
    sa.Column('fine_reason', sa.String(length=300), nullable=True),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['diverting_distributor_id'], ['distributor.id'], name=op.f('fk_violation_diverting_distributor_id_distributor')),
    sa.ForeignKeyConstraint(['diverting_salesperson_id'], ['salesperson.id'], name=op.f('fk_violation_diverting_salesperson_id_salesperson')),
    sa.ForeignKeyConstraint(['invaded_distributor_id'], ['distributor.id'], name=op.f('fk_violation_invaded_distributor_id_distributor')),
    sa.ForeignKeyConstraint(['invaded_salesperson_id'], ['salesperson.id'], name=op.f('fk_violation_invaded_salesperson_id_salesperson')),
    sa.ForeignKeyConstraint(['region_id'], ['region.id'], name=op.f('fk_violation_region_id_region')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_violation'))
    )
    with op.batch_alter_table('violation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_violation_diverting_distributor_id'), ['diverting_distributor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_violation_diverting_salesperson_id'), ['diverting_salesperson_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_violation_invaded_distributor_id'), ['invaded_distributor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_violation_invaded_salesperson_id'), ['invaded_salesperson_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_violation_region_id'), ['region_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_violation_status'), ['status'], unique=False)

    op.create_table('waybill',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=40), nullable=False),
    sa.Column('vehicle_plate', sa.String(length=20), nullable=False),
    sa.Column('driver', sa.String(length=80), nullable=True),
    sa.Column('dispatched_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expected_arrival', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('destination_distributor_id', sa.Integer(), nullable=False),
    sa.Column('salesperson_id', sa.Integer(), nullable=False),
    sa.Column('issuer', sa.String(length=80), nullable=False),
    sa.Column('status', sa.Enum('active', 'delivered', 'cancelled', name='waybillstatus', native_enum=False, length=10), nullable=False),
    sa.Column('delivered_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_by', sa.String(length=80), nullable=False),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['destination_distributor_id'], ['distributor.id'], name=op.f('fk_waybill_destination_distributor_id_distributor')),
    sa.ForeignKeyConstraint(['salesperson_id'], ['salesperson.id'], name=op.f('fk_waybill_salesperson_id_salesperson')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_waybill')),
    sa.UniqueConstraint('number', name=op.f('uq_waybill_number'))
    )
    with op.batch_alter_table('waybill', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_waybill_destination_distributor_id'), ['destination_distributor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_waybill_salesperson_id'), ['salesperson_id'], unique=False)

    op.create_table('webhook_delivery',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('distributor_id', sa.Integer(), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=False),
    sa.Column('event', sa.String(length=40), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('delivered_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['distributor_id'], ['distributor.id'], name=op.f('fk_webhook_delivery_distributor_id_distributor')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_delivery'))
    )
    with op.batch_alter_table('webhook_delivery', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_webhook_delivery_distributor_id'), ['distributor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_webhook_delivery_next_attempt_at'), ['next_attempt_at'], unique=False)

    op.create_table('idempotency_key',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('response', sa.JSON(), nullable=True),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_idempotency_key_user_id_app_user')),
    sa.PrimaryKeyConstraint('user_id', 'key', name=op.f('pk_idempotency_key'))
    )
    op.create_table('notification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('read_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_notification_user_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification'))
    )
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notification_user_id'), ['user_id'], unique=False)

    op.create_table('scan',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('scanned_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('received_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('serial', sa.String(length=20), nullable=True),
    sa.Column('carton_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('pallet_id', sa.Integer(), nullable=True),
    sa.Column('checkpoint_id', sa.Integer(), nullable=True),
    sa.Column('region_id', sa.Integer(), nullable=True),
    sa.Column('lat', sa.Double(), nullable=True),
    sa.Column('lon', sa.Double(), nullable=True),
    sa.Column('observed_price_fen', sa.BigInteger(), nullable=True),
    sa.Column('device_id', sa.String(length=80), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('verdict', sa.String(length=12), nullable=False),
    sa.Column('rule', sa.String(length=40), nullable=False),
    sa.Column('policy_version', sa.String(length=40), nullable=False),
    sa.Column('findings', sa.JSON(), nullable=False),
    sa.Column('detail', sa.String(length=300), nullable=True),
    sa.Column('photo_sha256', sa.String(length=64), nullable=True),
    sa.Column('violation_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['carton_id'], ['carton.id'], name=op.f('fk_scan_carton_id_carton')),
    sa.ForeignKeyConstraint(['checkpoint_id'], ['checkpoint.id'], name=op.f('fk_scan_checkpoint_id_checkpoint')),
    sa.ForeignKeyConstraint(['pallet_id'], ['pallet.id'], name=op.f('fk_scan_pallet_id_pallet')),
    sa.ForeignKeyConstraint(['photo_sha256'], ['photo.sha256'], name=op.f('fk_scan_photo_sha256_photo')),
    sa.ForeignKeyConstraint(['region_id'], ['region.id'], name=op.f('fk_scan_region_id_region')),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_scan_user_id_app_user')),
    sa.ForeignKeyConstraint(['violation_id'], ['violation.id'], name=op.f('fk_scan_violation_id_violation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scan'))
    )
    with op.batch_alter_table('scan', schema=None) as batch_op:
        batch_op.create_index('ix_scan_carton_id_scanned_at', ['carton_id', 'scanned_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_scan_checkpoint_id'), ['checkpoint_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_scan_pallet_id'), ['pallet_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_scan_region_id'), ['region_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_scan_user_id'), ['user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_scan_verdict'), ['verdict'], unique=False)
        batch_op.create_index(batch_op.f('ix_scan_violation_id'), ['violation_id'], unique=False)

    op.create_table('violation_carton',
    sa.Column('violation_id', sa.Integer(), nullable=False),
    sa.Column('carton_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['carton_id'], ['carton.id'], name=op.f('fk_violation_carton_carton_id_carton')),
    sa.ForeignKeyConstraint(['violation_id'], ['violation.id'], name=op.f('fk_violation_carton_violation_id_violation')),
    sa.PrimaryKeyConstraint('violation_id', 'carton_id', name=op.f('pk_violation_carton'))
    )
    with op.batch_alter_table('violation_carton', schema=None) as batch_op:
        batch_op.create_index('uq_violation_carton_active', ['carton_id'], unique=True, sqlite_where=sa.text('active'), postgresql_where=sa.text('active'))

    op.create_table('violation_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('violation_id', sa.Integer(), nullable=False),
    sa.Column('from_status', sa.String(length=12), nullable=True),
    sa.Column('to_status', sa.String(length=12), nullable=False),
    sa.Column('actor', sa.String(length=80), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('evidence', sa.Text(), nullable=True),
    sa.Column('at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['violation_id'], ['violation.id'], name=op.f('fk_violation_event_violation_id_violation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_violation_event'))
    )
    with op.batch_alter_table('violation_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_violation_event_violation_id'), ['violation_id'], unique=False)

    op.create_table('waybill_carton',
    sa.Column('waybill_id', sa.Integer(), nullable=False),
    sa.Column('carton_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['carton_id'], ['carton.id'], name=op.f('fk_waybill_carton_carton_id_carton')),
    sa.ForeignKeyConstraint(['waybill_id'], ['waybill.id'], name=op.f('fk_waybill_carton_waybill_id_waybill')),
    sa.PrimaryKeyConstraint('waybill_id', 'carton_id', name=op.f('pk_waybill_carton'))
    )
    with op.batch_alter_table('waybill_carton', schema=None) as batch_op:
        batch_op.create_index('uq_waybill_carton_active', ['carton_id'], unique=True, sqlite_where=sa.text('active'), postgresql_where=sa.text('active'))

    op.create_table('waybill_stop',
    sa.Column('waybill_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['region_id'], ['region.id'], name=op.f('fk_waybill_stop_region_id_region')),
    sa.ForeignKeyConstraint(['waybill_id'], ['waybill.id'], name=op.f('fk_waybill_stop_waybill_id_waybill')),
    sa.PrimaryKeyConstraint('waybill_id', 'seq', name=op.f('pk_waybill_stop'))
    )
    with op.batch_alter_table('waybill_stop', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_waybill_stop_region_id'), ['region_id'], unique=False)


    make_append_only('journal_line')
    make_append_only('journal_entry')
    make_append_only('scan')
    make_ledger_balance_guard()


def downgrade() -> None:
    drop_ledger_balance_guard()
    for table in ('scan', 'journal_entry', 'journal_line'):
        drop_append_only(table)
    with op.batch_alter_table('waybill_stop', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_waybill_stop_region_id'))

    op.drop_table('waybill_stop')
    with op.batch_alter_table('waybill_carton', schema=None) as batch_op:
        batch_op.drop_index('uq_waybill_carton_active', sqlite_where=sa.text('active'), postgresql_where=sa.text('active'))

    op.drop_table('waybill_carton')
    with op.batch_alter_table('violation_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_violation_event_violation_id'))

    op.drop_table('violation_event')
    with op.batch_alter_table('violation_carton', schema=None) as batch_op:
        batch_op.drop_index('uq_violation_carton_active', sqlite_where=sa.text('active'), postgresql_where=sa.text('active'))

    op.drop_table('violation_carton')
    with op.batch_alter_table('scan', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scan_violation_id'))
        batch_op.drop_index(batch_op.f('ix_scan_verdict'))
        batch_op.drop_index(batch_op.f('ix_scan_user_id'))
        batch_op.drop_index(batch_op.f('ix_scan_region_id'))
        batch_op.drop_index(batch_op.f('ix_scan_pallet_id'))
        batch_op.drop_index(batch_op.f('ix_scan_checkpoint_id'))
        batch_op.drop_index('ix_scan_carton_id_scanned_at')

    op.drop_table('scan')
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notification_user_id'))

    op.drop_table('notification')
    op.drop_table('idempotency_key')
    with op.batch_alter_table('webhook_delivery', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_webhook_delivery_next_attempt_at'))
        batch_op.drop_index(batch_op.f('ix_webhook_delivery_distributor_id'))

    op.drop_table('webhook_delivery')
    with op.batch_alter_table('waybill', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_waybill_salesperson_id'))
        batch_op.drop_index(batch_op.f('ix_waybill_destination_distributor_id'))

    op.drop_table('waybill')
    with op.batch_alter_table('violation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_violation_status'))
        batch_op.drop_index(batch_op.f('ix_violation_region_id'))
        batch_op.drop_index(batch_op.f('ix_violation_invaded_salesperson_id'))
        batch_op.drop_index(batch_op.f('ix_violation_invaded_distributor_id'))
        batch_op.drop_index(batch_op.f('ix_violation_diverting_salesperson_id'))
        batch_op.drop_index(batch_op.f('ix_violation_diverting_distributor_id'))

    op.drop_table('violation')
    with op.batch_alter_table('carton', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_carton_pallet_id'))
        batch_op.drop_index(batch_op.f('ix_carton_distributor_id'))
        batch_op.drop_index(batch_op.f('ix_carton_batch_id'))

    op.drop_table('carton')
    with op.batch_alter_table('journal_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_journal_line_entry_id'))
        batch_op.drop_index(batch_op.f('ix_journal_line_account_id'))

    op.drop_table('journal_line')
    with op.batch_alter_table('code_batch', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_code_batch_region_id'))
        batch_op.drop_index(batch_op.f('ix_code_batch_product_id'))

    op.drop_table('code_batch')
    op.drop_table('photo')
    op.drop_table('pallet')
    op.drop_table('ledger_account')
    with op.batch_alter_table('journal_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_journal_entry_period'))

    op.drop_table('journal_entry')
