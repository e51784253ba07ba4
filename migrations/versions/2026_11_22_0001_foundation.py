"""foundation: users and tokens, regions, parties, products, checkpoints, audit chain

Revision ID: 0001
Revises: 
Create Date: 2026-11-22 13:29:17.066380
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db
from app.dbguards import drop_append_only, make_append_only

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('audit_entry',
    sa.Column('seq', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=80), nullable=False),
    sa.Column('action', sa.String(length=80), nullable=False),
    sa.Column('entity_type', sa.String(length=40), nullable=False),
    sa.Column('entity_key', sa.String(length=80), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_audit_entry')),
    sa.UniqueConstraint('hash', name=op.f('uq_audit_entry_hash')),
    sa.UniqueConstraint('prev_hash', name=op.f('uq_audit_entry_prev_hash'))
    )
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_entry_entity_key'), ['entity_key'], unique=False)
    make_append_only('audit_entry')

    op.create_table('product',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('gtin', sa.String(length=14), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('units_per_carton', sa.Integer(), nullable=False),
    sa.Column('carton_value_fen', sa.BigInteger(), nullable=False),
    sa.Column('price_floors_fen', sa.JSON(), nullable=False),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_product')),
    sa.UniqueConstraint('gtin', name=op.f('uq_product_gtin'))
    )
    op.create_table('region',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.Enum('home_base', 'stronghold', 'contested', 'guerrilla', name='regionkind', native_enum=False, length=20), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('boundary', sa.JSON(), nullable=True),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['parent_id'], ['region.id'], name=op.f('fk_region_parent_id_region')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_region')),
    sa.UniqueConstraint('code', name=op.f('uq_region_code'))
    )
    with op.batch_alter_table('region', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_region_parent_id'), ['parent_id'], unique=False)

    op.create_table('checkpoint',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('lat', sa.Double(), nullable=True),
    sa.Column('lon', sa.Double(), nullable=True),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['region_id'], ['region.id'], name=op.f('fk_checkpoint_region_id_region')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checkpoint')),
    sa.UniqueConstraint('code', name=op.f('uq_checkpoint_code'))
    )
    with op.batch_alter_table('checkpoint', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_checkpoint_region_id'), ['region_id'], unique=False)

    op.create_table('salesperson',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('agreement_signed_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['region_id'], ['region.id'], name=op.f('fk_salesperson_region_id_region')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_salesperson')),
    sa.UniqueConstraint('code', name=op.f('uq_salesperson_code'))
    )
    with op.batch_alter_table('salesperson', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_salesperson_region_id'), ['region_id'], unique=False)

    op.create_table('distributor',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('tier', sa.Enum('wholesale_1', 'wholesale_2', 'terminal_wholesale', 'retail', name='tier', native_enum=False, length=20), nullable=False),
    sa.Column('salesperson_id', sa.Integer(), nullable=False),
    sa.Column('agreement_signed_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('webhook_url', sa.String(length=500), nullable=True),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['salesperson_id'], ['salesperson.id'], name=op.f('fk_distributor_salesperson_id_salesperson')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_distributor')),
    sa.UniqueConstraint('code', name=op.f('uq_distributor_code'))
    )
    with op.batch_alter_table('distributor', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_distributor_salesperson_id'), ['salesperson_id'], unique=False)

    op.create_table('app_user',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=80), nullable=False),
    sa.Column('role', sa.Enum('admin', 'hq_auditor', 'inspector', 'distributor', 'salesperson', name='role', native_enum=False, length=20), nullable=False),
    sa.Column('distributor_id', sa.Integer(), nullable=True),
    sa.Column('salesperson_id', sa.Integer(), nullable=True),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('disabled_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['distributor_id'], ['distributor.id'], name=op.f('fk_app_user_distributor_id_distributor')),
    sa.ForeignKeyConstraint(['salesperson_id'], ['salesperson.id'], name=op.f('fk_app_user_salesperson_id_salesperson')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_app_user')),
    sa.UniqueConstraint('username', name=op.f('uq_app_user_username'))
    )
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_app_user_distributor_id'), ['distributor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_app_user_salesperson_id'), ['salesperson_id'], unique=False)

    op.create_table('distributor_region',
    sa.Column('distributor_id', sa.Integer(), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['distributor_id'], ['distributor.id'], name=op.f('fk_distributor_region_distributor_id_distributor'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['region_id'], ['region.id'], name=op.f('fk_distributor_region_region_id_region')),
    sa.PrimaryKeyConstraint('distributor_id', 'region_id', name=op.f('pk_distributor_region'))
    )
    with op.batch_alter_table('distributor_region', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_distributor_region_region_id'), ['region_id'], unique=False)

    op.create_table('api_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=12), nullable=False),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_api_token_user_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_token')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_token_token_hash'))
    )
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_token_user_id'), ['user_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_token_user_id'))

    op.drop_table('api_token')
    with op.batch_alter_table('distributor_region', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_distributor_region_region_id'))

    op.drop_table('distributor_region')
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_app_user_salesperson_id'))
        batch_op.drop_index(batch_op.f('ix_app_user_distributor_id'))

    op.drop_table('app_user')
    with op.batch_alter_table('distributor', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_distributor_salesperson_id'))

    op.drop_table('distributor')
    with op.batch_alter_table('salesperson', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_salesperson_region_id'))

    op.drop_table('salesperson')
    with op.batch_alter_table('checkpoint', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_checkpoint_region_id'))

    op.drop_table('checkpoint')
    with op.batch_alter_table('region', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_region_parent_id'))

    op.drop_table('region')
    op.drop_table('product')
    drop_append_only('audit_entry')
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_entry_entity_key'))

    op.drop_table('audit_entry')
