"""EPCIS 2.0 export: every stored scan as an ObjectEvent, with `cg:` fields for the verdict."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from app.codes import gs1
from app.config import Settings
from app.db import utcnow
from app.epcis.identifiers import CHECKPOINT_URN
from app.epcis.schemas import is_uri
from app.models import (
    Carton,
    Checkpoint,
    Pallet,
    Product,
    Region,
    Scan,
)

EPCIS_CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
CG_PREFIX = "cg"
CG_NAMESPACE = "https://ns.channelguard.example/epcis/"
"""Namespace of the fields ChannelGuard adds to exported events (`cg:verdict`, ...)."""


# Verdicts that correspond to a CBV disposition; the rest travel in cg:verdict only.
DISPOSITION_OF = {"in_transit": "in_transit", "voided": "inactive"}


def _offset(moment: datetime) -> str:
    text = moment.strftime("%z")  # "+0800"
    return f"{text[:3]}:{text[3:]}"


def _event_id(settings: Settings, scan_id: int) -> str:
    # Stable across exports, distinct between deployments with different Digital Link bases.
    return (
        f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'{settings.digital_link_base}/scan/{scan_id}')}"
    )


def export_events(
    session: Session,
    *,
    settings: Settings,
    limit: int,
    after: int,
    since: datetime | None = None,
    until: datetime | None = None,
) -> tuple[dict[str, Any], int | None]:
    """Stored scans with id > `after` as an EPCIS 2.0 document, and the cursor of the next page."""
    coded_region = aliased(Region)
    query = (
        select(
            Scan,
            Checkpoint.code,
            Region.code,
            Carton.serial,
            Carton.signature,
            Product.gtin,
            coded_region.code,
            Pallet.sscc,
        )
        .outerjoin(Checkpoint, Checkpoint.id == Scan.checkpoint_id)
        .outerjoin(Region, Region.id == Scan.region_id)
        .outerjoin(Carton, Carton.id == Scan.carton_id)
        .outerjoin(Product, Product.id == Carton.product_id)
        .outerjoin(coded_region, coded_region.id == Carton.region_id)
        .outerjoin(Pallet, Pallet.id == Scan.pallet_id)
        .where(Scan.id > after)
        .order_by(Scan.id)
        .limit(limit + 1)
    )
    if since is not None:
        query = query.where(Scan.scanned_at >= since)
    if until is not None:
        query = query.where(Scan.scanned_at < until)
    rows = session.execute(query).all()
    more = len(rows) > limit
    rows = rows[:limit]
    events = [_scan_event(settings, *row) for row in rows]
    document = {
        "@context": [EPCIS_CONTEXT, {CG_PREFIX: CG_NAMESPACE}],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": utcnow().isoformat(),
        "epcisBody": {"eventList": events},
    }
    return document, (rows[-1][0].id if more and rows else None)


def _scan_event(
    settings: Settings,
    scan: Scan,
    checkpoint: str | None,
    region: str | None,
    serial: str | None,
    signature: str | None,
    gtin: str | None,
    coded_region: str | None,
    sscc: str | None,
) -> dict[str, Any]:
    local = scan.scanned_at.astimezone(settings.tz)
    if serial and signature and gtin and coded_region:
        key_id = signature.partition("-")[0]
        code = gs1.CartonCode(gtin, serial, coded_region, signature, key_id)
        epcs = [code.digital_link(settings.digital_link_base)]
    else:
        # No carton behind the scan (unreadable, forged, unknown): the payload if it is a URI.
        epcs = [scan.payload] if is_uri(scan.payload) else []
    event: dict[str, Any] = {
        "type": "ObjectEvent",
        "eventTime": local.isoformat(),
        "eventTimeZoneOffset": _offset(local),
        "recordTime": scan.received_at.isoformat(),
        "eventID": _event_id(settings, scan.id),
        "action": "OBSERVE",
        "bizStep": "inspecting",
        "epcList": epcs,
    }
    if scan.verdict in DISPOSITION_OF:
        event["disposition"] = DISPOSITION_OF[scan.verdict]
    if checkpoint:
        event["readPoint"] = {"id": f"{CHECKPOINT_URN}{checkpoint}"}
    extensions = {
        "verdict": scan.verdict,
        "rule": scan.rule,
        "policyVersion": scan.policy_version,
        "findings": list(scan.findings or []),
        "region": region,
        "serial": scan.serial,
        "violation": scan.violation_id,
        "pallet": sscc,
        "source": scan.source,
        "payload": None if epcs else scan.payload,
        "latitude": scan.lat,
        "longitude": scan.lon,
        "detail": scan.detail,
    }
    event.update(
        (f"{CG_PREFIX}:{name}", value)
        for name, value in extensions.items()
        if value is not None and value != []
    )
    return event
