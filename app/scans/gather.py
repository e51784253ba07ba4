"""Gathering the facts a batch of scans is judged on: each payload parsed, placed and matched
to its cartons, and what the verdict rules need about those cartons (territories, waybills,
earlier sightings, tiers, custody), each with one set-based query. Nothing here decides: the
answer is a frozen `Gathered` that `app/scans/judge.py` judges."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.config import Settings
from app.db import utcnow
from app.models import (
    Checkpoint,
    Distributor,
    Scan,
    SubCustomer,
    Tier,
    Waybill,
    WaybillCarton,
    WaybillStatus,
    WaybillStop,
)
from app.regions.tree import RegionNode, RegionTree, region_tree, territories
from app.scans.recognise import CHUNK, CartonFacts, Item, recognise
from rules.blame import Custody
from rules.policy import Policy
from rules.verdicts import EARTH_MEAN_RADIUS_KM, Sighting, WaybillFacts

FUTURE_TOLERANCE = timedelta(hours=24)


@dataclass(frozen=True)
class ItemFacts:
    """One scan as gathered: where it was made, what its payload is, the cartons it names."""

    payload: str
    scanned_at: datetime
    region: RegionNode | None
    checkpoint_id: int | None
    pos: tuple[float, float] | None
    """The best known position: the phone's GPS, else the checkpoint's coordinates."""
    observed_price_fen: int | None
    device_id: str | None
    code_status: str
    """`valid`, `pallet`, `unreadable`, `forged` or `unknown`, as parsing and lookups found."""
    serial: str | None
    item_serial: str | None
    sscc: str | None
    detail: str
    error: str | None
    error_verdict: str | None
    cartons: tuple[CartonFacts, ...]

    @classmethod
    def of(cls, it: Item) -> ItemFacts:
        return cls(
            payload=it.payload,
            scanned_at=it.scanned_at,
            region=it.region,
            checkpoint_id=it.checkpoint_id,
            pos=it.pos,
            observed_price_fen=it.observed_price_fen,
            device_id=it.device_id,
            code_status=it.status,
            serial=it.serial,
            item_serial=it.item_serial,
            sscc=it.sscc,
            detail=it.detail,
            error=it.error,
            error_verdict=it.error_verdict,
            cartons=tuple(it.cartons),
        )


@dataclass(frozen=True)
class Gathered:
    """Everything a batch is judged on, keyed by carton id where it is a carton's."""

    tree: RegionTree
    items: tuple[ItemFacts, ...]
    """In input order."""
    territory: Mapping[int, frozenset[str]]
    """The region codes where each carton may be: its distributor's territory, else its own."""
    waybills: Mapping[int, tuple[WaybillFacts, ...]]
    sightings: Mapping[int, tuple[Sighting, ...]]
    """Earlier positioned scans of each carton."""
    tiers: Mapping[int, Tier]
    """Distributor id -> tier, for the price floor."""
    custody: Mapping[int, Custody]
    """Who held each carton last, for who answers if it turns out diverted."""
    received_at: datetime


def gather(session: Session, items: list[Item], settings: Settings, policy: Policy) -> Gathered:
    """Place, parse and match every item, then look up the facts of all their cartons at once."""
    tree = region_tree(session)
    _place(session, tree, items)
    recognise(session, items, settings)
    cartons = {c.id: c for it in items for c in it.cartons}
    ids = sorted(cartons)
    return Gathered(
        tree=tree,
        items=tuple(ItemFacts.of(it) for it in items),
        territory=_territories(session, tree, list(cartons.values())),
        waybills=_waybills(session, tree, ids),
        sightings=_previous_sightings(session, ids, between=_sighting_span(items, policy)),
        tiers=_tiers(session, cartons.values()),
        custody=_custody(session, cartons.values()),
        received_at=utcnow(),
    )


def _tiers(session: Session, cartons: Iterable[CartonFacts]) -> dict[int, Tier]:
    ids = {c.distributor_id for c in cartons if c.distributor_id}
    if not ids:
        return {}
    return {
        did: Tier(tier)
        for did, tier in session.execute(
            select(Distributor.id, Distributor.tier).where(Distributor.id.in_(ids))
        )
    }


def _custody(session: Session, cartons: Iterable[CartonFacts]) -> dict[int, Custody]:
    """Each carton's custody of record; a sub-customer's distributor is its supplier."""
    held = list(cartons)
    sub_ids = {c.custodian_id for c in held if c.custodian_type == "sub_customer"}
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
    return {
        c.id: Custody(
            delivered_distributor_id=c.distributor_id,
            custodian_kind=c.custodian_type,
            custodian_id=c.custodian_id,
            custodian_distributor_id=(
                supply.get(c.custodian_id or 0)
                if c.custodian_type == "sub_customer"
                else c.custodian_id
            ),
        )
        for c in held
    }


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


def _territories(
    session: Session, tree: RegionTree, cartons: list[CartonFacts]
) -> dict[int, frozenset[str]]:
    held = territories(
        session, tree, {c.distributor_id for c in cartons if c.distributor_id is not None}
    )
    coded: dict[int, frozenset[str]] = {}  # undelivered cartons: their own region, one set each

    def own(region_id: int) -> frozenset[str]:
        found = coded.get(region_id)
        if found is None:
            found = coded[region_id] = frozenset({tree.nodes[region_id].code})
        return found

    return {
        c.id: held[c.distributor_id] if c.distributor_id is not None else own(c.region_id)
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


def sighting_window(policy: Policy) -> timedelta:
    """How far back a previous sighting can still make a scan a clone: no two points on Earth
    are further apart than half its circumference, so a sighting older than that distance at
    the clone speed is reachable from anywhere, and never decides (plus an hour's margin)."""
    hours = math.pi * EARTH_MEAN_RADIUS_KM / policy.verdicts.clone_speed_kmh
    return timedelta(hours=hours + 1)


def _sighting_span(items: list[Item], policy: Policy) -> tuple[datetime, datetime] | None:
    """From the window before the batch's first scan to its last scan: a sighting after the
    scan it would be compared with is never its previous one."""
    times = [it.scanned_at for it in items if it.cartons]
    return (min(times) - sighting_window(policy), max(times)) if times else None


def _previous_sightings(
    session: Session, carton_ids: list[int], *, between: tuple[datetime, datetime] | None
) -> dict[int, tuple[Sighting, ...]]:
    """Earlier positioned scans of these cartons within `between`: bounded in time, so that
    on PostgreSQL only the month partitions of those days are read (scan is partitioned by
    month, and a query without bounds probes every month's index)."""
    out: dict[int, list[Sighting]] = defaultdict(list)
    if not carton_ids or between is None:
        return {}
    since, until = between
    for start in range(0, len(carton_ids), CHUNK):
        for cid, at, lat, lon in session.execute(
            select(Scan.carton_id, Scan.scanned_at, Scan.lat, Scan.lon).where(
                Scan.carton_id.in_(carton_ids[start : start + CHUNK]),
                Scan.scanned_at >= since,
                Scan.scanned_at <= until,
                Scan.lat.is_not(None),
            )
        ):
            if cid is not None:
                out[cid].append(Sighting(at=at, lat=lat, lon=lon))
    return {cid: tuple(seen) for cid, seen in out.items()}
