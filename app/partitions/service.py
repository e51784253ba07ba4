"""Monthly partitions of `scan` on PostgreSQL: created ahead, listed, detached for archive.

Months are calendar months in UTC (`scanned_at` is stored in UTC): `scan_2026_12` holds
[2026-12-01 00:00Z, 2027-01-01 00:00Z). A scan of a month without its partition lands in
`scan_default`, so nothing is ever refused. On SQLite all of this is a no-op.
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


def partition_name(year: int, month: int) -> str:
    return f"{PARENT}_{year:04d}_{month:02d}"


_PARTITION_NAME = re.compile(rf"^{PARENT}_(\d{{4}}_\d{{2}}|default)$")


def include_name(name: str | None, type_: str, _parents: object) -> bool:
    """For alembic's comparisons: the monthly partitions (and detached months) are the
    service's, not the models'; only their parent `scan` is compared."""
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


def _is_partitioned(session: Session) -> bool:
    kind = session.scalar(
        text("SELECT relkind FROM pg_class WHERE oid = to_regclass(:t)"), {"t": PARENT}
    )
    return bool(kind == "p")


def _attached(session: Session) -> set[str]:
    rows = session.execute(
        text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = to_regclass(:t)"
        ),
        {"t": PARENT},
    )
    return {r[0] for r in rows}


def ensure_partitions(
    session: Session, *, months_ahead: int = MONTHS_AHEAD, now: datetime | None = None
) -> EnsureResult:
    """Create the missing partitions of this month and the next `months_ahead`. Idempotent;
    concurrent callers (several servers starting) queue on an advisory lock, and the later
    ones find the partitions there. Costs two catalog reads when nothing is missing."""
    if not _is_postgres(session) or not _is_partitioned(session):
        return EnsureResult([], [])
    wanted = months_from(now or datetime.now(UTC), max(0, months_ahead))
    if all(partition_name(y, m) in _attached(session) for y, m in wanted):
        return EnsureResult([], [])
    session.execute(
        text("SELECT pg_advisory_xact_lock(hashtext(:s), hashtext(:t))"),
        {"s": _LOCK_SCOPE, "t": PARENT},
    )
    attached = _attached(session)  # again, under the lock: another caller may have made them
    created: list[str] = []
    blocked: list[str] = []
    for year, month in wanted:
        name = partition_name(year, month)
        if name in attached:
            continue
        if session.scalar(text("SELECT to_regclass(:n)"), {"n": name}) is not None:
            blocked.append(name)  # a detached archive of that name: never overwritten
            continue
        lo, hi = month_bounds(year, month)
        in_default = session.scalar(
            text(
                f"SELECT EXISTS (SELECT 1 FROM {DEFAULT_PARTITION} "
                "WHERE scanned_at >= CAST(:lo AS timestamptz) "
                "AND scanned_at < CAST(:hi AS timestamptz))"
            ),
            {"lo": lo, "hi": hi},
        )
        if in_default:
            blocked.append(name)
            continue
        session.execute(
            text(f"CREATE TABLE {name} PARTITION OF {PARENT} FOR VALUES FROM ('{lo}') TO ('{hi}')")
        )
        created.append(name)
    return EnsureResult(created, blocked)


def list_partitions(session: Session) -> list[Partition]:
    """The attached partitions, oldest first, the default partition last."""
    if not _is_postgres(session) or not _is_partitioned(session):
        return []
    rows = session.execute(
        text(
            "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid), "
            "GREATEST(c.reltuples, 0)::bigint "
            "FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = to_regclass(:t) ORDER BY c.relname = :d, c.relname"
        ),
        {"t": PARENT, "d": DEFAULT_PARTITION},
    )
    return [Partition(name, bounds, int(n)) for name, bounds, n in rows]


def detach_partition(session: Session, month: str, *, now: datetime | None = None) -> str:
    """Detach a past month's partition: its scans leave every query and stay in a table of
    the same name, to be dumped and dropped. The current and future months are refused (their
    scans are still arriving). Not CONCURRENTLY: PostgreSQL forbids that with a default
    partition, and a past month's detach holds its lock only for a catalog change."""
    try:
        year, mon = parse_month(month)
    except ValueError as exc:
        raise Unprocessable(str(exc)) from exc
    if not _is_postgres(session) or not _is_partitioned(session):
        raise Conflict("scans are partitioned on PostgreSQL only; this database has none")
    current = now or datetime.now(UTC)
    current = current.astimezone(UTC)
    if (year, mon) >= (current.year, current.month):
        raise Conflict(f"{month} is the current or a future month: only past months detach")
    name = partition_name(year, mon)
    if name not in _attached(session):
        raise NotFound(f"no attached partition for {month}")
    session.execute(text(f"ALTER TABLE {PARENT} DETACH PARTITION {name}"))
    return name


def ensure_at_startup() -> EnsureResult:
    """Run once when a server starts (PostgreSQL only). A failure is logged, never fatal:
    scans of a month without its partition still land in the default partition."""
    from app.db import get_engine, get_sessionmaker

    if get_engine().dialect.name != "postgresql":
        return EnsureResult([], [])
    try:
        with get_sessionmaker()() as session, session.begin():
            return ensure_partitions(session)
    except Exception:  # startup goes on: the default partition takes the scans
        log.exception("could not create the scan partitions ahead")
        return EnsureResult([], [])
