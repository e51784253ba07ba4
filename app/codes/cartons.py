"""One carton's life after issue: voided, packed on a pallet, its items packed into it, and its
history (territory, custody, public verifications) as the carton page shows it."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.codes import gs1
from app.codes.batches import CHUNK, batch_context, code_of
from app.codes.schemas import (
    CartonOut,
    CartonScanOut,
    CartonWaybillOut,
    CustodianOut,
    CustodyEventOut,
    PackOut,
    PalletIn,
    PalletOut,
    PlaceOut,
    PublicVerificationOut,
)
from app.common.lookup import invalid
from app.common.wire import wire_form
from app.config import Settings
from app.db import utcnow
from app.errors import Conflict, NotFound
from app.models import (
    Carton,
    CartonStatus,
    Checkpoint,
    CustodyEvent,
    CustodyParty,
    Distributor,
    ItemCode,
    Pallet,
    PublicVerification,
    Region,
    Scan,
    SubCustomer,
    Waybill,
    WaybillCarton,
    distributor_region,
)

CodeT = TypeVar("CodeT", Carton, ItemCode)


def carton_by_serial(session: Session, serial: str) -> Carton:
    carton = session.scalar(select(Carton).where(Carton.serial == serial.strip().upper()))
    if carton is None:
        raise NotFound(f"carton {serial!r} not found")
    return carton


def void_carton(session: Session, *, serial: str, reason: str, actor: str) -> Carton | ItemCode:
    """Kill a code (destroyed, returned): every later scan of it is `voided`. An item code's
    serial voids just that item (its page then answers "not genuine")."""
    item = session.scalar(select(ItemCode).where(ItemCode.serial == serial.strip().upper()))
    carton = item if item is not None else carton_by_serial(session, serial)
    if carton.status is CartonStatus.voided:
        raise Conflict(f"carton {serial!r} is already voided")
    carton.status = CartonStatus.voided
    carton.voided_at = utcnow()
    carton.void_reason = reason
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="carton.voided" if item is None else "item_code.voided",
        entity_type="carton" if item is None else "item_code",
        entity_key=carton.serial,
        data={"reason": reason},
    )
    return carton


def serial_of(text: str, index: int, *, settings: Settings, field: str, pallet: str) -> str:
    """The carton-level serial that one scanned payload (any scanner form, or a bare serial)
    names. Unreadable, pallet (`pallet` says why that is wrong here) and forged codes are a 422
    on `field` naming the payload's index."""
    text = text.strip()
    if gs1.SERIAL_RE.fullmatch(text):
        return text
    parsed = gs1.parse_payload(text, allowed_hosts=settings.allowed_link_hosts)
    if not isinstance(parsed, gs1.ParsedCarton):
        reason = parsed.reason if isinstance(parsed, gs1.Unreadable) else pallet
        raise invalid(field, f"item {index}: {reason}")
    if gs1.verify(parsed, keys=settings.signing) != "valid":
        raise invalid(field, f"item {index}: code {parsed.serial} does not verify (forged?)")
    return parsed.serial


def by_serial(
    session: Session, model: type[CodeT], serials: list[str], *, lock: bool = False
) -> dict[str, CodeT]:
    """The stored codes of `model` among `serials`, by serial, looked up in chunks small enough
    for any database's parameter limit (and row-locked when `lock`)."""
    found: dict[str, CodeT] = {}
    for start in range(0, len(serials), CHUNK):
        query = select(model).where(model.serial.in_(serials[start : start + CHUNK]))
        found.update(
            (c.serial, c) for c in session.scalars(query.with_for_update() if lock else query)
        )
    return found


def resolve_cartons(
    session: Session, payloads: list[str], *, settings: Settings, field: str
) -> list[Carton]:
    """The issued, live cartons that payloads (any scanner form, or bare serials) name.
    Anything forged, unknown, voided or repeated is a 422 naming the offending item."""
    serials = [
        serial_of(raw, i, settings=settings, field=field, pallet="a pallet, not a carton")
        for i, raw in enumerate(payloads)
    ]
    if len(set(serials)) != len(serials):
        raise invalid(field, "a carton is listed twice")
    found = by_serial(session, Carton, serials)
    missing = [s for s in serials if s not in found]
    if missing:
        raise invalid(field, f"never issued: {', '.join(missing[:10])}")
    dead = [s for s in serials if found[s].status is CartonStatus.voided]
    if dead:
        raise invalid(field, f"voided: {', '.join(dead[:10])}")
    return [found[s] for s in serials]


def create_pallet(session: Session, *, data: PalletIn, settings: Settings, actor: str) -> PalletOut:
    """Aggregate cartons onto an SSCC pallet: scanning or shipping the pallet covers them."""
    sscc = data.sscc or gs1.new_sscc(settings.gs1_company_prefix)
    try:
        gs1.validate_sscc(sscc)
    except ValueError as exc:
        raise invalid("sscc", str(exc)) from exc
    if session.scalar(select(Pallet.id).where(Pallet.sscc == sscc)) is not None:
        raise Conflict(f"pallet {sscc} already exists")
    cartons = resolve_cartons(
        session, data.carton_payloads, settings=settings, field="carton_payloads"
    )
    taken = [c.serial for c in cartons if c.pallet_id is not None]
    if taken:
        raise Conflict(f"already on a pallet: {', '.join(taken[:10])}")
    pallet = Pallet(sscc=sscc)
    session.add(pallet)
    session.flush()
    for c in cartons:
        c.pallet_id = pallet.id
    session.flush()
    audit.change(session, actor, "pallet.built", sscc, {"cartons": [c.serial for c in cartons]})
    return PalletOut(
        sscc=sscc, element_string=f"(00){sscc}", carton_serials=sorted(c.serial for c in cartons)
    )


def territory_codes(session: Session, carton: Carton) -> list[str]:
    """The carton's authorized territory: its distributor's regions once delivered, else the
    region it was coded for."""
    if carton.distributor_id is None:
        return [session.scalar(select(Region.code).where(Region.id == carton.region_id)) or ""]
    return list(
        session.scalars(
            select(Region.code)
            .join(distributor_region, distributor_region.c.region_id == Region.id)
            .where(distributor_region.c.distributor_id == carton.distributor_id)
            .order_by(Region.code)
        )
    )


def carton_history(session: Session, *, serial: str, settings: Settings) -> CartonOut:
    """Everything known of one carton: batch, region, waybills, and every scan in time order."""
    carton = carton_by_serial(session, serial)
    ctx = batch_context(session, carton.batch_id)
    waybills = session.execute(
        select(Waybill, Distributor.code)
        .join(WaybillCarton, WaybillCarton.waybill_id == Waybill.id)
        .join(Distributor, Distributor.id == Waybill.destination_distributor_id)
        .where(WaybillCarton.carton_id == carton.id)
        .order_by(Waybill.dispatched_at)
    ).all()
    scans = session.execute(
        select(Scan, Region.code, Checkpoint.code)
        .outerjoin(Region, Region.id == Scan.region_id)
        .outerjoin(Checkpoint, Checkpoint.id == Scan.checkpoint_id)
        .where(Scan.carton_id == carton.id)
        .order_by(Scan.scanned_at, Scan.id)
    ).all()
    pallet = session.get(Pallet, carton.pallet_id) if carton.pallet_id else None
    distributor = session.get(Distributor, carton.distributor_id) if carton.distributor_id else None
    custodian, custody = custody_of(session, carton)
    return CartonOut(
        serial=carton.serial,
        gtin=ctx.gtin,
        product_name=ctx.product_name,
        batch_id=carton.batch_id,
        region_code=session.scalar(select(Region.code).where(Region.id == carton.region_id)) or "",
        status=carton.status.value,
        void_reason=carton.void_reason,
        pallet_sscc=pallet.sscc if pallet else None,
        distributor_code=distributor.code if distributor else None,
        territory_region_codes=territory_codes(session, carton),
        element_string=code_of(ctx, carton.serial, carton.signature).element_string,
        waybills=[
            wire_form(CartonWaybillOut, w, destination_distributor_code=d) for w, d in waybills
        ],
        scans=[
            wire_form(CartonScanOut, s, region_code=rc, checkpoint_code=cc) for s, rc, cc in scans
        ],
        custodian=custodian,
        custody=custody,
        public_verifications=public_verifications(session, carton.id),
    )


def public_verifications(session: Session, carton_id: int) -> list[PublicVerificationOut]:
    """The public verifications of a carton's code and of the items packed in it."""
    rows = session.execute(
        select(PublicVerification, ItemCode.serial, Region.code)
        .outerjoin(ItemCode, ItemCode.id == PublicVerification.item_id)
        .outerjoin(Region, Region.id == PublicVerification.place_region_id)
        .where(PublicVerification.carton_id == carton_id)
        .order_by(PublicVerification.at, PublicVerification.id)
    ).all()
    return [
        PublicVerificationOut(
            at=v.at,
            item_serial=item_serial,
            place=PlaceOut(lat=v.lat, lon=v.lon, city_code=v.city_code, region_code=region)
            if v.placed_at is not None
            else None,
        )
        for v, item_serial, region in rows
    ]


def custody_of(
    session: Session, carton: Carton
) -> tuple[CustodianOut | None, list[CustodyEventOut]]:
    """The carton's custodian of record and its chain of hand-offs, parties named by code."""
    events = list(
        session.scalars(
            select(CustodyEvent)
            .where(CustodyEvent.carton_id == carton.id)
            .order_by(CustodyEvent.at, CustodyEvent.id)
        )
    )
    keys = {(e.from_type, e.from_id) for e in events} | {(e.to_type, e.to_id) for e in events}
    keys.add((carton.custodian_type, carton.custodian_id))  # type: ignore[arg-type]
    ids = {kind: {i for k, i in keys if k == kind and i is not None} for kind in CustodyParty}
    codes: dict[tuple[str, int], str] = {}
    for kind, model in (
        (CustodyParty.DISTRIBUTOR, Distributor),
        (CustodyParty.SUB_CUSTOMER, SubCustomer),
    ):
        if ids[kind]:
            for pk, code in session.execute(
                select(model.id, model.code).where(model.id.in_(ids[kind]))
            ):
                codes[kind.value, pk] = code
    custodian = None
    if carton.custodian_type and carton.custodian_id is not None:
        custodian = CustodianOut(
            party_type=carton.custodian_type,
            party_code=codes.get((carton.custodian_type, carton.custodian_id), ""),
        )
    return custodian, [
        wire_form(
            CustodyEventOut,
            e,
            from_party_code=codes.get((e.from_type.value, e.from_id))
            if e.from_type and e.from_id is not None
            else None,
            to_party_code=codes.get((e.to_type.value, e.to_id), ""),
        )
        for e in events
    ]


def pack_items(
    session: Session, *, serial: str, payloads: list[str], settings: Settings, actor: str
) -> PackOut:
    """Pack item codes into a carton (关联), idempotently: items already in this carton stay,
    an item in another carton is a 409 (an item belongs to one carton at a time), and a
    forged, unknown, voided or foreign item is a 422 naming its index in `payloads`."""
    carton = carton_by_serial(session, serial)
    if carton.status is CartonStatus.voided:
        raise Conflict(f"carton {carton.serial} is voided")
    serials = [
        serial_of(raw, i, settings=settings, field=f"payloads.{i}", pallet="a pallet code")
        for i, raw in enumerate(payloads)
    ]
    seen: dict[str, int] = {}
    for i, s in enumerate(serials):
        if s in seen:
            raise invalid(f"payloads.{i}", f"item {i}: the same item as item {seen[s]}")
        seen[s] = i
    found = by_serial(session, ItemCode, serials, lock=True)
    for i, s in enumerate(serials):
        item = found.get(s)
        if item is None:
            raise invalid(f"payloads.{i}", f"item {i}: {s} was never issued as an item code")
        if item.status is CartonStatus.voided:
            raise invalid(f"payloads.{i}", f"item {i}: {s} is voided")
        if item.product_id != carton.product_id:
            raise invalid(f"payloads.{i}", f"item {i}: {s} is another product than the carton")
    elsewhere = [s for s in serials if found[s].carton_id not in (None, carton.id)]
    if elsewhere:
        raise Conflict(f"already packed in another carton: {', '.join(elsewhere[:10])}")
    now = utcnow()
    new = [found[s] for s in serials if found[s].carton_id is None]
    for item in new:
        item.carton_id, item.packed_at = carton.id, now
    session.flush()
    if new:
        audit.change(
            session, actor, "carton.items_packed", carton.serial, {"items": [i.serial for i in new]}
        )
    return PackOut(
        serial=carton.serial,
        packed=len(new),
        item_serials=sorted(
            session.scalars(select(ItemCode.serial).where(ItemCode.carton_id == carton.id))
        ),
    )
