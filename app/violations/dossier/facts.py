"""What the dossier shows: the facts of a case, read with the caller's visibility."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.auth.visibility import visibility
from app.codes import gs1
from app.config import Settings
from app.db import utcnow
from app.models import (
    Carton,
    Checkpoint,
    CustodyEvent,
    Distributor,
    Photo,
    Product,
    Region,
    Salesperson,
    Scan,
    SubCustomer,
    Violation,
    ViolationCarton,
)
from app.violations import service as violations
from app.violations.dossier.proofs import proof_bundle
from app.violations.schemas import ViolationDetail

# What the dossier shows --------------------------------------------------------------------


@dataclass(frozen=True)
class CartonFacts:
    serial: str
    gtin: str
    product_name: str
    region_name: str
    region_code: str
    signature: str
    element_string: str
    signature_check: str  # gs1.verify: valid, forged, unknown_key
    signature_matches: bool
    batch_id: int
    status: str


@dataclass(frozen=True)
class CustodyFacts:
    serial: str
    at: datetime
    kind: str
    from_name: str
    to_name: str
    outcome: str
    reason: str | None
    ref: str | None


@dataclass(frozen=True)
class ScanFacts:
    number: int
    serial: str | None
    at: datetime
    checkpoint_name: str | None
    region_name: str | None
    lat: float | None
    lon: float | None
    verdict: str
    findings: list[str]
    observed_price: str | None
    photo_sha256: str | None
    photo_path: Path | None
    device_id: str | None
    in_case: bool


@dataclass
class DossierData:
    violation: ViolationDetail
    region_name: str
    names: dict[str, str]  # party code -> name
    cartons: list[CartonFacts]
    custody: list[CustodyFacts]
    scans: list[ScanFacts]
    regions: list[tuple[str, str, dict[str, Any]]]  # code, name, GeoJSON boundary
    proof: dict[str, Any]
    generated_at: datetime
    generated_by: str
    tz: Any = None
    problems: list[str] = field(default_factory=list)


def _names(session: Session, model: type[Any], ids: Iterable[int | None]) -> dict[int, Any]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {r.id: r for r in session.scalars(select(model).where(model.id.in_(wanted)))}


def gather(
    session: Session, *, violation_id: int, principal: Principal, settings: Settings
) -> DossierData:
    """Everything the dossier shows, read with the caller's visibility: a violation the caller
    may not see is 404, as everywhere else."""
    detail = violations.get_violation(
        session, violation_id=violation_id, vis=visibility(session, principal), principal=principal
    )
    v = session.get(Violation, violation_id)
    assert v is not None  # get_violation answered 404 otherwise
    carton_rows = list(
        session.scalars(
            select(Carton)
            .join(ViolationCarton, ViolationCarton.carton_id == Carton.id)
            .where(ViolationCarton.violation_id == v.id)
            .order_by(Carton.serial)
        )
    )
    carton_ids = [c.id for c in carton_rows]
    products = _names(session, Product, [c.product_id for c in carton_rows])
    scans = list(
        session.scalars(
            select(Scan)
            .where(or_(Scan.violation_id == v.id, Scan.carton_id.in_(carton_ids or [-1])))
            .order_by(Scan.scanned_at, Scan.id)
        )
    )
    checkpoints = _names(session, Checkpoint, [s.checkpoint_id for s in scans])
    custody_rows = list(
        session.scalars(
            select(CustodyEvent)
            .where(CustodyEvent.carton_id.in_(carton_ids or [-1]))
            .order_by(CustodyEvent.at, CustodyEvent.id)
        )
    )
    dists = _names(
        session,
        Distributor,
        [v.diverting_distributor_id, v.invaded_distributor_id]
        + [e.from_id for e in custody_rows if e.from_type == "distributor"]
        + [e.to_id for e in custody_rows if e.to_type == "distributor"],
    )
    subs = _names(
        session,
        SubCustomer,
        [v.diverting_sub_customer_id]
        + [e.from_id for e in custody_rows if e.from_type == "sub_customer"]
        + [e.to_id for e in custody_rows if e.to_type == "sub_customer"],
    )
    sales = _names(session, Salesperson, [v.diverting_salesperson_id, v.invaded_salesperson_id])
    region_ids = (
        {v.region_id}
        | {c.region_id for c in carton_rows}
        | {s.region_id for s in scans if s.region_id is not None}
        | {cp.region_id for cp in checkpoints.values()}
    )
    regions = _names(session, Region, region_ids)

    def party(kind: str | None, pid: int | None) -> str:
        if kind is None or pid is None:
            return "公司(总部发货)"
        row = (dists if kind == "distributor" else subs).get(pid)
        return f"{row.name}({row.code})" if row is not None else str(pid)

    keys = settings.signing
    cartons = []
    for c in carton_rows:
        product = products[c.product_id]
        region = regions[c.region_id]
        code = gs1.CartonCode(product.gtin, c.serial, region.code, c.signature, "")
        cartons.append(
            CartonFacts(
                serial=c.serial,
                gtin=product.gtin,
                product_name=product.name,
                region_name=region.name,
                region_code=region.code,
                signature=c.signature,
                element_string=code.element_string,
                signature_check=gs1.verify(code, keys=keys),
                signature_matches=gs1.signature_matches(
                    product.gtin, c.serial, region.code, c.signature, keys=keys
                ),
                batch_id=c.batch_id,
                status=c.status.value,
            )
        )
    serial_of = {c.id: c.serial for c in carton_rows}
    custody = [
        CustodyFacts(
            serial=serial_of[e.carton_id],
            at=e.at,
            kind=e.kind.value,
            from_name=party(e.from_type, e.from_id),
            to_name=party(e.to_type, e.to_id),
            outcome=e.outcome,
            reason=e.reason,
            ref=e.ref,
        )
        for e in custody_rows
    ]
    photo_dir = Path(settings.photo_dir)
    stored = set(
        session.scalars(
            select(Photo.sha256).where(
                Photo.sha256.in_([s.photo_sha256 for s in scans if s.photo_sha256] or ["-"])
            )
        )
    )
    scan_facts = []
    for n, s in enumerate(scans, 1):
        cp = checkpoints.get(s.checkpoint_id or 0)
        path = None
        if s.photo_sha256 in stored:
            candidate = photo_dir / s.photo_sha256[:2] / s.photo_sha256
            path = candidate if candidate.is_file() else None
        lat, lon = s.lat, s.lon
        if (lat is None or lon is None) and cp is not None:
            lat, lon = cp.lat, cp.lon
        scan_facts.append(
            ScanFacts(
                number=n,
                serial=s.serial,
                at=s.scanned_at,
                checkpoint_name=cp.name if cp is not None else None,
                region_name=regions[s.region_id].name if s.region_id in regions else None,
                lat=lat,
                lon=lon,
                verdict=s.verdict,
                findings=list(s.findings or []),
                observed_price=None
                if s.observed_price_fen is None
                else f"{s.observed_price_fen / 100:.2f}",
                photo_sha256=s.photo_sha256,
                photo_path=path,
                device_id=s.device_id,
                in_case=s.violation_id == v.id,
            )
        )
    names = {d.code: d.name for d in dists.values()}
    names |= {p.code: p.name for p in subs.values()}
    names |= {p.code: p.name for p in sales.values()}
    drawn = [(r.code, r.name, r.boundary) for r in regions.values() if r.boundary]
    proof = proof_bundle(
        session,
        settings=settings,
        violation=v,
        cartons=carton_rows,
        with_money=principal.is_staff,
    )
    return DossierData(
        violation=detail,
        region_name=regions[v.region_id].name,
        names=names,
        cartons=cartons,
        custody=custody,
        scans=scan_facts,
        regions=sorted(drawn),
        proof=proof,
        generated_at=utcnow(),
        generated_by=principal.username,
        tz=settings.tz,
    )
