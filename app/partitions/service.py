"""Monthly partitions on PostgreSQL of the tables that grow without end, `scan` (by
`scanned_at`) and `public_verification` (by `at`): created ahead, listed, detached for archive.

Months are calendar months in UTC (times are stored in UTC): `scan_2026_12` holds
[2026-12-01 00:00Z, 2027-01-01 00:00Z). A row of a month without its partition lands in
`<table>_default`, so nothing is ever refused. On SQLite all of this is a no-op.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import text
from sqlalchemy.orm import Session

from app.errors import Conflict, NotFound, Unprocessable

PARENT = "scan"
DEFAULT_PARTITION = f"{PARENT}_default"
# Each partitioned table and the column its months are cut by.
PARTITIONED: dict[str, str] = {"scan": "scanned_at", "public_verification": "at"}
MONTHS_AHEAD = 3
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_LOCK_SCOPE = "partitions"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Partition:
    name: str
    bounds: str
    rows: int
    """PostgreSQL's estimate (reltuples, -1 before the first ANALYZE shows as 0)."""


@dataclass(frozen=True)
class EnsureResult:
    created: list[str]
    blocked: list[str]
    """Months whose rows already sit in the default partition: PostgreSQL refuses a partition
    that would take them, so they stay there (still queried, never lost)."""


def parse_month(month: str) -> tuple[int, int]:
    """'2026-12' -> (2026, 12); ValueError for anything else."""
    m = _MONTH.match(month)
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise ValueError(f"month must be YYYY-MM, got {month!r}")
    return int(m.group(1)), int(m.group(2))


def add_months(year: int, month: int, n: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + n
    return index // 12, index % 12 + 1


def partition_name(year: int, month: int, parent: str = PARENT) -> str:
    return f"{parent}_{year:04d}_{month:02d}"


def default_partition(parent: str = PARENT) -> str:
    return f"{parent}_default"


def _column(parent: str) -> str:
    if parent not in PARTITIONED:
        raise Unprocessable(f"table must be one of {', '.join(PARTITIONED)}, got {parent!r}")
    return PARTITIONED[parent]


_PARTITION_NAME = re.compile(rf"^({'|'.join(PARTITIONED)})_(\d{{4}}_\d{{2}}|default)$")


def include_name(name: str | None, type_: str, _parents: object) -> bool:
    """For alembic's comparisons: the monthly partitions (and detached months) are the
    service's, not the models'; only their parents (`scan`, `public_verification`) are
    compared."""
    return not (type_ == "table" and name is not None and _PARTITION_NAME.match(name))


def month_bounds(year: int, month: int) -> tuple[str, str]:
    """The partition's range as UTC timestamptz literals, lower inclusive, upper exclusive."""
    ny, nm = add_months(year, month, 1)
    return f"{year:04d}-{month:02d}-01 00:00:00+00", f"{ny:04d}-{nm:02d}-01 00:00:00+00"


def months_from(now: datetime, ahead: int) -> list[tuple[int, int]]:
    """The current UTC month and the `ahead` months after it."""
    now = now.astimezone(UTC)
    return [add_months(now.year, now.month, i) for i in range(ahead + 1)]


def _is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _is_partitioned(session: Session, parent: str = PARENT) -> bool:
    kind = session.scalar(
        text("SELECT relkind FROM pg_class WHERE oid = to_regclass(:t)"), {"t": parent}
    )
    return bool(kind == "p")


def _attached(session: Session, parent: str = PARENT) -> set[str]:
    rows = session.execute(
        text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = to_regclass(:t)"
        ),
        {"t": parent},
    )
    return {r[0] for r in rows}


def ensure_partitions(
    session: Session,
    *,
    months_ahead: int = MONTHS_AHEAD,
    now: datetime | None = None,
    parent: str = PARENT,
) -> EnsureResult:
    """Create the missing partitions of `parent` for this month and the next `months_ahead`.
    Idempotent; concurrent callers (several servers starting) queue on an advisory lock, and
    the later ones find the partitions there. Costs two catalog reads when nothing is missing."""
    column = _column(parent)
    if not _is_postgres(session) or not _is_partitioned(session, parent):
        return EnsureResult([], [])
    wanted = months_from(now or datetime.now(UTC), max(0, months_ahead))
    if all(partition_name(y, m, parent) in _attached(session, parent) for y, m in wanted):
        return EnsureResult([], [])
    session.execute(
        text("SELECT pg_advisory_xact_lock(hashtext(:s), hashtext(:t))"),
        {"s": _LOCK_SCOPE, "t": parent},
    )
    # again, under the lock: another caller may have made them
    attached = _attached(session, parent)
    created: list[str] = []
    blocked: list[str] = []
    for year, month in wanted:
        name = partition_name(year, month, parent)
        if name in attached:
            continue
        if session.scalar(text("SELECT to_regclass(:n)"), {"n": name}) is not None:
            blocked.append(name)  # a detached archive of that name: never overwritten
            continue
        lo, hi = month_bounds(year, month)
        in_default = session.scalar(
            text(
                f"SELECT EXISTS (SELECT 1 FROM {default_partition(parent)} "
                f"WHERE {column} >= CAST(:lo AS timestamptz) "
                f"AND {column} < CAST(:hi AS timestamptz))"
            ),
            {"lo": lo, "hi": hi},
        )
        if in_default:
            blocked.append(name)
            continue
        session.execute(
            text(f"CREATE TABLE {name} PARTITION OF {parent} FOR VALUES FROM ('{lo}') TO ('{hi}')")
        )
        created.append(name)
    return EnsureResult(created, blocked)


def ensure_all(
    session: Session, *, months_ahead: int = MONTHS_AHEAD, now: datetime | None = None
) -> EnsureResult:
    """`ensure_partitions` for every partitioned table, one after the other."""
    created: list[str] = []
    blocked: list[str] = []
    for parent in PARTITIONED:
        r = ensure_partitions(session, months_ahead=months_ahead, now=now, parent=parent)
        created += r.created
        blocked += r.blocked
    return EnsureResult(created, blocked)


def list_partitions(session: Session, parent: str = PARENT) -> list[Partition]:
    """The attached partitions of `parent`, oldest first, the default partition last."""
    _column(parent)
    if not _is_postgres(session) or not _is_partitioned(session, parent):
        return []
    rows = session.execute(
        text(
            "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid), "
            "GREATEST(c.reltuples, 0)::bigint "
            "FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = to_regclass(:t) ORDER BY c.relname = :d, c.relname"
        ),
        {"t": parent, "d": default_partition(parent)},
    )
    return [Partition(name, bounds, int(n)) for name, bounds, n in rows]


def detach_partition(
    session: Session, month: str, *, now: datetime | None = None, parent: str = PARENT
) -> str:
    """Detach a past month's partition of `parent`: its rows leave every query and stay in a
    table of the same name, to be dumped and dropped. The current and future months are refused
    (their rows are still arriving). Not CONCURRENTLY: PostgreSQL forbids that with a default
    partition, and a past month's detach holds its lock only for a catalog change."""
    try:
        year, mon = parse_month(month)
    except ValueError as exc:
        raise Unprocessable(str(exc)) from exc
    _column(parent)
    if not _is_postgres(session) or not _is_partitioned(session, parent):
        raise Conflict(f"{parent} is partitioned on PostgreSQL only; this database has none")
    current = now or datetime.now(UTC)
    current = current.astimezone(UTC)
    if (year, mon) >= (current.year, current.month):
        raise Conflict(f"{month} is the current or a future month: only past months detach")
    name = partition_name(year, mon, parent)
    if name not in _attached(session, parent):
        raise NotFound(f"no attached partition of {parent} for {month}")
    session.execute(text(f"ALTER TABLE {parent} DETACH PARTITION {name}"))
    return name


def ensure_at_startup() -> EnsureResult:
    """Run once when a server starts (PostgreSQL only). A failure is logged, never fatal:
    scans of a month without its partition still land in the default partition."""
    from app.db import get_engine, get_sessionmaker

    if get_engine().dialect.name != "postgresql":
        return EnsureResult([], [])
    try:
        with get_sessionmaker()() as session, session.begin():
            return ensure_all(session)
    except Exception:  # startup goes on: the default partitions take the rows
        log.exception("could not create the monthly partitions ahead")
        return EnsureResult([], [])
