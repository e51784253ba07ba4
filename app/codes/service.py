"""Issuing carton codes into the database, looking them up, voiding them, building pallets."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.codes import gs1
from app.codes.labels import LabelData
from app.codes.schemas import (
    CartonOut,
    CartonScanOut,
    CartonWaybillOut,
    CodeBatchIn,
    CodeBatchOut,
    CustodianOut,
    CustodyEventOut,
    IssuedCode,
    PackOut,
    PalletIn,
    PalletOut,
    PlaceOut,
    PublicVerificationOut,
)
from app.common.lookup import count_rows, invalid, ref
from app.common.signing import SigningKeys
from app.common.types import Page
from app.config import Settings
from app.db import table_of, utcnow
from app.errors import Conflict, NotFound
from app.models import (
    Carton,
    CartonStatus,
    Checkpoint,
    CodeBatch,
    CustodyEvent,
    CustodyParty,
    Distributor,
    ItemCode,
    Pallet,
    Product,
    PublicVerification,
    Region,
    Scan,
    SubCustomer,
    Waybill,
    WaybillCarton,
    distributor_region,
)
from app.models.code import BatchStatus
from rules.vocab import CodeLevel

CHUNK = 5_000
INLINE_LIMIT = 1_000
ISSUE_CHUNK = 10_000
"""Codes a transaction when a large batch is issued: SQLite's one write lock is held for about
0.2 s of inserts a chunk, so /healthz and scans wait at most that long (a 1,000,000-code batch
in one transaction held it for 30-50 s)."""

SessionFactory = Callable[[], Session]


def code_model(level: CodeLevel) -> type[Carton] | type[ItemCode]:
    """Where a batch's codes live: carton codes in `carton`, item codes in `item_code`."""
    return ItemCode if level is CodeLevel.ITEM else Carton


@dataclass(frozen=True)
class BatchContext:
    batch: CodeBatch
    gtin: str
    region_code: str
    region_name: str
    product_name: str
    region_colour: str | None = None


def issue_batch(
    session: Session,
    *,
    data: CodeBatchIn,
    settings: Settings,
    actor: str,
    progress: Callable[[int], None] | None = None,
) -> CodeBatchOut:
    """Sign `quantity` fresh codes for a product and region in the caller's one transaction,
    inserting them in chunks. For batches of up to ISSUE_CHUNK; larger ones go through
    `issue_batch_chunked` so that they do not hold the database for their whole run."""
    product, region = _product_and_region(session, data)
    keys = settings.signing
    batch = CodeBatch(
        product_id=product.id,
        region_id=region.id,
        quantity=data.quantity,
        key_id=keys.current,
        created_by=actor,
        status=BatchStatus.complete,
        issued=data.quantity,
        completed_at=utcnow(),
        level=data.level,
    )
    session.add(batch)
    session.flush()
    inline: list[IssuedCode] = []
    rows: list[dict[str, object]] = []
    model = code_model(data.level)
    codes = gs1.issue_codes(
        gtin=product.gtin, region_code=region.code, keys=keys, quantity=data.quantity
    )
    for code in codes:
        rows.append(
            {
                "serial": code.serial,
                "batch_id": batch.id,
                "product_id": product.id,
                "region_id": region.id,
                "signature": code.signature,
                "status": CartonStatus.active,
            }
        )
        if data.quantity <= INLINE_LIMIT:
            inline.append(_issued(code, settings))
        if len(rows) == CHUNK:
            session.execute(insert(table_of(model)), rows)
            if progress:
                progress(len(rows))
            rows = []
    if rows:
        session.execute(insert(table_of(model)), rows)
        if progress:
            progress(len(rows))
    audit.record(
        session,
        actor=actor,
        action="code_batch.issued",
        entity_type="code_batch",
        entity_key=str(batch.id),
        data={
            "gtin": product.gtin,
            "region": region.code,
            "quantity": data.quantity,
            "key_id": keys.current,
            "level": data.level.value,
        },
    )
    out = _batch_out(batch, product.gtin, region.code)
    out.codes = inline if data.quantity <= INLINE_LIMIT else None
    return out


def _product_and_region(session: Session, data: CodeBatchIn) -> tuple[Product, Region]:
    product = session.scalar(select(Product).where(Product.gtin == data.gtin))
    if product is None:
        raise invalid("gtin", f"unknown product {data.gtin!r}")
    region = ref(session, Region, data.region_code, field="region_code", what="region")
    return product, region


def start_batch(session: Session, *, data: CodeBatchIn, settings: Settings, actor: str) -> int:
    """The row of a batch to be issued chunk by chunk: `issuing`, no codes yet. Flushes only;
    a bad gtin or region is a 422 before anything is stored."""
    product, region = _product_and_region(session, data)
    batch = CodeBatch(
        product_id=product.id,
        region_id=region.id,
        quantity=data.quantity,
        key_id=settings.signing.current,
        created_by=actor,
        status=BatchStatus.issuing,
        issued=0,
        level=data.level,
    )
    session.add(batch)
    session.flush()
    return batch.id


def issue_batch_chunked(
    sessions: SessionFactory,
    *,
    data: CodeBatchIn,
    settings: Settings,
    actor: str,
    chunk: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> CodeBatchOut:
    """Issue a large batch in transactions of `chunk` codes that each commit: other requests
    get the database between chunks, and the batch shows `issuing` with its progress until
    the last chunk makes it `complete`."""
    with sessions() as session, session.begin():
        batch_id = start_batch(session, data=data, settings=settings, actor=actor)
    return resume_batch(
        sessions, batch_id=batch_id, settings=settings, chunk=chunk, progress=progress
    )


def unfinished_batches(session: Session) -> list[int]:
    """Batches left `issuing` (their process was killed) or `failed`, oldest first."""
    return list(
        session.scalars(
            select(CodeBatch.id)
            .where(CodeBatch.status != BatchStatus.complete)
            .order_by(CodeBatch.id)
        )
    )


def resume_batch(
    sessions: SessionFactory,
    *,
    batch_id: int,
    settings: Settings,
    chunk: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> CodeBatchOut:
    """Store the codes a batch still lacks, one committed transaction a chunk, and mark it
    complete with the last one. This commits, unlike other services: it owns its transactions.

    Each chunk is signed before its transaction opens (signing is CPU work that needs no lock)
    and stored with the batch row locked, topping up to exactly `quantity` even if two
    resumes of one batch run at once. If anything raises, the batch is marked `failed` (its
    stored codes and count stay exact) and the error goes on; resuming completes it."""
    with sessions() as session, session.begin():
        ctx = batch_context(session, batch_id)
        if ctx.batch.key_id not in settings.signing.keys:
            raise Conflict(f"batch {batch_id} was signed with key {ctx.batch.key_id}, not held")
        if ctx.batch.status is not BatchStatus.complete:
            ctx.batch.status = BatchStatus.issuing
    batch = ctx.batch
    # The batch keeps the key it started with, even if the current key rotated since.
    keys = SigningKeys(settings.signing.keys, current=batch.key_id)
    remaining = batch.quantity - batch.issued
    chunk = chunk or ISSUE_CHUNK
    try:
        while remaining > 0:
            codes = list(
                gs1.issue_codes(
                    gtin=ctx.gtin,
                    region_code=ctx.region_code,
                    keys=keys,
                    quantity=min(chunk, remaining),
                )
            )
            with sessions() as session, session.begin():
                batch, stored = _store_chunk(session, ctx, codes)
            remaining = batch.quantity - batch.issued
            if progress and stored:
                progress(stored)
    except BaseException:
        # Best effort: if the database itself is what failed, the original error matters more,
        # and a batch left `issuing` resumes just the same.
        with contextlib.suppress(Exception), sessions() as session, session.begin():
            row = session.scalar(
                select(CodeBatch).where(CodeBatch.id == batch_id).with_for_update()
            )
            if row is not None and row.status is not BatchStatus.complete:
                row.status = BatchStatus.failed
        raise
    return _batch_out(batch, ctx.gtin, ctx.region_code)


def _store_chunk(
    session: Session, ctx: BatchContext, codes: list[gs1.CartonCode]
) -> tuple[CodeBatch, int]:
    """Insert up to the codes the batch still lacks, counting them in the same transaction."""
    batch = session.scalar(select(CodeBatch).where(CodeBatch.id == ctx.batch.id).with_for_update())
    if batch is None:
        raise NotFound(f"code batch {ctx.batch.id} not found")
    codes = codes[: max(batch.quantity - batch.issued, 0)]
    if codes:
        session.execute(
            insert(table_of(code_model(batch.level))),
            [
                {
                    "serial": code.serial,
                    "batch_id": batch.id,
                    "product_id": batch.product_id,
                    "region_id": batch.region_id,
                    "signature": code.signature,
                    "status": CartonStatus.active,
                }
                for code in codes
            ],
        )
    batch.issued += len(codes)
    if batch.issued < batch.quantity:
        batch.status = BatchStatus.issuing
    elif batch.status is not BatchStatus.complete:
        batch.status = BatchStatus.complete
        batch.completed_at = utcnow()
        audit.record(
            session,
            actor=batch.created_by,
            action="code_batch.issued",
            entity_type="code_batch",
            entity_key=str(batch.id),
            data={
                "gtin": ctx.gtin,
                "region": ctx.region_code,
                "quantity": batch.quantity,
                "key_id": batch.key_id,
                "level": batch.level.value,
            },
        )
    session.flush()
    return batch, len(codes)


def require_complete(ctx: BatchContext) -> None:
    """Codes of an unfinished batch are not exported or printed: the run would be short."""
    batch = ctx.batch
    if batch.status is not BatchStatus.complete:
        raise Conflict(
            f"code batch {batch.id} is {batch.status.value} ({batch.issued} of "
            f"{batch.quantity} codes stored); resume it with `channelguard codes resume "
            f"{batch.id}`"
        )


def stored_codes(session: Session, batch_id: int) -> int:
    """How many codes of the batch are actually stored (what `issued` must equal)."""
    level = session.scalar(select(CodeBatch.level).where(CodeBatch.id == batch_id))
    model = code_model(level or CodeLevel.CARTON)
    return session.scalar(select(func.count()).where(model.batch_id == batch_id)) or 0


def _issued(code: gs1.CartonCode, settings: Settings) -> IssuedCode:
    return IssuedCode(
        serial=code.serial,
        payload=code.digital_link(settings.digital_link_base),
        element_string=code.element_string,
    )


def _batch_out(batch: CodeBatch, gtin: str, region_code: str) -> CodeBatchOut:
    return CodeBatchOut(
        id=batch.id,
        gtin=gtin,
        region_code=region_code,
        quantity=batch.quantity,
        key_id=batch.key_id,
        created_at=batch.created_at,
        created_by=batch.created_by,
        status=batch.status.value,
        issued=batch.issued,
        completed_at=batch.completed_at,
        level=batch.level.value,
    )


def batch_context(session: Session, batch_id: int) -> BatchContext:
    row = session.execute(
        select(CodeBatch, Product.gtin, Product.name, Region.code, Region.name, Region.colour)
        .join(Product, Product.id == CodeBatch.product_id)
        .join(Region, Region.id == CodeBatch.region_id)
        .where(CodeBatch.id == batch_id)
    ).first()
    if row is None:
        raise NotFound(f"code batch {batch_id} not found")
    batch, gtin, product_name, region_code, region_name, colour = row
    return BatchContext(batch, gtin, region_code, region_name, product_name, colour)


def get_batch(session: Session, *, batch_id: int) -> CodeBatchOut:
    ctx = batch_context(session, batch_id)
    return _batch_out(ctx.batch, ctx.gtin, ctx.region_code)


def list_batches(session: Session, *, limit: int, offset: int) -> Page[CodeBatchOut]:
    """Code batches, newest first."""
    stmt = (
        select(CodeBatch, Product.gtin, Region.code)
        .join(Product, Product.id == CodeBatch.product_id)
        .join(Region, Region.id == CodeBatch.region_id)
        .order_by(CodeBatch.id.desc())
    )
    rows = session.execute(stmt.limit(limit).offset(offset)).all()
    return Page(
        items=[_batch_out(b, g, r) for b, g, r in rows],
        total=count_rows(session, stmt),
        limit=limit,
        offset=offset,
    )


def _code_of(ctx: BatchContext, serial: str, signature: str) -> gs1.CartonCode:
    return gs1.CartonCode(ctx.gtin, serial, ctx.region_code, signature, ctx.batch.key_id)


def iter_codes(
    session: Session, ctx: BatchContext, *, after: str | None = None, limit: int | None = None
) -> Iterator[gs1.CartonCode]:
    """The batch's codes in serial order, read in keyset pages so memory stays flat."""
    last = after or ""
    remaining = limit
    model = code_model(ctx.batch.level)
    while remaining is None or remaining > 0:
        page = CHUNK if remaining is None else min(CHUNK, remaining)
        rows = session.execute(
            select(model.serial, model.signature)
            .where(model.batch_id == ctx.batch.id, model.serial > last)
            .order_by(model.serial)
            .limit(page)
        ).all()
        for serial, signature in rows:
            yield _code_of(ctx, serial, signature)
        if len(rows) < page:
            return
        last = rows[-1][0]
        if remaining is not None:
            remaining -= len(rows)


def code_page(
    session: Session, *, batch_id: int, settings: Settings, after: str | None, limit: int
) -> tuple[list[IssuedCode], str | None]:
    ctx = batch_context(session, batch_id)
    items = [_issued(c, settings) for c in iter_codes(session, ctx, after=after, limit=limit + 1)]
    more = len(items) > limit
    items = items[:limit]
    return items, (items[-1].serial if more else None)


def label_data(ctx: BatchContext, code: gs1.CartonCode, settings: Settings) -> LabelData:
    return LabelData(
        element_string=code.element_string,
        element_string_fnc1=code.element_string_fnc1,
        digital_link=code.digital_link(settings.digital_link_base),
        region_name=ctx.region_name,
        product_name=ctx.product_name,
        gtin=code.gtin,
        serial=code.serial,
        region_colour=ctx.region_colour,
    )


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


def resolve_cartons(
    session: Session, payloads: list[str], *, settings: Settings, field: str
) -> list[Carton]:
    """The issued, live cartons that payloads (any scanner form, or bare serials) name.
    Anything forged, unknown, voided or repeated is a 422 naming the offending item."""
    serials: list[str] = []
    for i, raw in enumerate(payloads):
        text = raw.strip()
        if gs1.SERIAL_RE.fullmatch(text):
            serials.append(text)
            continue
        parsed = gs1.parse_payload(text, allowed_hosts=settings.allowed_link_hosts)
        if not isinstance(parsed, gs1.ParsedCarton):
            reason = (
                parsed.reason if isinstance(parsed, gs1.Unreadable) else "a pallet, not a carton"
            )
            raise invalid(field, f"item {i}: {reason}")
        if gs1.verify(parsed, keys=settings.signing) != "valid":
            raise invalid(field, f"item {i}: code {parsed.serial} does not verify (forged?)")
        serials.append(parsed.serial)
    if len(set(serials)) != len(serials):
        raise invalid(field, "a carton is listed twice")
    found: dict[str, Carton] = {}
    for start in range(0, len(serials), CHUNK):
        chunk = serials[start : start + CHUNK]
        found.update(
            (c.serial, c) for c in session.scalars(select(Carton).where(Carton.serial.in_(chunk)))
        )
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
    audit.record(
        session,
        actor=actor,
        action="pallet.built",
        entity_type="pallet",
        entity_key=sscc,
        data={"cartons": [c.serial for c in cartons]},
    )
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
        element_string=_code_of(ctx, carton.serial, carton.signature).element_string,
        waybills=[
            CartonWaybillOut(
                number=w.number,
                status=w.status.value,
                destination_distributor_code=d,
                dispatched_at=w.dispatched_at,
                expected_arrival=w.expected_arrival,
            )
            for w, d in waybills
        ],
        scans=[
            CartonScanOut(
                scanned_at=s.scanned_at,
                region_code=rc,
                checkpoint_code=cc,
                verdict=s.verdict,
                rule=s.rule,
                findings=s.findings,
                lat=s.lat,
                lon=s.lon,
                violation_id=s.violation_id,
                source=s.source,
                photo_sha256=s.photo_sha256,
            )
            for s, rc, cc in scans
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
        CustodyEventOut(
            kind=e.kind.value,
            from_party_code=codes.get((e.from_type.value, e.from_id))
            if e.from_type and e.from_id is not None
            else None,
            to_party_code=codes.get((e.to_type.value, e.to_id), ""),
            at=e.at,
            outcome=e.outcome,
            reason=e.reason,
            violation_id=e.violation_id,
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
    serials: list[str] = []
    for i, raw in enumerate(payloads):
        text = raw.strip()
        if gs1.SERIAL_RE.fullmatch(text):
            serials.append(text)
            continue
        parsed = gs1.parse_payload(text, allowed_hosts=settings.allowed_link_hosts)
        if not isinstance(parsed, gs1.ParsedCarton):
            reason = parsed.reason if isinstance(parsed, gs1.Unreadable) else "a pallet code"
            raise invalid(f"payloads.{i}", f"item {i}: {reason}")
        if gs1.verify(parsed, keys=settings.signing) != "valid":
            raise invalid(f"payloads.{i}", f"item {i}: code {parsed.serial} does not verify")
        serials.append(parsed.serial)
    seen: dict[str, int] = {}
    for i, s in enumerate(serials):
        if s in seen:
            raise invalid(f"payloads.{i}", f"item {i}: the same item as item {seen[s]}")
        seen[s] = i
    found: dict[str, ItemCode] = {}
    for start in range(0, len(serials), CHUNK):
        chunk = serials[start : start + CHUNK]
        found.update(
            (c.serial, c)
            for c in session.scalars(
                select(ItemCode).where(ItemCode.serial.in_(chunk)).with_for_update()
            )
        )
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
        audit.record(
            session,
            actor=actor,
            action="carton.items_packed",
            entity_type="carton",
            entity_key=carton.serial,
            data={"items": [i.serial for i in new]},
        )
    return PackOut(
        serial=carton.serial,
        packed=len(new),
        item_serials=sorted(
            session.scalars(select(ItemCode.serial).where(ItemCode.carton_id == carton.id))
        ),
    )
