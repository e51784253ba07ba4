from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from app.auth.deps import Anyone, require
from app.auth.principal import Principal
from app.auth.visibility import visibility
from app.common.types import PageParams
from app.db import DbSession
from app.models import Role, ViolationKind, ViolationStatus
from app.violations import service
from app.violations.schemas import (
    AppealIn,
    DecideIn,
    ReverseIn,
    ViolationDetail,
    ViolationList,
)

router = APIRouter(prefix="/violations", tags=["violations"])

# Deciding penalties is HQ audit's job alone: admins keep master data, not judgements.
Auditor = Annotated[Principal, Depends(require(Role.hq_auditor))]
DistributorUser = Annotated[Principal, Depends(require(Role.distributor))]


@router.get("")
def list_violations(
    session: DbSession,
    who: Anyone,
    page: Annotated[PageParams, Depends()],
    status: ViolationStatus | None = None,
    kind: ViolationKind | None = None,
    distributor_code: str | None = None,
    region_code: str | None = None,
) -> ViolationList:
    items, total = service.list_violations(
        session,
        vis=visibility(session, who),
        limit=page.limit,
        offset=page.offset,
        status=status,
        kind=kind,
        distributor_code=distributor_code,
        region_code=region_code,
    )
    return ViolationList(items=items, total=total, limit=page.limit, offset=page.offset)


@router.get("/{violation_id}")
def get_violation(violation_id: int, session: DbSession, who: Anyone) -> ViolationDetail:
    return service.get_violation(
        session, violation_id=violation_id, vis=visibility(session, who), principal=who
    )


@router.post("/{violation_id}/appeal")
def appeal_violation(
    violation_id: int, body: AppealIn, session: DbSession, who: DistributorUser
) -> ViolationDetail:
    return service.appeal(
        session,
        violation_id=violation_id,
        principal=who,
        vis=visibility(session, who),
        reason=body.reason,
        evidence=body.evidence,
    )


@router.post("/{violation_id}/decide")
def decide_violation(
    violation_id: int, body: DecideIn, session: DbSession, who: Auditor
) -> ViolationDetail:
    return service.decide(
        session,
        violation_id=violation_id,
        decision=body.decision,
        note=body.note,
        principal=who,
        vis=visibility(session, who),
    )


@router.post("/{violation_id}/reverse")
def reverse_violation(
    violation_id: int, body: ReverseIn, session: DbSession, who: Auditor
) -> ViolationDetail:
    return service.reverse(
        session,
        violation_id=violation_id,
        note=body.note,
        principal=who,
        vis=visibility(session, who),
    )
