from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header

from app.auth.deps import require
from app.auth.principal import Principal
from app.config import get_settings
from app.custody import service
from app.custody.schemas import CustodyBatchIn, CustodyBatchOut
from app.db import DbSession
from app.models import Role
from app.scans.ingest import once
from rules.policy import load_policy

router = APIRouter(prefix="/custody", tags=["custody"])
Holder = Annotated[Principal, Depends(require(Role.admin, Role.distributor, Role.sub_customer))]


def _run(
    direction: service.Direction,
    body: CustodyBatchIn,
    session: DbSession,
    who: Principal,
    key: str | None,
) -> CustodyBatchOut:
    def compute() -> dict[str, object]:
        results = service.hand_off(
            session,
            direction=direction,
            items_in=body.items,
            principal=who,
            ref=key,
            settings=get_settings(),
            policy=load_policy(),
        )
        return CustodyBatchOut(results=results).model_dump(mode="json")

    # The direction is part of what the key stands for: the same key and items sent to the
    # other endpoint is another request (409), not a replay.
    response = once(
        session,
        principal=who,
        key=key,
        fingerprint={"custody": direction, **body.model_dump(mode="json")},
        size=len(body.items),
        what="items",
        compute=compute,
    )
    return CustodyBatchOut.model_validate(response)


@router.post("/ship")
def ship(
    body: CustodyBatchIn,
    session: DbSession,
    who: Holder,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> CustodyBatchOut:
    """出库: ship cartons (or pallets) from your stock to a named party. A carton stays yours
    until the receiver scans it in; one bound outside its territory is refused (by default)."""
    return _run("ship", body, session, who, idempotency_key)


@router.post("/receive")
def receive(
    body: CustodyBatchIn,
    session: DbSession,
    who: Holder,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> CustodyBatchOut:
    """入库: scan goods into your stock. Goods from outside your supply line are accepted with a
    warning and open a diversion against whoever held them (从别处进货)."""
    return _run("receive", body, session, who, idempotency_key)
