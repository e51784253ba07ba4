"""Recording a carton whose code was scratched off, and listing the records for HQ.

The record needs a place (a checkpoint, or a GPS point inside a region). When the inspector
scanned an item code on one of the bottles, that scan goes through the one scan pipeline
(app/scans/ingest.py) like any other: it is judged as its carton, so the record names the
carton, its region, and the normal verdict (a diversion opens its violation as usual)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.auth.principal import Principal
from app.common.types import from_fen, to_fen
from app.config import get_settings
from app.errors import Unprocessable
from app.models import (
    Carton,
    Checkpoint,
    Product,
    Region,
    Scan,
    ScratchedCarton,
)
from app.regions.tree import region_tree
from app.scans import service as scans
from app.scans.ingest import ingest_batch
from app.scans.photos import store_photo
from app.scans.schemas import ScanIn, ScanResult
from app.scratched.schemas import ScratchedOut
from app.users.service import names_by_id

MAX_PHOTOS = 6


@dataclass(frozen=True)
class PhotoIn:
    data: bytes
    sha256: str
    fmt: str


@dataclass(frozen=True)
class ScratchedIn:
    observed_at: datetime
    checkpoint_code: str | None
    lat: float | None
    lon: float | None
    gtin: str | None
    carton_count: int
    observed_price: Decimal | None
    note: str | None
    item_payload: str | None


def _place(session: Session, body: ScratchedIn) -> tuple[int, int | None]:
    """The region (and checkpoint) of the record, when no item scan placed it."""
    if body.checkpoint_code:
        cp = session.scalar(select(Checkpoint).where(Checkpoint.code == body.checkpoint_code))
        if cp is None:
            raise Unprocessable(f"unknown checkpoint {body.checkpoint_code!r}")
        return cp.region_id, cp.id
    if body.lat is not None and body.lon is not None:
        node = region_tree(session).locate(body.lat, body.lon)
        if node is None:
            raise Unprocessable(
                f"position {body.lat:.5f},{body.lon:.5f} is inside no region's boundary"
            )
        return node.id, None
    raise Unprocessable("give checkpoint_code, or lat and lon")


def existing(session: Session, *, user_id: int, key: str | None) -> ScratchedCarton | None:
    if key is None:
        return None
    return session.scalar(
        select(ScratchedCarton).where(
            ScratchedCarton.user_id == user_id, ScratchedCarton.idempotency_key == key
        )
    )


def record(
    session: Session,
    *,
    principal: Principal,
    body: ScratchedIn,
    photos: list[PhotoIn],
    key: str | None,
) -> tuple[ScratchedCarton, ScanResult | None]:
    settings = get_settings()
    product_id: int | None = None
    if body.gtin:
        product_id = session.scalar(select(Product.id).where(Product.gtin == body.gtin))
        if product_id is None:
            raise Unprocessable(f"unknown product {body.gtin!r}")
    if body.checkpoint_code is None and (body.lat is None or body.lon is None):
        raise Unprocessable("give checkpoint_code, or lat and lon")
    region_id, checkpoint_id = _place(session, body)
    for p in photos:
        store_photo(session, data=p.data, sha256=p.sha256, fmt=p.fmt, photo_dir=settings.photo_dir)

    result: ScanResult | None = None
    scan_id = carton_id = None
    if body.item_payload:
        scan_in = ScanIn.model_validate(
            {
                "payload": body.item_payload,
                "checkpoint_code": body.checkpoint_code,
                "scanned_at": body.observed_at,
                "lat": body.lat,
                "lon": body.lon,
                "observed_price": body.observed_price,
            }
        )
        out = ingest_batch(
            session,
            principal=principal,
            key=None,
            fingerprint=None,
            items=lambda: scans.items_from([scan_in]),
            source="api",
            photo_sha256=photos[0].sha256 if photos else None,
            size=1,
        )
        result = ScanResult.model_validate(out["results"][0])
        if result.error and result.verdict is None:
            raise Unprocessable(f"item code: {result.error}")
        scan_id = session.scalar(
            select(Scan.id)
            .where(Scan.user_id == principal.user_id, Scan.payload == body.item_payload)
            .order_by(Scan.id.desc())
            .limit(1)
        )
        if result.serial:
            carton = session.scalar(select(Carton).where(Carton.serial == result.serial))
            if carton is not None:
                carton_id = carton.id
                product_id = product_id or carton.product_id

    row = ScratchedCarton(
        observed_at=body.observed_at,
        user_id=principal.user_id,
        checkpoint_id=checkpoint_id,
        region_id=region_id,
        lat=body.lat,
        lon=body.lon,
        product_id=product_id,
        carton_count=body.carton_count,
        observed_price_fen=(
            to_fen(body.observed_price) if body.observed_price is not None else None
        ),
        note=body.note,
        photo_sha256s=[p.sha256 for p in photos],
        item_payload=body.item_payload,
        scan_id=scan_id,
        carton_id=carton_id,
        verdict=result.verdict if result else None,
        idempotency_key=key,
    )
    session.add(row)
    session.flush()
    audit.change(
        session,
        principal.username,
        "scratched_carton.recorded",
        str(row.id),
        {
            "region_id": region_id,
            "cartons": body.carton_count,
            "photos": row.photo_sha256s,
            "carton_serial": result.serial if result else None,
            "verdict": row.verdict,
        },
    )
    return row, result


def describe(
    session: Session, rows: list[ScratchedCarton], *, results: dict[int, ScanResult] | None = None
) -> list[ScratchedOut]:
    """The records with names and codes instead of ids."""

    def ids(attr: str) -> set[int]:
        return {v for r in rows if (v := getattr(r, attr)) is not None}

    people = names_by_id(session, ids("user_id"))
    cps = {
        c.id: c
        for c in session.scalars(select(Checkpoint).where(Checkpoint.id.in_(ids("checkpoint_id"))))
    }
    products = {
        p.id: p for p in session.scalars(select(Product).where(Product.id.in_(ids("product_id"))))
    }
    cartons = {
        c.id: c for c in session.scalars(select(Carton).where(Carton.id.in_(ids("carton_id"))))
    }
    scan_rows = {s.id: s for s in session.scalars(select(Scan).where(Scan.id.in_(ids("scan_id"))))}
    region_names = {
        r.id: (r.code, r.name)
        for r in session.scalars(
            select(Region).where(
                Region.id.in_(ids("region_id") | {c.region_id for c in cartons.values()})
            )
        )
    }
    out = []
    for r in rows:
        cp = cps.get(r.checkpoint_id) if r.checkpoint_id else None
        product = products.get(r.product_id) if r.product_id else None
        carton = cartons.get(r.carton_id) if r.carton_id else None
        scan = scan_rows.get(r.scan_id) if r.scan_id else None
        code, name = region_names.get(r.region_id, ("", ""))
        c_code, c_name = (
            region_names.get(carton.region_id, (None, None)) if carton else (None, None)
        )
        out.append(
            ScratchedOut(
                id=r.id,
                observed_at=r.observed_at,
                recorded_at=r.recorded_at,
                recorded_by=people[r.user_id].username if r.user_id in people else "",
                recorded_by_name=people[r.user_id].display_name if r.user_id in people else None,
                region_code=code,
                region_name=name,
                checkpoint_code=cp.code if cp else None,
                checkpoint_name=cp.name if cp else None,
                lat=r.lat,
                lon=r.lon,
                product_gtin=product.gtin if product else None,
                product_name=product.name if product else None,
                carton_count=r.carton_count,
                observed_price=(
                    from_fen(r.observed_price_fen) if r.observed_price_fen is not None else None
                ),
                note=r.note,
                photos=list(r.photo_sha256s or []),
                item_payload=r.item_payload,
                carton_serial=carton.serial if carton else None,
                carton_region_code=c_code,
                carton_region_name=c_name,
                verdict=r.verdict,
                violation_id=scan.violation_id if scan else None,
                scan=(results or {}).get(r.id),
            )
        )
    return out


def list_records(
    session: Session, *, principal: Principal, limit: int, user_only: bool
) -> list[ScratchedCarton]:
    q = select(ScratchedCarton).order_by(
        ScratchedCarton.observed_at.desc(), ScratchedCarton.id.desc()
    )
    if user_only:
        q = q.where(ScratchedCarton.user_id == principal.user_id)
    return list(session.scalars(q.limit(limit)))
