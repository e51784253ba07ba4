from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from app.auth.deps import Anyone, Staff
from app.auth.visibility import ledger_parties, visibility
from app.common.types import MONTH_OR_YEAR_PATTERN, to_fen
from app.db import DbSession, utcnow
from app.ledger.router import LedgerReader
from app.ledger.service import PERIOD_PATTERN, period_of
from app.models import PartyType
from app.reports import service
from app.reports.schemas import (
    DismissalList,
    GradesIn,
    PlanCompletionList,
    ScorecardList,
    ScorecardOut,
    TargetIn,
    TargetList,
    TargetOut,
)

router = APIRouter(prefix="/reports", tags=["reports"])

Month = Annotated[str, Path(pattern=PERIOD_PATTERN, description="YYYY-MM")]
MonthQuery = Annotated[
    str | None, Query(pattern=PERIOD_PATTERN, description="YYYY-MM (default: this month)")
]
RatingPeriod = Annotated[
    str | None,
    Query(pattern=MONTH_OR_YEAR_PATTERN, description="YYYY-MM or YYYY (default: month)"),
]


@router.put("/targets/{party_type}/{party_code}/{period}")
def set_target(
    party_type: PartyType,
    party_code: str,
    period: Month,
    body: TargetIn,
    session: DbSession,
    who: Staff,
) -> TargetOut:
    """Set a distributor's or salesperson's credited-sales target for a month."""
    return service.set_target(
        session,
        party_type=party_type,
        party_code=party_code,
        period=period,
        target_fen=to_fen(body.target),
        actor=who.username,
    )


@router.get("/targets")
def list_targets(session: DbSession, who: LedgerReader, period: MonthQuery = None) -> TargetList:
    month = period or period_of(utcnow())
    return TargetList(
        period=month,
        items=service.list_targets(session, period=month, parties=ledger_parties(session, who)),
    )


@router.get("/plan-completion")
def plan_completion(
    session: DbSession, who: LedgerReader, period: MonthQuery = None
) -> PlanCompletionList:
    """Credited sales / target per party for a month; parties see their own row."""
    period = period or period_of(utcnow())
    items = service.plan_completion(session, period=period, parties=ledger_parties(session, who))
    return PlanCompletionList(period=period, items=items)


@router.put("/scorecards/{distributor_code}/{period}/grades", status_code=204)
def set_grades(
    distributor_code: str,
    period: Annotated[str, Path(pattern=MONTH_OR_YEAR_PATTERN)],
    body: GradesIn,
    session: DbSession,
    who: Staff,
) -> None:
    """Enter the indicators the service does not compute (1-5 each)."""
    service.set_grades(
        session,
        distributor_code=distributor_code,
        period=period,
        grades=body.grades,
        actor=who.username,
    )


@router.get("/scorecards")
def list_scorecards(session: DbSession, who: Anyone, period: RatingPeriod = None) -> ScorecardList:
    """Star scorecards of the distributors the caller may see."""
    period = period or period_of(utcnow())
    distributors = service.visible_distributors(session, vis=visibility(session, who))
    return ScorecardList(
        period=period, items=service.scorecards(session, period=period, distributors=distributors)
    )


@router.get("/scorecards/{distributor_code}")
def get_scorecard(
    distributor_code: str, session: DbSession, who: Anyone, period: RatingPeriod = None
) -> ScorecardOut:
    distributors = service.visible_distributors(
        session, vis=visibility(session, who), code=distributor_code
    )
    (card,) = service.scorecards(
        session, period=period or period_of(utcnow()), distributors=distributors
    )
    return card


@router.get("/dismissals")
def list_dismissals(
    session: DbSession, who: LedgerReader, recommended_only: bool = False
) -> DismissalList:
    """Salespeople and whether the policy recommends removing them from the post."""
    items = service.dismissals(
        session, now=utcnow(), vis=visibility(session, who), recommended_only=recommended_only
    )
    return DismissalList(items=items)
