"""Writing a judged batch: the cases its scans open (or join), one bulk insert of its scans, and
the answer for each scan in input order, every region given with its name."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from app.db import table_of
from app.models import Scan, ViolationKind
from app.regions.tree import RegionNode, RegionTree
from app.scans.gather import Gathered
from app.scans.judge import Judged
from app.scans.recognise import CHUNK, CartonFacts
from app.scans.schemas import ScanReason, ScanResult
from app.violations.opening import open_or_join_many
from rules.verdicts import Decision


def _named(tree: RegionTree, code: str) -> dict[str, str]:
    node = tree.by_code.get(code)
    return {"code": code, "name": node.name if node else code}


def reason_of(
    tree: RegionTree, region: RegionNode, d: Decision, carton: CartonFacts | None = None
) -> ScanReason:
    """The deciding rule with its facts, every region given with its name."""
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
    return ScanReason(code=d.rule, facts=facts)


def write(
    session: Session,
    g: Gathered,
    judged: tuple[Judged, ...],
    *,
    user_id: int,
    source: str,
    photo_sha256: str | None,
) -> list[ScanResult]:
    """Open the batch's cases together, after every verdict is known, then store its scans;
    results come back in input order."""
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

    def base(j: Judged) -> dict[str, Any]:
        it = j.item
        assert it.region is not None
        return {
            "scanned_at": it.scanned_at,
            "received_at": g.received_at,
            "payload": it.payload,
            "checkpoint_id": it.checkpoint_id,
            "region_id": it.region.id,
            "lat": it.pos[0] if it.pos else None,
            "lon": it.pos[1] if it.pos else None,
            "observed_price_fen": it.observed_price_fen,
            "device_id": it.device_id,
            "user_id": user_id,
            "source": source,
            "photo_sha256": photo_sha256,
            "item_serial": it.item_serial,
        }

    # Scans that named no carton first, then the cartons', each in scan order: the order
    # scans have always been stored in.
    rows: list[dict[str, Any]] = []
    for j in judged:
        if j.decision is not None:
            d = j.decision
            rows.append(
                {
                    **base(j),
                    "serial": j.item.serial,
                    "carton_id": None,
                    "pallet_id": None,
                    "verdict": d.verdict.value,
                    "rule": d.rule,
                    "policy_version": d.policy_version,
                    "findings": [f.value for f in d.findings],
                    "detail": (j.item.detail or d.detail)[:300],
                    "violation_id": None,
                }
            )
    for j in judged:
        for cv in j.cartons:
            c, d = cv.carton, cv.decision
            rows.append(
                {
                    **base(j),
                    "serial": c.serial,
                    "carton_id": c.id,
                    "pallet_id": c.pallet_id if j.item.sscc else None,
                    "verdict": d.verdict.value,
                    "rule": d.rule,
                    "policy_version": d.policy_version,
                    "findings": [f.value for f in d.findings],
                    "detail": d.detail[:300],
                    "violation_id": case_of[j.index].get(c.id),
                }
            )
    for start in range(0, len(rows), CHUNK):
        # Core, not ORM bulk: the rows are complete, and this skips per-row ORM bookkeeping.
        session.execute(insert(table_of(Scan)), rows[start : start + CHUNK])
    by_index = {
        j.index: _result(g.tree, j, case_of[j.index], price_case_of[j.index]) for j in judged
    }
    return [by_index[i] for i in range(len(g.items))]


def _result(
    tree: RegionTree, j: Judged, violation_of: dict[int, int], price_case_of: dict[int, int]
) -> ScanResult:
    it = j.item
    if it.error or it.region is None:
        return ScanResult(
            payload=it.payload,
            item_serial=it.item_serial,
            verdict=it.error_verdict,
            error=it.error or "no region",
        )
    if j.decision is not None:
        d = j.decision
        return ScanResult(
            payload=it.payload,
            serial=it.serial,
            verdict=d.verdict.value,
            region_code=it.region.code,
            rule=d.rule,
            policy_version=d.policy_version,
            detail=it.detail or d.detail,
            region_name=it.region.name,
            reason=reason_of(tree, it.region, d),
        )
    worst_c, worst = j.worst.carton, j.worst.decision
    return ScanResult(
        payload=it.payload,
        serial=worst_c.serial if not it.sscc else None,
        item_serial=it.item_serial,
        verdict=worst.verdict.value,
        region_code=it.region.code,
        violation_id=violation_of.get(worst_c.id),
        price_violation_id=price_case_of.get(worst_c.id),
        findings=sorted({f.value for cv in j.cartons for f in cv.decision.findings}),
        rule=worst.rule,
        policy_version=worst.policy_version,
        detail=worst.detail,
        cartons=len(j.cartons) if it.sscc else None,
        region_name=it.region.name,
        reason=reason_of(tree, it.region, worst, worst_c),
    )
