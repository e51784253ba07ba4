"""public verifications partitioned by month on PostgreSQL

Every scan of a bottle's cap QR on the public page leaves a sighting in `public_verification`:
the busiest table after `scan`, and like it only ever appended to and read by recent month. On
PostgreSQL it becomes a table partitioned by range of `at` (calendar months in UTC), as `scan`
did in `scan_monthly_partitions`: one partition for every month that holds sightings, this month
and the next three, and `public_verification_default` for anything else, so that no sighting is
ever refused. The primary key becomes (id, at), as PostgreSQL requires; `id` stays unique
through the same sequence. Indexes, foreign keys and triggers are read from the catalog and
declared again on the parent, so they cover every partition (app/partitions creates the months
ahead, lists them and detaches past ones).

A partitioned table can only be referenced through its whole key, so the foreign key from
`consumer_signal.verification_id` goes (on both databases, so the models match): the column
keeps the sighting's id, and a signal carries its own carton, place and time besides.

Downgrade puts every attached partition's rows back into a plain table with the key (id).
Partitions detached for archive are not part of the table any more and stay as they are.
SQLite: only the foreign key changes.

Revision ID: public_verification_partitions
Revises: scan_monthly_partitions
Create Date: 2026-12-02 14:00:00
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from alembic import op
from sqlalchemy import text
from sqlalchemy.engine import Connection

revision: str = 'public_verification_partitions'
down_revision: str | None = 'scan_monthly_partitions'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = 'public_verification'
COLUMN = 'at'
OLD = 'public_verification_unpartitioned'
MONTHS_AHEAD = 3
SIGNAL_FK = 'fk_consumer_signal_verification_id_public_verification'


def _definitions(conn: Connection, table: str) -> dict[str, list[str]]:
    """What must be declared again on the new table: its key, indexes, foreign keys, triggers."""
    oid = {'t': table}
    pk = conn.execute(text(
        "SELECT conname FROM pg_constraint WHERE conrelid = to_regclass(:t) AND contype = 'p'"
    ), oid).scalar_one()
    indexes = conn.execute(text(
        "SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i "
        "JOIN pg_class c ON c.oid = i.indexrelid "
        "WHERE i.indrelid = to_regclass(:t) AND NOT i.indisprimary ORDER BY c.relname"
    ), oid).scalars().all()
    fks = [f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}" for name, definition in
           conn.execute(text(
               "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
               "WHERE conrelid = to_regclass(:t) AND contype = 'f' ORDER BY conname"
           ), oid).all()]
    triggers = conn.execute(text(
        "SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE tgrelid = to_regclass(:t) "
        "AND NOT tgisinternal AND tgparentid = 0 ORDER BY tgname"
    ), oid).scalars().all()
    sequence = conn.execute(text("SELECT pg_get_serial_sequence(:t, 'id')"), oid).scalar_one()
    return {
        'pk': [pk],
        # a partitioned parent's index reads "ON ONLY": on a plain table it is the same index
        'indexes': [d.replace(' ON ONLY ', ' ON ') for d in indexes],
        'fks': list(fks),
        'triggers': list(triggers),
        'sequence': [sequence] if sequence else [],
    }


def _redeclare(conn: Connection, defs: dict[str, list[str]], key: str) -> None:
    for sequence in defs['sequence']:
        conn.execute(text(f"ALTER SEQUENCE {sequence} OWNED BY {TABLE}.id"))
    conn.execute(text(f"DROP TABLE {OLD}"))
    conn.execute(text(f"ALTER TABLE {TABLE} ADD CONSTRAINT {defs['pk'][0]} PRIMARY KEY ({key})"))
    for statement in defs['indexes'] + defs['fks'] + defs['triggers']:
        conn.execute(text(statement))


def _months(conn: Connection) -> list[tuple[int, int]]:
    """Every month that holds sightings, and this month with the next few."""
    rows = conn.execute(text(
        f"SELECT DISTINCT CAST(EXTRACT(YEAR FROM m) AS int), CAST(EXTRACT(MONTH FROM m) AS int) "
        f"FROM (SELECT date_trunc('month', {COLUMN} AT TIME ZONE 'UTC') AS m FROM {OLD}) s"
    )).all()
    now = datetime.now(UTC)
    months = {(int(y), int(m)) for y, m in rows}
    for i in range(MONTHS_AHEAD + 1):
        index = now.year * 12 + now.month - 1 + i
        months.add((index // 12, index % 12 + 1))
    return sorted(months)


def upgrade() -> None:
    with op.batch_alter_table('consumer_signal') as batch:
        batch.drop_constraint(SIGNAL_FK, type_='foreignkey')
    conn = op.get_bind()
    if conn.dialect.name != 'postgresql':
        return
    defs = _definitions(conn, TABLE)
    conn.execute(text(f"ALTER TABLE {TABLE} RENAME TO {OLD}"))
    conn.execute(text(
        f"CREATE TABLE {TABLE} (LIKE {OLD} INCLUDING DEFAULTS INCLUDING CONSTRAINTS) "
        f"PARTITION BY RANGE ({COLUMN})"
    ))
    for year, month in _months(conn):
        ny, nm = (year + 1, 1) if month == 12 else (year, month + 1)
        lo, hi = f"{year:04d}-{month:02d}-01 00:00:00+00", f"{ny:04d}-{nm:02d}-01 00:00:00+00"
        conn.execute(text(
            f"CREATE TABLE {TABLE}_{year:04d}_{month:02d} PARTITION OF {TABLE} "
            f"FOR VALUES FROM ('{lo}') TO ('{hi}')"
        ))
    conn.execute(text(f"CREATE TABLE {TABLE}_default PARTITION OF {TABLE} DEFAULT"))
    # Rows first, then indexes and foreign keys: building them once over the data is cheaper.
    conn.execute(text(f"INSERT INTO {TABLE} SELECT * FROM {OLD}"))
    _redeclare(conn, defs, f'id, {COLUMN}')


def downgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == 'postgresql':
        kind = conn.execute(text("SELECT relkind FROM pg_class WHERE oid = to_regclass(:t)"),
                            {'t': TABLE}).scalar_one()
        if kind == 'p':
            defs = _definitions(conn, TABLE)
            conn.execute(text(f"ALTER TABLE {TABLE} RENAME TO {OLD}"))
            conn.execute(text(
                f"CREATE TABLE {TABLE} (LIKE {OLD} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
            ))
            conn.execute(text(f"INSERT INTO {TABLE} SELECT * FROM {OLD}"))
            _redeclare(conn, defs, 'id')  # dropping the parent drops its attached partitions
    with op.batch_alter_table('consumer_signal') as batch:
        batch.create_foreign_key(SIGNAL_FK, TABLE, ['verification_id'], ['id'])
