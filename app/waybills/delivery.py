"""Delivering a controlled waybill: its cartons handed into the destination's territory."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.common.locks import lock_cartons
from app.db import table_of, utcnow
from app.errors import Conflict, NotFound
from app.ledger import service as ledger
from app.models import (
    Carton,
    CustodyEvent,
    CustodyKind,
    CustodyParty,
    Distributor,
    Salesperson,
    Waybill,
    WaybillCarton,
    WaybillStatus,
)
from app.waybills.reads import by_code_number, to_out, waybill_value_fen
from app.waybills.schemas import (
    WaybillOut,
)


def deliver_waybill(
    session: Session, *, number: str, actor: str, at: datetime | None = None
) -> WaybillOut:
    """Hand the cartons to the destination distributor's territory and credit the sale.

    `at` is when the truck arrived, if that was earlier than now (loading past business)."""
    delivered_at = at or utcnow()
    waybill = by_code_number(session, number)
    done = session.execute(
        update(Waybill)
        .where(Waybill.id == waybill.id, Waybill.status == WaybillStatus.active)
        .values(status=WaybillStatus.delivered, delivered_at=delivered_at)
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(f"waybill {number!r} is {waybill.status.value}, not active")
    session.refresh(waybill)
    carton_ids = list(
        session.scalars(
            select(WaybillCarton.carton_id)
            .where(WaybillCarton.waybill_id == waybill.id)
            .order_by(WaybillCarton.carton_id)
        )
    )
    lock_cartons(session, carton_ids)  # in id order, as every writer of cartons locks them
    now = utcnow()
    for start in range(0, len(carton_ids), 5000):
        chunk = carton_ids[start : start + 5000]
        # The destination distributor becomes the first custodian of record.
        session.execute(
            update(Carton)
            .where(Carton.id.in_(chunk))
            .values(
                distributor_id=waybill.destination_distributor_id,
                delivered_at=delivered_at,
                custodian_type=CustodyParty.DISTRIBUTOR.value,
                custodian_id=waybill.destination_distributor_id,
                pending_to_type=None,
                pending_to_id=None,
            )
        )
        session.execute(
            insert(table_of(CustodyEvent)),
            [
                {
                    "carton_id": cid,
                    "kind": CustodyKind.DELIVER,
                    "from_type": None,
                    "from_id": None,
                    "to_type": CustodyParty.DISTRIBUTOR,
                    "to_id": waybill.destination_distributor_id,
                    "at": delivered_at,
                    "user_id": None,
                    "ref": number,
                    "outcome": "accepted",
                    "created_at": now,
                }
                for cid in chunk
            ],
        )
    session.execute(
        update(WaybillCarton).where(WaybillCarton.waybill_id == waybill.id).values(active=False)
    )
    value_fen = waybill_value_fen(session, waybill.id)
    dest = session.get(Distributor, waybill.destination_distributor_id)
    sp = session.get(Salesperson, dest.salesperson_id) if dest else None
    if dest is None or sp is None:  # foreign keys make this unreachable
        raise NotFound(f"waybill {number!r} has no destination distributor")
    ledger.post_delivery(
        session,
        waybill_number=number,
        distributor_code=dest.code,
        salesperson_code=sp.code,
        value_fen=value_fen,
        cartons=len(carton_ids),
        actor=actor,
    )
    audit.change(
        session,
        actor,
        "waybill.delivered",
        number,
        {"cartons": len(carton_ids), "value_fen": value_fen, "distributor": dest.code},
    )
    return to_out(session, waybill)
