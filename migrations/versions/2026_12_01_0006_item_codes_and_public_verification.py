"""item codes and public verification

Item codes (bottle, cap, box) in their own table, packed into cartons; code batches say their
level (existing batches are carton batches); each carton and item counts its public
verifications; the sightings of the public verify page and the weak signals (suspected clone,
suspected diversion) they raise for HQ; a scan of an item keeps the item's serial beside its
carton's. Downgrade drops all of it, item-level batches included (their codes go with the table).

Revision ID: item_codes_public_verify
Revises: sub_customers_custody
Create Date: 2026-12-01 22:04:06.834241
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db

revision: str = 'item_codes_public_verify'
down_revision: str | None = 'sub_customers_custody'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('item_code',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('serial', sa.String(length=20), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('signature', sa.String(length=40), nullable=False),
    sa.Column('status', sa.Enum('active', 'voided', name='cartonstatus', native_enum=False, length=10), nullable=False),
    sa.Column('voided_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('void_reason', sa.String(length=200), nullable=True),
    sa.Column('carton_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('packed_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('verifications', sa.Integer(), server_default='0', nullable=False),
    sa.Column('first_verified_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['batch_id'], ['code_batch.id'], name=op.f('fk_item_code_batch_id_code_batch')),
    sa.ForeignKeyConstraint(['carton_id'], ['carton.id'], name=op.f('fk_item_code_carton_id_carton')),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_item_code_product_id_product')),
    sa.ForeignKeyConstraint(['region_id'], ['region.id'], name=op.f('fk_item_code_region_id_region')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_item_code')),
    sa.UniqueConstraint('serial', name=op.f('uq_item_code_serial'))
    )
    with op.batch_alter_table('item_code', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_item_code_batch_id'), ['batch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_item_code_carton_id'), ['carton_id'], unique=False)

    op.create_table('public_verification',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('carton_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('item_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('lat', sa.Double(), nullable=True),
    sa.Column('lon', sa.Double(), nullable=True),
    sa.Column('city_code', sa.String(length=40), nullable=True),
    sa.Column('place_region_id', sa.Integer(), nullable=True),
    sa.Column('placed_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['carton_id'], ['carton.id'], name=op.f('fk_public_verification_carton_id_carton')),
    sa.ForeignKeyConstraint(['item_id'], ['item_code.id'], name=op.f('fk_public_verification_item_id_item_code')),
    sa.ForeignKeyConstraint(['place_region_id'], ['region.id'], name=op.f('fk_public_verification_place_region_id_region')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_public_verification'))
    )
    with op.batch_alter_table('public_verification', schema=None) as batch_op:
        batch_op.create_index('ix_public_verification_carton_id_at', ['carton_id', 'at'], unique=False)
        batch_op.create_index('ix_public_verification_item_id_at', ['item_id', 'at'], unique=False)

    op.create_table('consumer_signal',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.Enum('clone_suspected', 'out_of_region', name='consumersignalkind', native_enum=False, length=20), nullable=False),
    sa.Column('carton_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('item_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('verification_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('code_region_id', sa.Integer(), nullable=False),
    sa.Column('place_region_id', sa.Integer(), nullable=True),
    sa.Column('lat', sa.Double(), nullable=True),
    sa.Column('lon', sa.Double(), nullable=True),
    sa.Column('at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('rule', sa.String(length=40), nullable=False),
    sa.Column('policy_version', sa.String(length=40), nullable=False),
    sa.Column('detail', sa.String(length=300), nullable=False),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['carton_id'], ['carton.id'], name=op.f('fk_consumer_signal_carton_id_carton')),
    sa.ForeignKeyConstraint(['code_region_id'], ['region.id'], name=op.f('fk_consumer_signal_code_region_id_region')),
    sa.ForeignKeyConstraint(['item_id'], ['item_code.id'], name=op.f('fk_consumer_signal_item_id_item_code')),
    sa.ForeignKeyConstraint(['place_region_id'], ['region.id'], name=op.f('fk_consumer_signal_place_region_id_region')),
    sa.ForeignKeyConstraint(['verification_id'], ['public_verification.id'], name=op.f('fk_consumer_signal_verification_id_public_verification')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consumer_signal'))
    )
    with op.batch_alter_table('consumer_signal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consumer_signal_carton_id'), ['carton_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_consumer_signal_code_region_id'), ['code_region_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_consumer_signal_item_id'), ['item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_consumer_signal_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_consumer_signal_place_region_id'), ['place_region_id'], unique=False)

    with op.batch_alter_table('carton', schema=None) as batch_op:
        batch_op.add_column(sa.Column('verifications', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('first_verified_at', app.db.UTCDateTime(timezone=True), nullable=True))

    with op.batch_alter_table('code_batch', schema=None) as batch_op:
        batch_op.add_column(sa.Column('level', sa.Enum('carton', 'item', name='codelevel', native_enum=False, length=10), server_default='carton', nullable=False))

    with op.batch_alter_table('scan', schema=None) as batch_op:
        batch_op.add_column(sa.Column('item_serial', sa.String(length=20), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('consumer_signal', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consumer_signal_place_region_id'))
        batch_op.drop_index(batch_op.f('ix_consumer_signal_kind'))
        batch_op.drop_index(batch_op.f('ix_consumer_signal_item_id'))
        batch_op.drop_index(batch_op.f('ix_consumer_signal_code_region_id'))
        batch_op.drop_index(batch_op.f('ix_consumer_signal_carton_id'))

    op.drop_table('consumer_signal')
    with op.batch_alter_table('public_verification', schema=None) as batch_op:
        batch_op.drop_index('ix_public_verification_item_id_at')
        batch_op.drop_index('ix_public_verification_carton_id_at')

    op.drop_table('public_verification')
    with op.batch_alter_table('item_code', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_item_code_carton_id'))
        batch_op.drop_index(batch_op.f('ix_item_code_batch_id'))

    op.drop_table('item_code')
    # Their codes are gone: without the level column they would read as empty carton batches.
    op.execute("DELETE FROM code_batch WHERE level = 'item'")
    # Plain ALTER TABLE … DROP COLUMN (SQLite 3.35+): a batch copy of code_batch or carton would
    # have to drop a table that other tables' foreign keys point at.
    op.drop_column('code_batch', 'level')
    op.drop_column('scan', 'item_serial')
    op.drop_column('carton', 'first_verified_at')
    op.drop_column('carton', 'verifications')
