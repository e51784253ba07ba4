"""Scan ingest: a batch is parsed once, looked up with a handful of set-based queries, judged by
the verdict rules, and written with one bulk insert, in the caller's transaction."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from app.codes import gs1
from app.common.types import to_fen
from app.config import Settings
from app.db import table_of, utcnow
from app.models import (
    Carton,
    CartonStatus,
    Checkpoint,
    Distributor,
    ItemCode,
    Pallet,
    Product,
    Scan,
    SubCustomer,
    Tier,
    ViolationKind,
    Waybill,
    WaybillCarton,
    WaybillStatus,
    WaybillStop,
)
from app.regions.tree import RegionNode, RegionTree, region_tree, territories
from app.scans.schemas import ScanIn, ScanReason, ScanResult
from app.violations import price_cases
from app.violations.opening import CaseDraft, open_or_join_many
from rules.blame import Blame, Custody, blame
from rules.penalties import advisory_market
from rules.policy import Policy
from rules.verdicts import (
    Decision,
    ScanFacts,
    Sighting,
    WaybillFacts,
    evaluate,
    price_floor_for,
)
from rules.vocab import Verdict

CHUNK = 5_000
# Readers send GS (0x1D) between fields and may end with CR/LF or a tab; any other control
# character means a misread (and PostgreSQL text cannot even store NUL).
_FOREIGN_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1c\x1e\x1f\x7f]")
FUTURE_TOLERANCE = timedelta(hours=24)
# For a pallet, the verdict reported is the gravest of its cartons'.
SEVERITY = [
    Verdict.CLONED,
    Verdict.DIVERSION,
    Verdict.VOIDED,
    Verdict.UNKNOWN,
    Verdict.IN_TRANSIT,
    Verdict.IN_REGION,
]


@dataclass
class Item:
    """One scan as received, plus what parsing and lookups found."""

    payload: str
    parse_text: str
    scanned_at: datetime
    checkpoint_code: str | None = None
    lat: float | None = None
    lon: float | None = None
    observed_price_fen: int | None = None
    device_id: str | None = None
    region: RegionNode | None = None
    checkpoint_id: int | None = None
    pos: tuple[float, float] | None = None
    error: str | None = None
    error_verdict: str | None = None
    """The verdict an item with an error still gets, when its payload told that much."""
    status: str = "unreadable"
    serial: str | None = None
    item_serial: str | None = None
    """Set when the payload was an item code: `serial` is then its carton's."""
    sscc: str | None = None
    detail: str = ""
    cartons: list[CartonFacts] = field(default_factory=list)


@dataclass
class CartonFacts:
    id: int
    serial: str
    voided: bool
    region_id: int
    distributor_id: int | None
    value_fen: int
    floors: dict[str, int]
    pallet_id: int | None
    custodian_type: str | None = None
    custodian_id: int | None = None


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


def items_from(scans: Sequence[ScanIn]) -> list[Item]:
    return [
        Item(
            payload=s.payload,
            parse_text=s.payload,
            scanned_at=s.scanned_at,
            checkpoint_code=s.checkpoint_code,
            lat=s.lat,
            lon=s.lon,
            observed_price_fen=to_fen(s.observed_price) if s.observed_price is not None else None,
            device_id=s.device_id,
        )
        for s in scans
    ]


def _place(session: Session, tree: RegionTree, items: list[Item]) -> None:
    """Give each item its region: the checkpoint's, or the one whose boundary holds its GPS."""
    codes = {i.checkpoint_code for i in items if i.checkpoint_code}
    cps = (
        {c.code: c for c in session.scalars(select(Checkpoint).where(Checkpoint.code.in_(codes)))}
        if codes
        else {}
    )
    latest = utcnow() + FUTURE_TOLERANCE
    for it in items:
        if it.scanned_at > latest:
            it.error = "scanned_at is more than a day in the future: check the device clock"
        elif it.checkpoint_code:
            cp = cps.get(it.checkpoint_code)
            if cp is None:
                it.error = f"unknown checkpoint {it.checkpoint_code!r}"
                continue
            it.checkpoint_id = cp.id
            it.region = tree.nodes.get(cp.region_id)
            if it.lat is not None and it.lon is not None:
                it.pos = (it.lat, it.lon)
            elif cp.lat is not None and cp.lon is not None:
                it.pos = (cp.lat, cp.lon)
        elif it.lat is not None and it.lon is not None:
            it.pos = (it.lat, it.lon)
            it.region = tree.locate(it.lat, it.lon)
            if it.region is None:
                it.error = f"position {it.lat:.5f},{it.lon:.5f} is inside no region's boundary"
        else:
            it.error = "give checkpoint_code, or lat and lon"


def _parse(items: list[Item], settings: Settings) -> None:
    keys = settings.signing
    hosts = settings.allowed_link_hosts
    for it in items:
        bad = _FOREIGN_CONTROL.search(it.parse_text)
        if bad:
            it.error = (
                f"unreadable payload: control character U+{ord(bad.group()):04X} "
                f"at position {bad.start()}"
            )
            it.status = it.error_verdict = "unreadable"
            continue
        if it.error:
            continue
        parsed = gs1.parse_payload(it.parse_text, allowed_hosts=hosts)
        if isinstance(parsed, gs1.Unreadable):
            it.status, it.detail = "unreadable", parsed.reason
        elif isinstance(parsed, gs1.ParsedPallet):
            it.status, it.sscc = "pallet", parsed.sscc
        else:
            it.serial = parsed.serial
            check = gs1.verify(parsed, keys=keys)
            it.status = {"valid": "valid", "forged": "forged", "unknown_key": "unknown"}[check]
            if check == "unknown_key":
                it.detail = "signed with a key this service does not hold"
            elif check == "forged":
                it.detail = "the signature does not match the code"


def _load_cartons(session: Session, items: list[Item]) -> None:
    serials = {it.serial for it in items if it.status == "valid" and it.serial}
    ssccs = {it.sscc for it in items if it.status == "pallet" and it.sscc}
    cols = (
        Carton.id,
        Carton.serial,
        Carton.status,
        Carton.region_id,
        Carton.distributor_id,
        Product.carton_value_fen,
        Product.price_floors_fen,
        Carton.pallet_id,
        Carton.custodian_type,
        Carton.custodian_id,
    )

    def facts(row: Any) -> CartonFacts:
        return CartonFacts(
            row[0],
            row[1],
            row[2] == CartonStatus.voided,
            row[3],
            row[4],
            row[5],
            row[6] or {},
            row[7],
            row[8],
            row[9],
        )

    by_serial: dict[str, CartonFacts] = {}
    serial_list = sorted(serials)
    for start in range(0, len(serial_list), CHUNK):
        rows = session.execute(
            select(*cols)
            .join(Product, Product.id == Carton.product_id)
            .where(Carton.serial.in_(serial_list[start : start + CHUNK]))
        ).all()
        by_serial.update((r[1], facts(r)) for r in rows)
    # Serials that are no carton's may be items': each is judged as the carton it is packed in.
    packed_in: dict[str, tuple[int | None, bool]] = {}
    missing = [s for s in serial_list if s not in by_serial]
    for start in range(0, len(missing), CHUNK):
        packed_in.update(
            (serial, (carton_id, status == CartonStatus.voided))
            for serial, carton_id, status in session.execute(
                select(ItemCode.serial, ItemCode.carton_id, ItemCode.status).where(
                    ItemCode.serial.in_(missing[start : start + CHUNK])
                )
            )
        )
    carton_ids = sorted({cid for cid, _ in packed_in.values() if cid is not None})
    by_id: dict[int, CartonFacts] = {}
    for start in range(0, len(carton_ids), CHUNK):
        rows = session.execute(
            select(*cols)
            .join(Product, Product.id == Carton.product_id)
            .where(Carton.id.in_(carton_ids[start : start + CHUNK]))
        ).all()
        by_id.update((r[0], facts(r)) for r in rows)
    by_sscc: dict[str, list[CartonFacts]] = {}
    if ssccs:
        pallets = dict(
            session.execute(select(Pallet.sscc, Pallet.id).where(Pallet.sscc.in_(ssccs))).all()
        )
        rows = session.execute(
            select(*cols)
            .join(Product, Product.id == Carton.product_id)
            .where(Carton.pallet_id.in_(list(pallets.values())))
        ).all()
        grouped: dict[int, list[CartonFacts]] = defaultdict(list)
        for r in rows:
            if r[7] is not None:
                grouped[r[7]].append(facts(r))
        by_sscc = {s: grouped.get(pid, []) for s, pid in pallets.items()}
    for it in items:
        if it.status == "valid":
            c = by_serial.get(it.serial or "")
            if c is None and it.serial in packed_in:
                carton_id, item_voided = packed_in[it.serial]
                if carton_id is None:
                    # Decided: an item is judged only through its carton (its territory, its
                    # custodian, its value); a loose one cannot be, and says what to do.
                    it.error = (
                        f"item code {it.serial} is not packed into a carton: pack it with "
                        "POST /api/v1/cartons/{serial}/items, or scan its carton"
                    )
                    it.item_serial = it.serial
                    continue
                c = by_id[carton_id]
                it.item_serial, it.serial = it.serial, c.serial
                if item_voided:
                    c = replace(c, voided=True)
            if c is None:
                it.status, it.detail = "unknown", "a well-formed code that was never issued"
            else:
                it.cartons = [c]
        elif it.status == "pallet":
            cartons = by_sscc.get(it.sscc or "")
            if not cartons:
                it.status, it.detail = "unknown", f"pallet {it.sscc} is unknown or empty"
            else:
                it.cartons = cartons


def recognise(session: Session, items: list[Item], settings: Settings) -> None:
    """Parse each item's payload and find its carton(s): what every path that reads codes
    (scans, custody hand-offs) shares."""
    _parse(items, settings)
    _load_cartons(session, items)


def _blame(session: Session, cartons: list[CartonFacts], policy: Policy) -> dict[int, Blame]:
    """Who answers for each carton if it turns out diverted: its last custodian of record."""
    sub_ids = {c.custodian_id for c in cartons if c.custodian_type == "sub_customer"}
    supply = (
        dict(
            session.execute(
                select(SubCustomer.id, SubCustomer.distributor_id).where(
                    SubCustomer.id.in_(sub_ids)
                )
            ).all()
        )
        if sub_ids
        else {}
    )
    out: dict[int, Blame] = {}
    for c in cartons:
        custodian_distributor = (
            supply.get(c.custodian_id or 0)
            if c.custodian_type == "sub_customer"
            else c.custodian_id
        )
        out[c.id] = blame(
            Custody(
                delivered_distributor_id=c.distributor_id,
                custodian_kind=c.custodian_type,
                custodian_id=c.custodian_id,
                custodian_distributor_id=custodian_distributor,
            ),
            policy,
        )
    return out


def _territories(
    session: Session, tree: RegionTree, cartons: list[CartonFacts]
) -> dict[int, frozenset[str]]:
    held = territories(
        session, tree, {c.distributor_id for c in cartons if c.distributor_id is not None}
    )
    return {
        c.id: held[c.distributor_id]
        if c.distributor_id is not None
        else frozenset({tree.nodes[c.region_id].code})
        for c in cartons
    }


def _waybills(
    session: Session, tree: RegionTree, carton_ids: list[int]
) -> dict[int, tuple[WaybillFacts, ...]]:
    out: dict[int, list[WaybillFacts]] = defaultdict(list)
    if not carton_ids:
        return {}
    rows: list[Any] = []
    for start in range(0, len(carton_ids), CHUNK):
        rows.extend(
            session.execute(
                select(
                    WaybillCarton.carton_id,
                    Waybill.id,
                    Waybill.number,
                    Waybill.dispatched_at,
                    Waybill.expected_arrival,
                )
                .join(Waybill, Waybill.id == WaybillCarton.waybill_id)
                .where(
                    WaybillCarton.active.is_(True),
                    Waybill.status == WaybillStatus.active,
                    WaybillCarton.carton_id.in_(carton_ids[start : start + CHUNK]),
                )
            ).all()
        )
    waybill_ids = {r[1] for r in rows}
    routes: dict[int, list[str]] = defaultdict(list)
    if waybill_ids:
        for wid, rid in session.execute(
            select(WaybillStop.waybill_id, WaybillStop.region_id)
            .where(WaybillStop.waybill_id.in_(waybill_ids))
            .order_by(WaybillStop.waybill_id, WaybillStop.seq)
        ):
            routes[wid].append(tree.nodes[rid].code)
    for cid, wid, number, dispatched, arrival in rows:
        out[cid].append(
            WaybillFacts(
                number=number,
                route_region_codes=tuple(routes[wid]),
                dispatched_at=dispatched,
                expected_arrival=arrival,
            )
        )
    return {k: tuple(v) for k, v in out.items()}


def _previous_sightings(session: Session, carton_ids: list[int]) -> dict[int, list[Sighting]]:
    out: dict[int, list[Sighting]] = defaultdict(list)
    for start in range(0, len(carton_ids), CHUNK):
        for cid, at, lat, lon in session.execute(
            select(Scan.carton_id, Scan.scanned_at, Scan.lat, Scan.lon).where(
                Scan.carton_id.in_(carton_ids[start : start + CHUNK]), Scan.lat.is_not(None)
            )
        ):
            if cid is not None:
                out[cid].append(Sighting(at=at, lat=lat, lon=lon))
    return out


def _latest_before(sightings: list[Sighting], at: datetime) -> Sighting | None:
    earlier = [s for s in sightings if s.at <= at]
    return max(earlier, key=lambda s: s.at) if earlier else None


def ingest(
    session: Session,
    *,
    items: list[Item],
    user_id: int,
    settings: Settings,
    policy: Policy,
    source: str = "api",
    photo_sha256: str | None = None,
) -> list[ScanResult]:
    """Judge and store a batch of scans; results come back in input order."""
    tree = region_tree(session)
    _place(session, tree, items)
    recognise(session, items, settings)
    all_cartons = {c.id: c for it in items for c in it.cartons}
    ids = sorted(all_cartons)
    territory = _territories(session, tree, list(all_cartons.values()))
    waybills = _waybills(session, tree, ids)
    seen = _previous_sightings(session, ids)
    tiers = (
        dict(
            session.execute(
                select(Distributor.id, Distributor.tier).where(
                    Distributor.id.in_(
                        {c.distributor_id for c in all_cartons.values() if c.distributor_id}
                    )
                )
            ).all()
        )
        if all_cartons
        else {}
    )
    now = utcnow()
    rows: list[dict[str, Any]] = []
    results: list[ScanResult] = []
    # Items are judged in the order they were scanned, so a batch uploaded late from an offline
    # phone compares each carton with its true previous sighting.
    order = sorted(range(len(items)), key=lambda i: items[i].scanned_at)
    by_index: dict[int, ScanResult] = {}
    judged: list[tuple[int, dict[str, Any], list[tuple[CartonFacts, Decision]]]] = []
    floors: dict[tuple[int, int], int | None] = {}
    for i in order:
        it = items[i]
        if it.error or it.region is None:
            by_index[i] = ScanResult(
                payload=it.payload,
                item_serial=it.item_serial,
                verdict=it.error_verdict,
                error=it.error or "no region",
            )
            continue
        path = tree.path_codes(it.region.id)
        here = (
            Sighting(at=it.scanned_at, lat=it.pos[0], lon=it.pos[1])
            if it.pos
            else Sighting(at=it.scanned_at)
        )
        base = {
            "scanned_at": it.scanned_at,
            "received_at": now,
            "payload": it.payload,
            "checkpoint_id": it.checkpoint_id,
            "region_id": it.region.id,
            # The best known position: the phone's GPS, else the checkpoint's coordinates.
            "lat": it.pos[0] if it.pos else None,
            "lon": it.pos[1] if it.pos else None,
            "observed_price_fen": it.observed_price_fen,
            "device_id": it.device_id,
            "user_id": user_id,
            "source": source,
            "photo_sha256": photo_sha256,
            "item_serial": it.item_serial,
        }
        if not it.cartons:
            status = it.status if it.status in ("unreadable", "forged", "unknown") else "unknown"
            d = evaluate(ScanFacts(code_status=status, scanned=here, scan_region_path=path), policy)  # type: ignore[arg-type]
            rows.append(
                {
                    **base,
                    "serial": it.serial,
                    "carton_id": None,
                    "pallet_id": None,
                    "verdict": d.verdict.value,
                    "rule": d.rule,
                    "policy_version": d.policy_version,
                    "findings": [f.value for f in d.findings],
                    "detail": (it.detail or d.detail)[:300],
                    "violation_id": None,
                }
            )
            by_index[i] = ScanResult(
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
            continue
        decisions: list[tuple[CartonFacts, Decision]] = []
        for c in it.cartons:
            floor = None
            if c.distributor_id is not None and it.observed_price_fen is not None:
                floor = price_floor_for(
                    tier=Tier(tiers[c.distributor_id]), floors_fen=c.floors, policy=policy
                )
            d = evaluate(
                ScanFacts(
                    code_status="valid",
                    scanned=here,
                    scan_region_path=path,
                    territory_region_codes=territory[c.id],
                    voided=c.voided,
                    previous=_latest_before(seen.get(c.id, []), it.scanned_at),
                    active_waybills=waybills.get(c.id, ()),
                    observed_unit_price_fen=it.observed_price_fen,
                    floor_unit_price_fen=floor,
                ),
                policy,
            )
            decisions.append((c, d))
            floors[i, c.id] = floor
            if here.has_position:
                seen[c.id].append(here)
        judged.append((i, base, decisions))
    # Violations are opened together, after every verdict of the batch is known.
    diverted = [c for _, _, ds in judged for c, d in ds if d.verdict is Verdict.DIVERSION]
    blamed = _blame(session, diverted, policy) if diverted else {}
    findings_of = [
        _findings(it=items[i], tree=tree, decisions=d, policy=policy, blamed=blamed)
        for i, _, d in judged
    ]
    # Price disorder is a case of its own against the seller, diverted goods or not.
    priced = [(i, d) for i, _, d in judged if items[i].observed_price_fen is not None]
    supply = price_cases.supply_lines(
        session, [_priced(items[i], c, None) for i, ds in priced for c, _ in ds]
    )
    for k, (i, _, decisions) in enumerate(judged):
        it = items[i]
        if it.observed_price_fen is None or it.region is None:
            continue
        findings_of[k] = (
            price_cases.drafts(
                session,
                cartons=[_priced(it, c, floors[i, c.id], d.verdict) for c, d in decisions],
                region_id=it.region.id,
                detected_at=it.scanned_at,
                advisory=advisory_market(tree.path_codes(it.region.id), policy),
                policy=policy,
                supply=supply,
            )
            + findings_of[k]
        )  # price cases first: a diversion is the scan's case when both
    flat = [f for fs in findings_of for f in fs]
    violation_ids = iter(open_or_join_many(session, flat, tree=tree))
    for (i, base, decisions), fs in zip(judged, findings_of, strict=True):
        it = items[i]
        assert it.region is not None
        violation_id: dict[int, int] = {}
        price_id: dict[int, int] = {}
        for f in fs:
            vid = next(violation_ids)
            violation_id.update((c, vid) for c in f.carton_ids)
            if f.kind is ViolationKind.PRICE:
                price_id.update((c, vid) for c in f.carton_ids)
        for c, d in decisions:
            rows.append(
                {
                    **base,
                    "serial": c.serial,
                    "carton_id": c.id,
                    "pallet_id": c.pallet_id if it.sscc else None,
                    "verdict": d.verdict.value,
                    "rule": d.rule,
                    "policy_version": d.policy_version,
                    "findings": [f.value for f in d.findings],
                    "detail": d.detail[:300],
                    "violation_id": violation_id.get(c.id),
                }
            )
        worst_c, worst = min(decisions, key=lambda cd: SEVERITY.index(cd[1].verdict))
        by_index[i] = ScanResult(
            payload=it.payload,
            serial=worst_c.serial if not it.sscc else None,
            item_serial=it.item_serial,
            verdict=worst.verdict.value,
            region_code=it.region.code,
            violation_id=violation_id.get(worst_c.id),
            price_violation_id=price_id.get(worst_c.id),
            findings=sorted({f.value for _, d in decisions for f in d.findings}),
            rule=worst.rule,
            policy_version=worst.policy_version,
            detail=worst.detail,
            cartons=len(decisions) if it.sscc else None,
            region_name=it.region.name,
            reason=reason_of(tree, it.region, worst, worst_c),
        )
    for start in range(0, len(rows), CHUNK):
        # Core, not ORM bulk: the rows are complete, and this skips per-row ORM bookkeeping.
        session.execute(insert(table_of(Scan)), rows[start : start + CHUNK])
    results = [by_index[i] for i in range(len(items))]
    return results


def _priced(
    it: Item, c: CartonFacts, floor: int | None, verdict: Verdict | None = None
) -> price_cases.PricedCarton:
    return price_cases.PricedCarton(
        c.id,
        c.value_fen,
        it.observed_price_fen,
        floor,
        c.distributor_id,
        c.custodian_type,
        c.custodian_id,
        verdict not in (Verdict.CLONED, Verdict.VOIDED),
    )


def _findings(
    *,
    it: Item,
    tree: RegionTree,
    decisions: list[tuple[CartonFacts, Decision]],
    policy: Policy,
    blamed: dict[int, Blame],
) -> list[CaseDraft]:
    """One finding per scan for its diverted cartons (per diverting custodian), and one case of
    its own for cloned ones: a copied code blames nobody until HQ decides."""
    assert it.region is not None
    out: list[CaseDraft] = []
    advisory = advisory_market(tree.path_codes(it.region.id), policy)
    by_diverter: dict[tuple[int | None, int | None, str], list[CartonFacts]] = defaultdict(list)
    cloned: list[CartonFacts] = []
    for c, d in decisions:
        if d.verdict is Verdict.DIVERSION:
            b = blamed[c.id]
            by_diverter[b.diverting_distributor_id, b.diverting_sub_customer_id, b.rule].append(c)
        elif d.verdict is Verdict.CLONED:
            cloned.append(c)
    out.extend(
        CaseDraft(
            kind=ViolationKind.DIVERSION,
            carton_ids=tuple(c.id for c in cartons),
            diverting_distributor_id=distributor,
            diverting_sub_customer_id=sub_customer,
            blame_rule=rule,
            value_fen=sum(c.value_fen for c in cartons),
            region_id=it.region.id,
            detected_at=it.scanned_at,
            policy_version=policy.version,
            advisory=advisory,
        )
        for (distributor, sub_customer, rule), cartons in by_diverter.items()
    )
    if cloned:
        out.append(
            CaseDraft(
                kind=ViolationKind.CLONED,
                carton_ids=tuple(c.id for c in cloned),
                diverting_distributor_id=None,
                value_fen=sum(c.value_fen for c in cloned),
                region_id=it.region.id,
                detected_at=it.scanned_at,
                policy_version=policy.version,
                advisory=advisory,
            )
        )
    return out
