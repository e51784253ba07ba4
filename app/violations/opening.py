"""Opening violations when scans find diverted (or cloned) goods, or joining the one already
open for a carton. A carton is never counted twice: the partial unique index on active
violation cartons is the final word, so two inspectors scanning the same carton at the same
instant end up on one violation.

A batch of scans opens its violations together: one lookup of the cartons' active violations,
one multi-row insert, one audit entry, so a batch full of diversions costs a few statements."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.common.locks import lock_cartons
from app.db import table_of, utcnow
from app.models import (
    Distributor,
    Salesperson,
    Violation,
    ViolationCarton,
    ViolationEvent,
    ViolationKind,
    ViolationStatus,
    distributor_region,
)
from app.regions.tree import RegionTree
from rules.violations import Holder, Invaded, case_parties, invaded_party


@dataclass(frozen=True)
class CaseDraft:
    """Cartons one scan found diverted (or cloned), to be counted on one violation."""

    kind: ViolationKind
    carton_ids: tuple[int, ...]
    diverting_distributor_id: int | None
    value_fen: int
    region_id: int
    detected_at: datetime
    policy_version: str
    advisory: bool
    diverting_sub_customer_id: int | None = None
    blame_rule: str | None = None
    invaded_distributor_id: int | None = None
    """Set when the finding itself knows who was invaded (a receipt from outside the supply
    line invades the receiver's distributor); otherwise the scanned region decides."""


def active_violations(
    session: Session,
    carton_ids: Sequence[int],
    kind: ViolationKind = ViolationKind.DIVERSION,
) -> dict[int, int]:
    """Carton id -> the active case of this kind counting it. A cloned code and a diversion
    are separate cases: one never joins the other."""
    out: dict[int, int] = {}
    ids = list(carton_ids)
    for start in range(0, len(ids), 5000):
        out.update(
            session.execute(
                select(ViolationCarton.carton_id, ViolationCarton.violation_id).where(
                    ViolationCarton.carton_id.in_(ids[start : start + 5000]),
                    ViolationCarton.active.is_(True),
                    ViolationCarton.kind == kind.value,
                )
            ).all()
        )
    return out


def invaded_parties(session: Session, tree: RegionTree, region_id: int) -> Invaded:
    """Gather the holders and salespeople along the scanned region's path; the rule decides."""
    path = [node.id for node in tree.path(region_id)]
    holders: dict[int, list[Holder]] = {rid: [] for rid in path}
    for row in session.execute(
        select(
            distributor_region.c.region_id,
            Distributor.id,
            Distributor.tier,
            Distributor.code,
            Distributor.salesperson_id,
        )
        .join(distributor_region, distributor_region.c.distributor_id == Distributor.id)
        .where(distributor_region.c.region_id.in_(path))
    ):
        holders[row.region_id].append(Holder(row.id, row.tier, row.code, row.salesperson_id))
    salespeople: dict[int, int] = {}
    for rid, sid in session.execute(
        select(Salesperson.region_id, Salesperson.id)
        .where(Salesperson.region_id.in_(path))
        .order_by(Salesperson.code.desc())
    ):
        salespeople[rid] = sid  # ordered by code descending: the lowest code is kept
    return invaded_party([holders[rid] for rid in path], [salespeople.get(rid) for rid in path])


def open_or_join_many(
    session: Session, findings: Sequence[CaseDraft], *, tree: RegionTree
) -> list[int]:
    """The violation each finding's cartons count on, opening the ones that do not exist."""
    if not findings:
        return []
    # The cartons' row locks first, in id order: violation-opening batches that share a carton
    # queue instead of deadlocking, and the lookup below sees what the batch before committed.
    lock_cartons(session, (c for f in findings for c in f.carton_ids))
    counted = {
        kind: active_violations(
            session, [c for f in findings if f.kind is kind for c in f.carton_ids], kind
        )
        for kind in {f.kind for f in findings}
    }
    result: list[int | None] = [None] * len(findings)
    # Within the batch, a carton seen again joins the case its first sighting opens.
    first_group: dict[tuple[ViolationKind, int], int] = {}
    to_open: list[int] = []
    joins: dict[int, int] = {}
    for i, f in enumerate(findings):
        known = next((counted[f.kind][c] for c in f.carton_ids if c in counted[f.kind]), None)
        if known is not None:
            result[i] = known
            continue
        earlier = next(
            (first_group[f.kind, c] for c in f.carton_ids if (f.kind, c) in first_group), None
        )
        if earlier is not None:
            joins[i] = earlier
            continue
        for c in f.carton_ids:
            first_group[f.kind, c] = i
        to_open.append(i)
    try:
        with session.begin_nested():
            opened = _insert(session, [findings[i] for i in to_open], tree=tree)
    except IntegrityError:
        # A concurrent scan counted one of these cartons first: take them one at a time.
        opened = [_open_one(session, findings[i], tree=tree) for i in to_open]
    for i, vid in zip(to_open, opened, strict=True):
        result[i] = vid
    for i, group in joins.items():
        result[i] = result[group]
    return [r for r in result if r is not None]


def _parties(
    session: Session, f: CaseDraft, tree: RegionTree, cache: dict[int, Invaded | int | None]
) -> dict[str, int | None]:
    """Facts for `case_parties`: the scanned region's invaded party and the diverting
    distributor's salesperson, each looked up once per batch."""
    if f.kind in (ViolationKind.CLONED, ViolationKind.PRICE):
        invaded = Invaded(None, None, "invaded.not_looked_up")
    else:
        found = cache.get(f.region_id)
        if not isinstance(found, Invaded):
            found = cache[f.region_id] = invaded_parties(session, tree, f.region_id)
        invaded = found
    diverting_sp: int | None = None
    if f.diverting_distributor_id is not None:
        key = -f.diverting_distributor_id  # negative keys: distributors, beside region ids
        if key not in cache:
            cache[key] = session.scalar(
                select(Distributor.salesperson_id).where(
                    Distributor.id == f.diverting_distributor_id
                )
            )
        sp = cache[key]
        diverting_sp = sp if isinstance(sp, int) else None
    parties = case_parties(
        f.kind,
        diverting_distributor_id=f.diverting_distributor_id,
        diverting_salesperson_id=diverting_sp,
        diverting_sub_customer_id=f.diverting_sub_customer_id,
        invaded=invaded,
        known_invaded_distributor_id=f.invaded_distributor_id,
    )
    return {
        "diverting_distributor_id": parties.diverting_distributor_id,
        "diverting_salesperson_id": parties.diverting_salesperson_id,
        "diverting_sub_customer_id": parties.diverting_sub_customer_id,
        "invaded_distributor_id": parties.invaded_distributor_id,
        "invaded_salesperson_id": parties.invaded_salesperson_id,
    }


def _insert(session: Session, findings: Sequence[CaseDraft], *, tree: RegionTree) -> list[int]:
    if not findings:
        return []
    cache: dict[int, Invaded | int | None] = {}
    now = utcnow()
    rows = [
        {
            "kind": f.kind,
            "status": ViolationStatus.OPEN,
            "region_id": f.region_id,
            "cartons": len(f.carton_ids),
            "value_fen": f.value_fen,
            "detected_at": f.detected_at,
            "policy_version": f.policy_version,
            "advisory": f.advisory,
            "blame_rule": f.blame_rule,
            "created_at": now,
            "updated_at": now,
            **_parties(session, f, tree, cache),
        }
        for f in findings
    ]
    # One multi-row INSERT … RETURNING, ids in the order of the rows; Core, not the ORM's
    # bulk path, which costs more than the statement itself for a batch's cases.
    table = table_of(Violation)
    ids = list(
        session.execute(
            insert(table).returning(table.c.id, sort_by_parameter_order=True), rows
        ).scalars()
    )
    session.execute(
        insert(table_of(ViolationCarton)),
        [
            {"violation_id": vid, "carton_id": c, "active": True, "kind": f.kind.value}
            for vid, f in sorted(
                zip(ids, findings, strict=True), key=lambda pair: min(pair[1].carton_ids)
            )
            for c in sorted(f.carton_ids)
        ],
    )
    session.execute(
        insert(table_of(ViolationEvent)),
        [
            {
                "violation_id": vid,
                "from_status": None,
                "to_status": "open",
                "actor": "system",
                "note": f"opened by a {f.kind.value} scan",
                "at": now,
            }
            for vid, f in zip(ids, findings, strict=True)
        ],
    )
    audit.record(
        session,
        actor="system",
        action="violations.opened",
        entity_type="violation",
        entity_key=",".join(str(vid) for vid in ids)[:80],
        data={
            "violations": [
                {
                    "id": vid,
                    "kind": f.kind.value,
                    "cartons": list(f.carton_ids),
                    "value_fen": f.value_fen,
                    "region_id": f.region_id,
                    "policy_version": f.policy_version,
                }
                for vid, f in zip(ids, findings, strict=True)
            ]
        },
    )
    return ids


def _open_one(session: Session, f: CaseDraft, *, tree: RegionTree) -> int:
    known = active_violations(session, f.carton_ids, f.kind)
    if known:
        return next(iter(known.values()))
    try:
        with session.begin_nested():
            return _insert(session, [f], tree=tree)[0]
    except IntegrityError:
        known = active_violations(session, f.carton_ids, f.kind)
        if not known:
            raise
        return next(iter(known.values()))
