"""Public verification of carton and item codes (SPEC §2.13): the answer at every QR's Digital
Link path, and each verification recorded as a sighting that may raise a weak signal for HQ.

Nothing here names a distributor, a price or a custodian. Forged, unknown and voided codes get
the same answer after the same work (one lookup, one HMAC, no write), so the page is no oracle
for guessing codes."""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shapely.geometry import Point, shape
from shapely.ops import nearest_points
from sqlalchemy import bindparam, func, insert, literal, select, union_all, update
from sqlalchemy.orm import Session

from app.codes import gs1
from app.codes.service import territory_codes
from app.common.lookup import count_rows, invalid
from app.common.types import Page
from app.common.wire import wire_form
from app.config import Settings
from app.db import utcnow
from app.errors import Conflict, NotFound
from app.models import (
    Carton,
    CartonStatus,
    ConsumerSignal,
    ItemCode,
    Product,
    PublicVerification,
    Region,
)
from app.regions.tree import region_tree
from app.verify.schemas import PlaceIn, PlaceResult, SignalOut
from rules.policy import Policy
from rules.sightings import far_outside_territory, impossible_consumer_travel
from rules.verdicts import Sighting, distance_km

_GTIN_RE = re.compile(r"[0-9]{14}")
NOT_GENUINE: dict[str, object] = {"genuine": False, "verifications": 0}


@dataclass(frozen=True)
class Answer:
    genuine: bool
    product_name: str | None = None
    region_name: str | None = None
    verifications: int = 0
    """Earlier public verifications of this code (0 the first time)."""
    first_verified_at: datetime | None = None
    sighting_id: int | None = None
    place_token: str | None = None
    """Lets this visitor's page add a coarse place to this one verification, nothing else."""

    def public(self) -> dict[str, object]:
        """The JSON answer: exactly NOT_GENUINE for anything not genuine."""
        if not self.genuine:
            return dict(NOT_GENUINE)
        out: dict[str, object] = {
            "genuine": True,
            "product_name": self.product_name,
            "region_name": self.region_name,
            "verifications": self.verifications,
        }
        if self.first_verified_at is not None:
            out["first_verified_at"] = self.first_verified_at.isoformat()
        return out


def _lookup_statement() -> Any:
    cols = (Product.gtin, Product.name, Region.code, Region.name)
    serial: Any = bindparam("serial")
    items = (
        select(
            literal("item").label("kind"),
            ItemCode.id,
            ItemCode.status,
            ItemCode.carton_id,
            *cols,
        )
        .join(Product, Product.id == ItemCode.product_id)
        .join(Region, Region.id == ItemCode.region_id)
        .where(ItemCode.serial == serial)
    )
    cartons = (
        select(literal("carton").label("kind"), Carton.id, Carton.status, Carton.id, *cols)
        .join(Product, Product.id == Carton.product_id)
        .join(Region, Region.id == Carton.region_id)
        .where(Carton.serial == serial)
    )
    return union_all(items, cartons)


def _count_statement(model: type[ItemCode] | type[Carton]) -> Any:
    table: Any = model.__table__
    c = table.c
    return (
        update(table)
        .where(c.id == bindparam("code_id"))
        .values(
            verifications=c.verifications + 1,
            first_verified_at=func.coalesce(c.first_verified_at, bindparam("now")),
        )
        .returning(c.verifications, c.first_verified_at)
    )


# Built once: constructing these per request cost more than running them (profiled).
_LOOKUP = _lookup_statement()
_COUNT = {"item": _count_statement(ItemCode), "carton": _count_statement(Carton)}
_SIGHTINGS: Any = PublicVerification.__table__
_SIGHTING = insert(_SIGHTINGS).returning(_SIGHTINGS.c.id)


def _lookup(session: Session, serial: str) -> tuple[object, ...] | None:
    """The code with this serial, carton or item, with its product and region: one query."""
    # Core statements on the session's connection: no ORM work on the public page's hot path.
    row: Any = session.connection().execute(_LOOKUP, {"serial": serial}).first()
    return tuple(row) if row is not None else None


def place_token(settings: Settings, sighting_id: int) -> str:
    keys = settings.signing
    key = keys.keys[keys.current]
    return hmac.new(key, f"place|{sighting_id}".encode(), hashlib.sha256).hexdigest()[:32]


def verify(
    session: Session,
    *,
    gtin: str,
    serial: str,
    region_code: str,
    signature: str,
    settings: Settings,
    policy: Policy,
) -> Answer:
    """Answer one public verification and, for a genuine code, count it and record the
    sighting (bounded per code by the policy)."""
    serial = serial.strip().upper()
    well_formed = bool(
        _GTIN_RE.fullmatch(gtin)
        and gs1.SERIAL_RE.fullmatch(serial)
        and gs1.REGION_CODE_RE.fullmatch(region_code)
        and len(signature) <= 40
    )
    # The same work on every path: one lookup and one MAC, whatever was wrong.
    row = _lookup(session, serial if well_formed else "-")
    signed = gs1.signature_matches(gtin, serial, region_code, signature, keys=settings.signing)
    if not (well_formed and signed and row is not None):
        return Answer(genuine=False)
    kind, code_id, status, carton_id, real_gtin, product_name, real_region, region_name = row
    if status == CartonStatus.voided or real_gtin != gtin or real_region != region_code:
        return Answer(genuine=False)
    assert isinstance(code_id, int)
    now = utcnow()
    conn = session.connection()
    count, first = conn.execute(_COUNT[str(kind)], {"code_id": code_id, "now": now}).one()
    before = int(count) - 1
    sighting_id = None
    if before < policy.consumers.max_sightings_per_code:
        sighting_id = conn.execute(
            _SIGHTING,
            {
                "carton_id": carton_id if isinstance(carton_id, int) else None,
                "item_id": code_id if kind == "item" else None,
                "at": now,
            },
        ).scalar_one()
    return Answer(
        genuine=True,
        product_name=str(product_name),
        region_name=str(region_name),
        verifications=before,
        first_verified_at=first if before > 0 else None,
        sighting_id=sighting_id,
        place_token=place_token(settings, sighting_id) if sighting_id is not None else None,
    )


def _city_point(session: Session, code: str) -> tuple[float, float]:
    """A picked city's place: a point inside its boundary, rounded like a shared position."""
    boundary = session.scalar(select(Region.boundary).where(Region.code == code))
    if not boundary:
        raise invalid("city", f"unknown city {code!r}")
    point = shape(boundary).representative_point()
    return round(point.y, 2), round(point.x, 2)


def cities(session: Session) -> list[tuple[str, str]]:
    """What the page's city picker offers: regions with a boundary on file, by code."""
    return [
        (code, name)
        for code, name in session.execute(
            select(Region.code, Region.name)
            .where(Region.boundary.is_not(None))
            .order_by(Region.code)
        )
    ]


def _distance_to(session: Session, codes: frozenset[str], lat: float, lon: float) -> float | None:
    """Kilometres from the point to the nearest boundary of the regions, None if none has one."""
    here = Point(lon, lat)
    best: float | None = None
    for (boundary,) in session.execute(select(Region.boundary).where(Region.code.in_(codes))):
        if not boundary:
            continue
        near, _ = nearest_points(shape(boundary), here)
        km = distance_km(
            Sighting(at=utcnow(), lat=near.y, lon=near.x), Sighting(at=utcnow(), lat=lat, lon=lon)
        )
        best = km if best is None else min(best, km)
    return best


def add_place(
    session: Session,
    *,
    serial: str,
    data: PlaceIn,
    settings: Settings,
    policy: Policy,
) -> PlaceResult:
    """The place a visitor agreed to share for their verification: a position rounded to
    about 1 km, or a picked city. Judged against the code's earlier places (a clone?) and
    its territory (diverted?): signals for HQ, never shown to the visitor."""
    expected = place_token(settings, data.sighting)
    # Bytes: compare_digest refuses non-ASCII text, and a visitor may send anything.
    if not hmac.compare_digest(expected.encode(), data.token.encode("utf-8", "replace")):
        raise NotFound("no such verification")
    sighting = session.get(PublicVerification, data.sighting, with_for_update=True)
    if sighting is None:
        raise NotFound("no such verification")
    item = session.get(ItemCode, sighting.item_id) if sighting.item_id else None
    carton = session.get(Carton, sighting.carton_id) if sighting.carton_id else None
    code = item or carton
    if code is None or code.serial != serial.strip().upper():
        raise NotFound("no such verification")
    if sighting.placed_at is not None:
        raise Conflict("this verification already has its place")
    if data.city is not None:
        lat, lon = _city_point(session, data.city)
    else:
        assert data.lat is not None
        assert data.lon is not None
        lat, lon = round(data.lat, 2), round(data.lon, 2)
    tree = region_tree(session)
    node = tree.nodes.get(tree.by_code[data.city].id) if data.city else tree.locate(lat, lon)
    sighting.lat, sighting.lon, sighting.city_code = lat, lon, data.city
    sighting.place_region_id = node.id if node else None
    sighting.placed_at = utcnow()
    here = Sighting(at=sighting.at, lat=lat, lon=lon)
    mine = (
        PublicVerification.item_id == item.id
        if item is not None
        else (PublicVerification.carton_id == sighting.carton_id)
        & PublicVerification.item_id.is_(None)
    )
    previous = [
        Sighting(at=at, lat=plat, lon=plon)
        for at, plat, plon in session.execute(
            select(PublicVerification.at, PublicVerification.lat, PublicVerification.lon)
            .where(mine, PublicVerification.id != sighting.id, PublicVerification.lat.is_not(None))
            .order_by(PublicVerification.at.desc())
            .limit(policy.consumers.max_sightings_per_code)
        )
    ]
    if carton is not None:
        territory = frozenset(territory_codes(session, carton))
    else:
        assert item is not None
        territory = frozenset({tree.nodes[item.region_id].code})
    decisions = [
        d
        for d in (
            impossible_consumer_travel(previous, here, policy),
            far_outside_territory(
                place_region_path=tree.path_codes(node.id) if node else (),
                territory_region_codes=territory,
                distance_to_territory_km=_distance_to(session, territory, lat, lon),
                policy=policy,
            ),
        )
        if d is not None
    ]
    code_region_id = item.region_id if item is not None else code.region_id
    for d in decisions:
        session.add(
            ConsumerSignal(
                kind=d.kind,
                carton_id=sighting.carton_id,
                item_id=sighting.item_id,
                verification_id=sighting.id,
                code_region_id=code_region_id,
                place_region_id=sighting.place_region_id,
                lat=lat,
                lon=lon,
                at=sighting.at,
                rule=d.rule,
                policy_version=d.policy_version,
                detail=d.detail[:300],
            )
        )
    session.flush()
    return PlaceResult(lat=lat, lon=lon, region_name=node.name if node else None)


def list_signals(session: Session, *, kind: str | None, limit: int, offset: int) -> Page[SignalOut]:
    """Weak signals from public verifications, newest first, for HQ."""
    code_region = Region.__table__.alias("code_region")
    place_region = Region.__table__.alias("place_region")
    query = (
        select(
            ConsumerSignal,
            Carton.serial,
            ItemCode.serial,
            code_region.c.code,
            place_region.c.code,
        )
        .outerjoin(Carton, Carton.id == ConsumerSignal.carton_id)
        .outerjoin(ItemCode, ItemCode.id == ConsumerSignal.item_id)
        .join(code_region, code_region.c.id == ConsumerSignal.code_region_id)
        .outerjoin(place_region, place_region.c.id == ConsumerSignal.place_region_id)
        .order_by(ConsumerSignal.at.desc(), ConsumerSignal.id.desc())
    )
    if kind is not None:
        query = query.where(ConsumerSignal.kind == kind)
    total = count_rows(session, query)
    items = [
        wire_form(
            SignalOut,
            s,
            serial=carton_serial,
            item_serial=item_serial,
            code_region_code=code_code,
            place_region_code=place_code,
        )
        for s, carton_serial, item_serial, code_code, place_code in session.execute(
            query.limit(limit).offset(offset)
        )
    ]
    return Page(items=items, total=total, limit=limit, offset=offset)
