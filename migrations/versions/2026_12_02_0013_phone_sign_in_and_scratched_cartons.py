"""phone sign-in links and sessions; scratched-off cartons

API tokens gain a kind (`api` for machines, `session` for a phone signed in by a one-time link),
an expiry and who issued them; `sign_in_ticket` keeps the one-time links (hashed);
`scratched_carton` keeps inspectors' records of cartons whose codes were scratched off (刮码).
Downgrade drops the two tables and the columns: sessions then become tokens that never expire,
so they are revoked first.

Revision ID: phone_signin_scratched
Revises: price_cases_direct_accounts
Create Date: 2026-12-02 09:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db

revision: str = 'phone_signin_scratched'
down_revision: str | None = 'price_cases_direct_accounts'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('api_token') as batch:
        batch.add_column(sa.Column('kind', sa.String(length=10), server_default='api', nullable=False))
        batch.add_column(sa.Column('expires_at', app.db.UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('issued_by', sa.String(length=80), nullable=True))
    op.create_table('sign_in_ticket',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('ticket_hash', sa.String(length=64), nullable=False),
    sa.Column('issued_by', sa.String(length=80), nullable=False),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('session_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_sign_in_ticket_user_id_app_user')),
    sa.ForeignKeyConstraint(['session_id'], ['api_token.id'], name=op.f('fk_sign_in_ticket_session_id_api_token')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sign_in_ticket')),
    sa.UniqueConstraint('ticket_hash', name=op.f('uq_sign_in_ticket_ticket_hash'))
    )
    op.create_index(op.f('ix_sign_in_ticket_user_id'), 'sign_in_ticket', ['user_id'], unique=False)
    big = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
    op.create_table('scratched_carton',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('observed_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('recorded_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('checkpoint_id', sa.Integer(), nullable=True),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('lat', sa.Double(), nullable=True),
    sa.Column('lon', sa.Double(), nullable=True),
    sa.Column('product_id', sa.Integer(), nullable=True),
    sa.Column('carton_count', sa.Integer(), nullable=False),
    sa.Column('observed_price_fen', sa.BigInteger(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('photo_sha256s', sa.JSON(), nullable=False),
    sa.Column('item_payload', sa.Text(), nullable=True),
    sa.Column('scan_id', big, nullable=True),
    sa.Column('carton_id', big, nullable=True),
    sa.Column('verdict', sa.String(length=12), nullable=True),
    sa.Column('idempotency_key', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_scratched_carton_user_id_app_user')),
    sa.ForeignKeyConstraint(['checkpoint_id'], ['checkpoint.id'], name=op.f('fk_scratched_carton_checkpoint_id_checkpoint')),
    sa.ForeignKeyConstraint(['region_id'], ['region.id'], name=op.f('fk_scratched_carton_region_id_region')),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_scratched_carton_product_id_product')),
    sa.ForeignKeyConstraint(['scan_id'], ['scan.id'], name=op.f('fk_scratched_carton_scan_id_scan')),
    sa.ForeignKeyConstraint(['carton_id'], ['carton.id'], name=op.f('fk_scratched_carton_carton_id_carton')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scratched_carton')),
    sa.UniqueConstraint('user_id', 'idempotency_key', name=op.f('uq_scratched_carton_user_id'))
    )
    op.create_index(op.f('ix_scratched_carton_user_id'), 'scratched_carton', ['user_id'], unique=False)
    op.create_index(op.f('ix_scratched_carton_region_id'), 'scratched_carton', ['region_id'], unique=False)
    op.create_index(op.f('ix_scratched_carton_carton_id'), 'scratched_carton', ['carton_id'], unique=False)


def downgrade() -> None:
    op.drop_table('scratched_carton')
    op.drop_table('sign_in_ticket')
    # A session must not outlive the downgrade as a token that never expires.
    op.execute(
        sa.text("UPDATE api_token SET revoked_at = CURRENT_TIMESTAMP "
                "WHERE kind = 'session' AND revoked_at IS NULL")
    )
    with op.batch_alter_table('api_token') as batch:
        batch.drop_column('issued_by')
        batch.drop_column('expires_at')
        batch.drop_column('kind')
