from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.auth.deps import Staff
from app.db import DbSession
from app.ledger.service import PERIOD_PATTERN
from app.maps import service
from app.maps.schemas import FlowMap

router = APIRouter(prefix="/reports", tags=["reports"])


@router.get("/diversion-flows")
def diversion_flows(
    session: DbSession,
    who: Staff,
    period: Annotated[
        str | None, Query(pattern=PERIOD_PATTERN, description="YYYY-MM (default: all time)")
    ] = None,
) -> FlowMap:
    """HQ's diversion map: value flowing from diverting to invaded regions, and hand-offs
    across regions (staff only: it names every region's trouble)."""
    return service.flow_map(session, period=period)
