"""Writing a judged batch: the cases its scans open (or join), one bulk insert of its scans, and
the answer for each scan in input order, every region given with its name."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from pydantic_core import to_jsonable_python
from sqlalchemy import insert
from sqlalchemy.orm import Session

from app.db import table_of
from app.models import Scan, ViolationKind
from app.regions.tree import RegionNode, RegionTree
from app.scans.gather import Gathered
from app.scans.judge import Judged
from app.scans.recognise import CHUNK, CartonFacts
from app.scans.schemas import ScanResult
from app.violations.opening import open_or_join_many
from rules.verdicts import Decision


def _named(tree: RegionTree, code: str) -> dict[str, str]:
    node = tree.by_code.get(code)
    return {"code": code, "name": node.name if node else code}


def reason_of(
    tree: RegionTree, region: RegionNode, d: Decision, carton: CartonFacts | None = None
) -> dict[str, Any]:
    """The deciding rule with its facts, every region given with its name, as JSON (the
    shape of `ScanReason`)."""
    facts: dict[str, Any] = {"rule": d.rule, "scan_region": _named(tree, region.code)}
    if carton is not None and carton.region_id in tree.nodes:
        facts["carton_region"] = _named(tree, tree.nodes[carton.region_id].code)
    for key, value in d.facts.items():
        if key == "territory_codes" and isinstance(value, tuple):
            facts["territory"] = [_named(tree, c) for c in value]
        elif key in ("territory_code", "route_region_code") and isinstance(value, str):
            facts[key.removesuffix("_code")] = _named(tree, value)
        else:
            facts[key] = value
    return {"code": d.rule, "facts": to_jsonable_python(facts)}


def write(
    session: Session,
    g: Gathered,
    judged: tuple[Judged, ...],
    *,
    user_id: int,
    source: str,
    photo_sha256: str | None,
) -> list[dict[str, Any]]:
    """Open the batch's cases together, after every verdict is known, then store its scans;
    results come back in input order, as JSON-ready dicts shaped like `ScanResult`."""
    violation_ids = iter(
        open_or_join_many(session, [c for j in judged for c in j.cases], tree=g.tree)
    )
    case_of: dict[int, dict[int, int]] = {}
    price_case_of: dict[int, dict[int, int]] = {}
    for j in judged:
        found = case_of[j.index] = {}
        priced = price_case_of[j.index] = {}
        for case in j.cases:  # price cases first: a diversion is the carton's case if both
            vid = next(violation_ids)
            found.update((c, vid) for c in case.carton_ids)
            if case.kind is ViolationKind.PRICE:
                priced.update((c, vid) for c in case.carton_ids)

    # Scans that named no carton first, then the cartons', each in scan order: the order
    # scans have always been stored in.
    rows: list[tuple[Any, ...]] = []
    for j in judged:
        if j.decision is not None:
            d = j.decision
            rows.append(
                (
                    *_base(j, g, user_id, source, photo_sha256),
                    j.item.serial,
                    None,
                    None,
                    d.verdict.value,
                    d.rule,
                    d.policy_version,
                    [f.value for f in d.findings],
                    (j.item.detail or d.detail)[:300],
                    None,
                )
            )
    for j in judged:
        base = _base(j, g, user_id, source, photo_sha256) if j.cartons else ()
        for cv in j.cartons:
            c, d = cv.carton, cv.decision
            rows.append(
                (
                    *base,
                    c.serial,
                    c.id,
                    c.pallet_id if j.item.sscc else None,
                    d.verdict.value,
                    d.rule,
                    d.policy_version,
                    [f.value for f in d.findings],
                    d.detail[:300],
                    case_of[j.index].get(c.id),
                )
            )
    insert_scans(session, rows)
    by_index = {
        j.index: _result(g.tree, j, case_of[j.index], price_case_of[j.index]) for j in judged
    }
    return [by_index[i] for i in range(len(g.items))]


SCAN_COLUMNS = (
    "scanned_at",
    "received_at",
    "payload",
    "checkpoint_id",
    "region_id",
    "lat",
    "lon",
    "observed_price_fen",
    "device_id",
    "user_id",
    "source",
    "photo_sha256",
    "item_serial",
    "serial",
    "carton_id",
    "pallet_id",
    "verdict",
    "rule",
    "policy_version",
    "findings",
    "detail",
    "violation_id",
)
"""The columns of a stored scan, in the order of the tuples `insert_scans` takes."""
_TIMES = (SCAN_COLUMNS.index("scanned_at"), SCAN_COLUMNS.index("received_at"))
_FINDINGS = SCAN_COLUMNS.index("findings")


def _base(
    j: Judged, g: Gathered, user_id: int, source: str, photo_sha256: str | None
) -> tuple[Any, ...]:
    it = j.item
    assert it.region is not None
    return (
        it.scanned_at,
        g.received_at,
        it.payload,
        it.checkpoint_id,
        it.region.id,
        it.pos[0] if it.pos else None,
        it.pos[1] if it.pos else None,
        it.observed_price_fen,
        it.device_id,
        user_id,
        source,
        photo_sha256,
        it.item_serial,
    )


def _sqlite_time(at: datetime) -> str:
    # SQLAlchemy's own SQLite DATETIME text, in UTC: stored scans compare as text.
    u = at.astimezone(UTC)
    return (
        f"{u.year:04d}-{u.month:02d}-{u.day:02d} "
        f"{u.hour:02d}:{u.minute:02d}:{u.second:02d}.{u.microsecond:06d}"
    )


def insert_scans(session: Session, rows: list[tuple[Any, ...]]) -> None:
    """Store complete scan rows (`SCAN_COLUMNS`) in the session's transaction with the
    driver's own bulk path: COPY on PostgreSQL, one prepared executemany on SQLite. The
    scan table has no Python-side defaults these rows miss, so nothing is skipped."""
    if not rows:
        return
    session.flush()  # the driver's statements below bypass the ORM: pending rows go first
    conn = session.connection()
    dialect = conn.dialect.name
    if dialect == "postgresql":
        cols = ", ".join(SCAN_COLUMNS)
        raw = conn.connection.driver_connection
        assert raw is not None
        with raw.cursor() as cur, cur.copy(f"COPY scan ({cols}) FROM STDIN") as copy:
            for row in rows:
                out = list(row)
                out[_FINDINGS] = json.dumps(out[_FINDINGS])
                copy.write_row(out)
        return
    if dialect == "sqlite":
        a, b = _TIMES
        prepared = []
        for row in rows:
            out = list(row)
            out[a], out[b] = _sqlite_time(out[a]), _sqlite_time(out[b])
            out[_FINDINGS] = json.dumps(out[_FINDINGS])
            prepared.append(tuple(out))
        marks = ", ".join("?" * len(SCAN_COLUMNS))
        conn.exec_driver_sql(
            f"INSERT INTO scan ({', '.join(SCAN_COLUMNS)}) VALUES ({marks})", prepared
        )
        return
    for start in range(0, len(rows), CHUNK):  # any other database: SQLAlchemy Core
        session.execute(
            insert(table_of(Scan)),
            [dict(zip(SCAN_COLUMNS, r, strict=True)) for r in rows[start : start + CHUNK]],
        )


RESULT_FIELDS = tuple(ScanResult.model_fields)
"""A result's keys in the order pydantic dumps them: results are built as JSON-ready dicts
(what is stored for a replay and sent), never as models dumped again per scan."""


def _blank(payload: str) -> dict[str, Any]:
    out: dict[str, Any] = dict.fromkeys(RESULT_FIELDS)
    out["payload"] = payload
    out["findings"] = []
    return out


def _result(
    tree: RegionTree, j: Judged, violation_of: dict[int, int], price_case_of: dict[int, int]
) -> dict[str, Any]:
    it = j.item
    out = _blank(it.payload)
    if it.error or it.region is None:
        out["item_serial"] = it.item_serial
        out["verdict"] = it.error_verdict
        out["error"] = it.error or "no region"
        return out
    if j.decision is not None:
        d = j.decision
        out["serial"] = it.serial
        out["verdict"] = d.verdict.value
        out["region_code"] = it.region.code
        out["rule"] = d.rule
        out["policy_version"] = d.policy_version
        out["detail"] = it.detail or d.detail
        out["region_name"] = it.region.name
        out["reason"] = reason_of(tree, it.region, d)
        return out
    worst_c, worst = j.worst.carton, j.worst.decision
    out["serial"] = worst_c.serial if not it.sscc else None
    out["item_serial"] = it.item_serial
    out["verdict"] = worst.verdict.value
    out["region_code"] = it.region.code
    out["violation_id"] = violation_of.get(worst_c.id)
    out["price_violation_id"] = price_case_of.get(worst_c.id)
    out["findings"] = sorted({f.value for cv in j.cartons for f in cv.decision.findings})
    out["rule"] = worst.rule
    out["policy_version"] = worst.policy_version
    out["detail"] = worst.detail
    out["cartons"] = len(j.cartons) if it.sscc else None
    out["region_name"] = it.region.name
    out["reason"] = reason_of(tree, it.region, worst, worst_c)
    return out
