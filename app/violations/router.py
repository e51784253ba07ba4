from __future__ import annotations

from enum import StrEnum
from typing import Annotated, TypeVar

from fastapi import APIRouter, Depends, Query, Response

from app.auth.deps import Anyone, require
from app.auth.principal import Principal
from app.auth.visibility import visibility
from app.common.types import Id, PageParams
from app.config import get_settings
from app.db import DbSession
from app.errors import Unprocessable
from app.models import Role, ViolationKind, ViolationStatus
from app.violations import dossier, service
from app.violations.schemas import (
    AppealIn,
    DecideIn,
    ReverseIn,
    ViolationDetail,
    ViolationList,
)

router = APIRouter(prefix="/violations", tags=["violations"])
E = TypeVar("E", bound=StrEnum)

# Deciding penalties is HQ audit's job alone: admins keep master data, not judgements.
Auditor = Annotated[Principal, Depends(require(Role.hq_auditor))]
DistributorUser = Annotated[Principal, Depends(require(Role.distributor))]


def _choice(enum: type[E], value: str | None, name: str) -> E | None:
    # `?status=` (empty) means no filter, as clients build these query strings blindly.
    if not value:
        return None
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(e.value for e in enum)
        raise Unprocessable(
            [{"loc": ["query", name], "msg": f"one of {allowed}", "type": "enum"}]
        ) from None


@router.get("")
def list_violations(
    session: DbSession,
    who: Anyone,
    page: Annotated[PageParams, Depends()],
    status: Annotated[str | None, Query(description="open, appealed, confirmed, ...")] = None,
    kind: Annotated[str | None, Query(description="diversion, cloned or price")] = None,
    distributor_code: str | None = None,
    region_code: str | None = None,
) -> ViolationList:
    """Violations the caller may see, newest first: a distributor sees those it is a party to."""
    items, total = service.list_violations(
        session,
        vis=visibility(session, who),
        limit=page.limit,
        offset=page.offset,
        status=_choice(ViolationStatus, status, "status"),
        kind=_choice(ViolationKind, kind, "kind"),
        distributor_code=distributor_code or None,
        region_code=region_code or None,
    )
    return ViolationList(items=items, total=total, limit=page.limit, offset=page.offset)


@router.get("/{violation_id}")
def get_violation(violation_id: Id, session: DbSession, who: Anyone) -> ViolationDetail:
    return service.get_violation(
        session, violation_id=violation_id, vis=visibility(session, who), principal=who
    )


@router.get(
    "/{violation_id}/dossier.pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
def violation_dossier(violation_id: Id, session: DbSession, who: Anyone) -> Response:
    """The evidence dossier (zh-CN PDF) with its audit proofs attached; HQ, and the parties to
    the case for their own; anyone else gets 404."""
    pdf = dossier.build(session, violation_id=violation_id, principal=who, settings=get_settings())
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="dossier-{violation_id}.pdf"'},
    )


@router.post("/{violation_id}/appeal")
def appeal_violation(
    violation_id: Id, body: AppealIn, session: DbSession, who: DistributorUser
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
    violation_id: Id, body: DecideIn, session: DbSession, who: Auditor
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
    violation_id: Id, body: ReverseIn, session: DbSession, who: Auditor
) -> ViolationDetail:
    return service.reverse(
        session,
        violation_id=violation_id,
        note=body.note,
        principal=who,
        vis=visibility(session, who),
    )
