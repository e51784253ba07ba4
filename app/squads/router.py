from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from app.auth.deps import Anyone, Staff
from app.common.master import PageQuery
from app.common.types import MONTH_PATTERN, Page
from app.db import DbSession, utcnow
from app.ledger.service import period_of
from app.squads import service
from app.squads.schemas import SquadIn, SquadOut, SquadPatch, SquadReport

router = APIRouter(prefix="/squads", tags=["squads"])

Period = Annotated[
    str | None,
    Query(pattern=rf"^({MONTH_PATTERN.strip('^$')})?$", description="YYYY-MM, business time zone"),
]


@router.post("", status_code=status.HTTP_201_CREATED)
def create_squad(body: SquadIn, session: DbSession, who: Staff) -> SquadOut:
    """Form a region's anti-diversion squad (反窜货行动组); one per region (409 for a second)."""
    return service.create(session, data=body, actor=who.username)


@router.get("")
def list_squads(session: DbSession, who: Anyone, page: PageQuery) -> Page[SquadOut]:
    """HQ sees every squad; a distributor the squads it leads; a salesperson or an inspector
    its own."""
    return service.list_squads(session, who=who, page=page)


@router.get("/report")
def squad_report(session: DbSession, who: Staff, period: Period = None) -> SquadReport:
    """Each squad's scans and findings in the month (default: this month)."""
    return service.report(session, period=period or period_of(utcnow()))


@router.get(
    "/report.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "the report as CSV"}},
)
def squad_report_csv(session: DbSession, who: Staff, period: Period = None) -> Response:
    rep = service.report(session, period=period or period_of(utcnow()))
    return Response(
        service.report_csv(rep),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="squads-{rep.period}.csv"'},
    )


@router.get("/{code}")
def get_squad(code: str, session: DbSession, who: Anyone) -> SquadOut:
    return service.get(session, code=code, who=who)


@router.patch("/{code}")
def update_squad(code: str, body: SquadPatch, session: DbSession, who: Staff) -> SquadOut:
    return service.update(session, code=code, data=body, actor=who.username)
