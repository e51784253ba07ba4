"""Public verifications (a bottle's cap QR scanned on the public page) partitioned by month on
PostgreSQL, like scans: each sighting in its month's partition, months made ahead, past months
detached for archive, and the migration keeping every row both ways. SQLite stays plain."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.engine import Connection

from app import db
from app.errors import Conflict, NotFound, Unprocessable
from app.migrate import alembic_config
from app.partitions import service
from tests.conftest import Api
from tests.partitions.cli import ensure_list_and_detach

BEFORE = "scan_monthly_partitions"
TABLE = "public_verification"
DEFAULT = f"{TABLE}_default"
LAGER = "06901234560015"
postgres = pytest.mark.postgres


def _insert(conn: Connection, at: datetime) -> int:
    sighting: int = conn.execute(
        text("INSERT INTO public_verification (at) VALUES (:at) RETURNING id"), {"at": at}
    ).scalar_one()
    return sighting


def _where(conn: Connection) -> dict[int, str]:
    """Each sighting's id and the partition (table) that holds it."""
    rows = conn.execute(text(f"SELECT id, tableoid::regclass::text FROM {TABLE}")).all()
    return {int(i): str(t) for i, t in rows}


def _month(t: datetime) -> str:
    return service.partition_name(t.year, t.month, TABLE)


def _kind(conn: Connection) -> str | None:
    kind = conn.execute(text("SELECT relkind FROM pg_class WHERE relname = :t"), {"t": TABLE})
    return kind.scalar()


def _verify_a_bottle(api: Api) -> dict[str, object]:
    batch = api.post(
        "admin",
        "/api/v1/code-batches",
        json={"gtin": LAGER, "region_code": "370100", "quantity": 1, "level": "item"},
    )
    assert batch.status_code == 201, batch.text
    link = urlsplit(batch.json()["codes"][0]["payload"])
    path = f"{link.path}?{link.query}" if link.query else link.path
    answer = api.client.get(path, headers={"Accept": "application/json"})
    assert answer.status_code == 200, answer.text
    body: dict[str, object] = answer.json()
    return body


@postgres
def test_a_verification_on_the_public_page_lands_in_its_months_partition(api: Api) -> None:
    now = datetime.now(UTC)
    answer = _verify_a_bottle(api)
    assert answer["genuine"] is True and answer["verifications"] == 0  # earlier ones
    with db.get_engine().connect() as conn:
        tables = set(_where(conn).values())
        assert _kind(conn) == "p"
        key = conn.execute(
            text(
                "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conname = 'pk_public_verification'"
            )
        ).scalar()
    assert tables == {_month(now)}
    assert key == "PRIMARY KEY (id, at)"


@postgres
def test_ensure_creates_ahead_for_verifications_and_detach_takes_a_past_month(
    demo_url: str,
) -> None:
    later = datetime(2031, 4, 10, tzinfo=UTC)
    with db.get_engine().begin() as conn:
        stray = _insert(conn, datetime(2031, 5, 3, tzinfo=UTC))  # a month ahead of its partition
    with db.get_sessionmaker()() as s, s.begin():
        first = service.ensure_all(s, months_ahead=2, now=later)
        again = service.ensure_partitions(s, months_ahead=2, now=later, parent=TABLE)
        names = [p.name for p in service.list_partitions(s, TABLE)]
    assert f"{TABLE}_2031_04" in first.created and f"{TABLE}_2031_06" in first.created
    assert "scan_2031_05" in first.created  # scans are cut the same way, in the same call
    assert f"{TABLE}_2031_05" in first.blocked  # its month already has a row in the default
    assert again.created == [] and again.blocked == [f"{TABLE}_2031_05"]
    assert names[-1] == DEFAULT and f"{TABLE}_2031_04" in names
    assert all(n.startswith(f"{TABLE}_") for n in names)

    with db.get_sessionmaker()() as s, s.begin():
        made = service.ensure_partitions(
            s, months_ahead=0, now=datetime(2025, 3, 5, tzinfo=UTC), parent=TABLE
        )
    assert made.created == [f"{TABLE}_2025_03"]
    with db.get_engine().begin() as conn:
        kept = _insert(conn, datetime(2025, 2, 28, 23, tzinfo=UTC))
        gone = _insert(conn, datetime(2025, 3, 15, tzinfo=UTC))
    now = datetime.now(UTC)
    with db.get_sessionmaker()() as s, s.begin():
        with pytest.raises(Conflict):
            service.detach_partition(s, f"{now:%Y-%m}", parent=TABLE)
        with pytest.raises(NotFound):
            service.detach_partition(s, "2024-01", parent=TABLE)
        with pytest.raises(Unprocessable):
            service.detach_partition(s, "2025-03", parent="app_user")
        assert service.detach_partition(s, "2025-03", parent=TABLE) == f"{TABLE}_2025_03"
    with db.get_engine().connect() as conn:
        where = _where(conn)
        archived = conn.execute(text(f"SELECT id FROM {TABLE}_2025_03")).scalars().all()
    assert kept in where and stray in where and gone not in where
    assert where[stray] == DEFAULT
    assert archived == [gone]


@postgres
def test_upgrade_and_downgrade_keep_every_sighting_and_its_signals(demo_url: str) -> None:
    months = [datetime(2024, 1, 9, tzinfo=UTC), datetime(2026, 6, 30, 23, 59, tzinfo=UTC)]
    with db.get_engine().begin() as conn:
        ids = {_insert(conn, t): t for t in [*months, datetime.now(UTC)]}
        before = conn.execute(text(f"SELECT count(*), max(id) FROM {TABLE}")).one()
    db.get_engine().dispose()
    cfg = alembic_config(demo_url)
    command.downgrade(cfg, BEFORE)
    with db.get_engine().begin() as conn:
        kind = _kind(conn)
        key = conn.execute(
            text(
                "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conname = 'pk_public_verification'"
            )
        ).scalar()
        fk = conn.execute(
            text(
                "SELECT count(*) FROM pg_constraint WHERE conname = "
                "'fk_consumer_signal_verification_id_public_verification'"
            )
        ).scalar()
        assert conn.execute(text(f"SELECT count(*), max(id) FROM {TABLE}")).one() == before
        plain = _insert(conn, datetime(2024, 2, 1, tzinfo=UTC))
    assert kind == "r" and key == "PRIMARY KEY (id)" and fk == 1
    assert plain > before[1]  # the sequence survived the round trip
    db.get_engine().dispose()
    command.upgrade(cfg, "head")
    with db.get_engine().begin() as conn:
        kind = _kind(conn)
        where = _where(conn)
        assert conn.execute(text(f"SELECT count(*) FROM {TABLE}")).scalar() == before[0] + 1
        after = _insert(conn, datetime.now(UTC))
        indexes = set(
            conn.execute(
                text("SELECT indexname FROM pg_indexes WHERE tablename = :t"), {"t": TABLE}
            ).scalars()
        )
    assert kind == "p"
    assert after > plain
    assert {"ix_public_verification_carton_id_at", "ix_public_verification_item_id_at"} <= indexes
    for sighting, at in ids.items():  # every month that held sightings got its own partition
        assert where[sighting] == _month(at)
    assert where[plain] == f"{TABLE}_2024_02"


def test_verifications_stay_a_plain_table_on_sqlite_and_the_commands_answer(
    db_url: str,
) -> None:
    now = datetime.now(UTC)
    ensured, listing, current, unknown = ensure_list_and_detach(
        db_url, now, table=("--table", TABLE), refused=("2020-01", "--table", "app_user")
    )
    assert ensured.returncode == 0 and listing.returncode == 0, ensured.stderr + listing.stderr
    assert current.returncode == 2 and unknown.returncode == 2
    if db.get_engine().dialect.name == "postgresql":
        later = now + timedelta(days=31 * 5)
        assert f"created {_month(later)}" in ensured.stdout
        assert f"{TABLE} partitions" in listing.stdout
    else:
        assert "no partitions" in listing.stdout
        with db.get_engine().connect() as conn:
            sql = conn.execute(
                text("SELECT sql FROM sqlite_master WHERE name = :t"), {"t": TABLE}
            ).scalar()
            _insert(conn, now)
            count = conn.execute(text(f"SELECT count(*) FROM {TABLE}")).scalar()
            conn.rollback()
        assert "PARTITION" not in str(sql).upper() and count == 1
