"""Scans partitioned by month on PostgreSQL: each scan in its month's partition, partitions made
ahead idempotently, past months detached for archive, and the migration keeping every row."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.engine import Connection

from app import db
from app.errors import Conflict, NotFound, Unprocessable
from app.migrate import alembic_config
from app.partitions import service
from tests.partitions.cli import ensure_list_and_detach
from tests.scans.conftest import World

BEFORE = "phone_signin_scratched"
postgres = pytest.mark.postgres


def _insert(conn: Connection, at: datetime) -> int:
    scan_id: int = conn.execute(
        text(
            "INSERT INTO scan (scanned_at, received_at, payload, user_id, source, verdict, rule, "
            "policy_version, findings) VALUES (:at, :at, 'p', (SELECT min(id) FROM app_user), "
            "'api', 'genuine', 'test', 'v1', '[]') RETURNING id"
        ),
        {"at": at},
    ).scalar_one()
    return scan_id


def _where(conn: Connection) -> dict[int, str]:
    """Each scan's id and the partition (table) that holds it."""
    rows = conn.execute(text("SELECT id, tableoid::regclass::text FROM scan")).all()
    return {int(i): str(t) for i, t in rows}


def _month(t: datetime) -> str:
    return service.partition_name(t.year, t.month)


@postgres
def test_scans_through_the_api_land_in_their_months_partition(world: World) -> None:
    now = datetime.now(UTC)
    old = now - timedelta(days=70)  # before the migration's months: the default partition
    here = world.one(world.jinan[0]["payload"], "JN-G2-N", now)
    there = world.one(world.jinan[1]["payload"], "JN-G2-N", old)
    assert here["verdict"] and there["verdict"]
    with db.get_engine().connect() as conn:
        where = conn.execute(
            text("SELECT scanned_at, tableoid::regclass::text FROM scan WHERE payload IN (:a, :b)"),
            {"a": world.jinan[0]["payload"], "b": world.jinan[1]["payload"]},
        ).all()
        parents = (
            conn.execute(
                text(
                    "SELECT DISTINCT i.inhparent::regclass::text FROM pg_inherits i "
                    "JOIN pg_class c ON c.oid = i.inhrelid "
                    "WHERE c.relkind = 'r' AND c.relname LIKE 'scan\\_%'"
                )
            )
            .scalars()
            .all()
        )
    assert parents == ["scan"]
    by_month = {(t.year, t.month): table for t, table in where}
    assert by_month[(now.year, now.month)] == _month(now)
    assert by_month[(old.year, old.month)] == service.DEFAULT_PARTITION


@postgres
def test_ensure_creates_ahead_is_idempotent_and_leaves_months_in_default_alone(
    demo_url: str,
) -> None:
    later = datetime(2031, 4, 10, tzinfo=UTC)
    with db.get_engine().begin() as conn:
        stray = _insert(conn, datetime(2031, 6, 3, tzinfo=UTC))  # a device clock years ahead
    with db.get_sessionmaker()() as s, s.begin():
        first = service.ensure_partitions(s, months_ahead=3, now=later)
    assert first.created == ["scan_2031_04", "scan_2031_05", "scan_2031_07"]
    assert first.blocked == ["scan_2031_06"]
    with db.get_sessionmaker()() as s, s.begin():
        again = service.ensure_partitions(s, months_ahead=3, now=later)
        names = [p.name for p in service.list_partitions(s)]
    assert again.created == [] and again.blocked == ["scan_2031_06"]
    assert {"scan_2031_04", "scan_2031_05", "scan_2031_07"} <= set(names)
    assert names[-1] == service.DEFAULT_PARTITION
    with db.get_engine().connect() as conn:
        assert _where(conn)[stray] == service.DEFAULT_PARTITION  # still there, still queried
        new = _insert(conn, datetime(2031, 7, 31, 23, 59, tzinfo=UTC))
        edge = _insert(conn, datetime(2031, 8, 1, tzinfo=UTC))  # upper bound is exclusive
        where = _where(conn)
        conn.rollback()
    assert where[new] == "scan_2031_07"
    assert where[edge] == service.DEFAULT_PARTITION


@postgres
def test_concurrent_ensures_create_each_partition_once(demo_url: str) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def run(_: int) -> list[str]:
        with db.get_sessionmaker()() as s, s.begin():
            return service.ensure_partitions(
                s, months_ahead=5, now=datetime(2032, 1, 1, tzinfo=UTC)
            ).created

    with ThreadPoolExecutor(4) as pool:
        created = [name for names in pool.map(run, range(4)) for name in names]
    assert sorted(created) == [f"scan_2032_{m:02d}" for m in range(1, 7)]


@postgres
def test_detach_removes_a_past_month_and_refuses_current_and_future(demo_url: str) -> None:
    with db.get_sessionmaker()() as s, s.begin():
        made = service.ensure_partitions(s, months_ahead=0, now=datetime(2025, 3, 5, tzinfo=UTC))
    assert made.created == ["scan_2025_03"]
    with db.get_engine().begin() as conn:
        kept = _insert(conn, datetime(2025, 2, 28, 23, tzinfo=UTC))
        gone = _insert(conn, datetime(2025, 3, 15, tzinfo=UTC))
    now = datetime.now(UTC)
    nxt = now + timedelta(days=32)
    with db.get_sessionmaker()() as s, s.begin():
        for month in (f"{now:%Y-%m}", f"{nxt:%Y-%m}"):
            with pytest.raises(Conflict):
                service.detach_partition(s, month)
        with pytest.raises(NotFound):
            service.detach_partition(s, "2024-01")
        with pytest.raises(Unprocessable):
            service.detach_partition(s, "2025-13")
        assert service.detach_partition(s, "2025-03") == "scan_2025_03"
    with db.get_engine().connect() as conn:
        ids = set(_where(conn))
        archived = conn.execute(text("SELECT id FROM scan_2025_03")).scalars().all()
        partitions = {p.name for p in service.list_partitions(db.get_sessionmaker()(bind=conn))}
    assert kept in ids and gone not in ids
    assert archived == [gone]
    assert "scan_2025_03" not in partitions and _month(now) in partitions


@postgres
def test_upgrade_and_downgrade_keep_every_row_and_the_id_sequence(demo_url: str) -> None:
    months = [datetime(2024, 1, 9, tzinfo=UTC), datetime(2026, 6, 30, 23, 59, tzinfo=UTC)]
    with db.get_engine().begin() as conn:
        ids = {_insert(conn, t): t for t in [*months, datetime.now(UTC)]}
        before = conn.execute(text("SELECT count(*), max(id) FROM scan")).one()
    db.get_engine().dispose()
    cfg = alembic_config(demo_url)
    command.downgrade(cfg, BEFORE)
    with db.get_engine().begin() as conn:
        kind = conn.execute(text("SELECT relkind FROM pg_class WHERE relname = 'scan'")).scalar()
        key = conn.execute(
            text("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'pk_scan'")
        ).scalar()
        assert conn.execute(text("SELECT count(*), max(id) FROM scan")).one() == before
        plain = _insert(conn, datetime(2024, 2, 1, tzinfo=UTC))
    assert kind == "r" and key == "PRIMARY KEY (id)"
    assert plain > before[1]  # the sequence survived the round trip
    db.get_engine().dispose()
    command.upgrade(cfg, "head")
    with db.get_engine().begin() as conn:
        kind = conn.execute(text("SELECT relkind FROM pg_class WHERE relname = 'scan'")).scalar()
        where = _where(conn)
        assert conn.execute(text("SELECT count(*) FROM scan")).scalar() == before[0] + 1
        after = _insert(conn, datetime.now(UTC))
        with pytest.raises(Exception, match="append-only"), conn.begin_nested():
            conn.execute(text("UPDATE scan SET verdict = 'x' WHERE id = :i"), {"i": plain})
    assert kind == "p"
    assert after > plain
    for scan_id, at in ids.items():  # every month that held scans got its own partition
        assert where[scan_id] == _month(at)
    assert where[plain] == "scan_2024_02"


def test_partitions_commands_answer_on_both_databases(db_url: str) -> None:
    now = datetime.now(UTC)
    ensured, listing, current, bad = ensure_list_and_detach(
        db_url, now, table=(), refused=("2026-13",)
    )
    assert ensured.returncode == 0 and listing.returncode == 0, ensured.stderr + listing.stderr
    assert current.returncode == 2 and bad.returncode == 2
    if db.get_engine().dialect.name == "postgresql":
        later = now + timedelta(days=31 * 5)
        assert f"created {_month(later)}" in ensured.stdout
        assert _month(later) in listing.stdout and "scan_default" in listing.stdout
        assert "only past months detach" in current.stdout
    else:
        assert "PostgreSQL only" in ensured.stdout and "PostgreSQL only" in listing.stdout
