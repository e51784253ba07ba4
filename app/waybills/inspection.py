"""A checkpoint scans a printed waybill's QR: it sees the route, the window and the cartons,
and whether the truck in front of it is the one the waybill names. Each look is recorded (the
squads' reports count them) and a look that finds something tells the waybill's people."""

from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.common.lookup import invalid, ref
from app.common.wire import wire_form
from app.config import Settings
from app.db import utcnow
from app.models import (
    Carton,
    Checkpoint,
    Distributor,
    Notification,
    Region,
    Role,
    User,
    Vehicle,
    Waybill,
    WaybillCarton,
    WaybillInspection,
    WaybillStop,
)
from app.regions.tree import region_tree
from app.waybills.printable import parse_qr, token_valid
from app.waybills.schemas import InspectionIn, InspectionOut, RegionRef
from app.waybills.webhooks import queue_call
from rules.transport import WaybillCheck, judge_waybill_check, normalize_plate


def inspect(
    session: Session, *, data: InspectionIn, who: Principal, settings: Settings
) -> InspectionOut:
    parsed = parse_qr(data.qr)
    if parsed is None:
        raise invalid("qr", "not a waybill QR (expected the link printed on a 控制运货单)")
    number, token = parsed
    waybill = session.scalar(select(Waybill).where(Waybill.number == number))
    if waybill is None or not token_valid(settings.signing, number, token):
        # The same answer for both: a forger learns nothing about which numbers exist.
        raise invalid("qr", "this QR was not issued by us: the paper waybill is not genuine")
    checkpoint = (
        ref(session, Checkpoint, data.checkpoint_code, field="checkpoint_code", what="checkpoint")
        if data.checkpoint_code
        else None
    )
    route = list(
        session.execute(
            select(Region.code, Region.name)
            .join(WaybillStop, WaybillStop.region_id == Region.id)
            .where(WaybillStop.waybill_id == waybill.id)
            .order_by(WaybillStop.seq)
        )
    )
    at = data.at or utcnow()
    check = judge_waybill_check(
        status=waybill.status.value,
        waybill_plate=waybill.vehicle_plate,
        seen_plate=data.vehicle_plate,
        dispatched_at=waybill.dispatched_at,
        expected_arrival=waybill.expected_arrival,
        at=at,
        route_region_codes=[code for code, _ in route],
        checkpoint_region_path=(
            region_tree(session).path_codes(checkpoint.region_id) if checkpoint else None
        ),
        grace=timedelta(hours=settings.waybill_check_grace_hours),
    )
    seen = normalize_plate(data.vehicle_plate)[:20]
    session.add(
        WaybillInspection(
            waybill_id=waybill.id,
            user_id=who.user_id,
            checkpoint_id=checkpoint.id if checkpoint else None,
            seen_plate=seen,
            verdict=check.verdict,
            findings=",".join(check.findings),
            at=at,
        )
    )
    dest = session.get(Distributor, waybill.destination_distributor_id)
    if dest is None:  # foreign keys make this unreachable
        raise invalid("qr", "waybill without destination")
    if check.findings:
        _tell(session, waybill=waybill, dest=dest, checkpoint=checkpoint, seen=seen, check=check)
    session.flush()
    vehicle = session.get(Vehicle, waybill.vehicle_id) if waybill.vehicle_id else None
    serials = list(
        session.scalars(
            select(Carton.serial)
            .join(WaybillCarton, WaybillCarton.carton_id == Carton.id)
            .where(WaybillCarton.waybill_id == waybill.id)
            .order_by(Carton.serial)
        )
    )
    # The waybill as it stands, the check's verdict and findings, and what this look saw.
    return wire_form(
        InspectionOut,
        waybill,
        **asdict(check),
        seen_plate=seen,
        vehicle_registered=vehicle is not None,
        driver=vehicle.driver_name if vehicle else waybill.driver,
        route=[RegionRef(code=c, name=n) for c, n in route],
        destination_distributor_code=dest.code,
        destination_distributor_name=dest.name,
        cartons=len(serials),
        carton_serials=serials,
    )


def _tell(
    session: Session,
    *,
    waybill: Waybill,
    dest: Distributor,
    checkpoint: Checkpoint | None,
    seen: str,
    check: WaybillCheck,
) -> None:
    """The destination distributor and the responsible salesperson hear of a failed check, in
    their inbox and (the distributor) by webhook."""
    findings = list(check.findings)
    body = {
        "event": "waybill.inspection",
        "number": waybill.number,
        "vehicle_plate": waybill.vehicle_plate,
        "seen_plate": seen,
        "findings": findings,
        "checkpoint_code": checkpoint.code if checkpoint else None,
    }
    subject = f"运货单 {waybill.number} 在监督站核查发现问题 / a checkpoint found a problem"
    users = session.scalars(
        select(User).where(
            User.disabled_at.is_(None),
            ((User.role == Role.distributor) & (User.distributor_id == dest.id))
            | ((User.role == Role.salesperson) & (User.salesperson_id == waybill.salesperson_id)),
        )
    )
    session.add_all(
        Notification(user_id=u.id, kind="waybill.inspection", subject=subject, data=body)
        for u in users
    )
    queue_call(session, dest, "waybill.inspection", body)
