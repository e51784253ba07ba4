from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from app.auth.deps import Anyone, require
from app.auth.principal import Principal
from app.auth.visibility import visibility
from app.common.lookup import SearchText
from app.common.master import PageQuery, visible_by_code
from app.common.register_routes import register_routes
from app.common.types import Page
from app.config import get_settings
from app.db import DbSession
from app.distributors import service
from app.distributors.schemas import DistributorOut
from app.models import Distributor, Role, SanctionStep, Tier
from app.violations import sanctions
from app.violations.schemas import SanctionOut
from app.violations.views import sanction_rows
from app.waybills.webhooks import SIGNATURE_HEADER, distributor_webhook_secret

router = APIRouter(prefix="/distributors", tags=["master data"])
register_routes(router, "distributor", service, sees=visibility)


@router.get("")
def list_distributors(
    session: DbSession,
    who: Anyone,
    page: PageQuery,
    tier: Tier | None = None,
    region_code: str | None = None,
    q: SearchText = None,
) -> Page[DistributorOut]:
    return service.list_distributors(
        session, vis=visibility(session, who), page=page, tier=tier, region_code=region_code, q=q
    )


class WebhookSecretOut(BaseModel):
    distributor_code: str
    secret: str
    header: str = SIGNATURE_HEADER
    scheme: str = 't=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + raw body)>'


@router.get("/{code}/webhook-secret")
def get_webhook_secret(
    code: str,
    session: DbSession,
    who: Annotated[Principal, Depends(require(Role.admin, Role.distributor))],
) -> WebhookSecretOut:
    """The secret that signs this distributor's webhook calls (admin, or the distributor itself:
    another distributor's is 404)."""
    dist = service.get_distributor(session, code=code, vis=visibility(session, who))
    secret = distributor_webhook_secret(get_settings().webhook_secret, dist.code)
    return WebhookSecretOut(distributor_code=dist.code, secret=secret)


class SanctionsOut(BaseModel):
    distributor_code: str
    supply_stopped: bool
    items: list[SanctionOut]


def _sanctions_out(session: DbSession, dist: Distributor) -> SanctionsOut:
    rows = sanction_rows(session, sanctions.of_distributor(session, dist.id))
    return SanctionsOut(
        distributor_code=dist.code,
        supply_stopped=any(s.step is SanctionStep.SUPPLY_STOP and s.in_force for s in rows),
        items=rows,
    )


def _visible_distributor(session: DbSession, code: str, who: Principal) -> Distributor:
    return visible_by_code(
        session, Distributor, code, what="distributor", sees=visibility(session, who).distributor
    )


@router.get("/{code}/sanctions")
def get_sanctions(code: str, session: DbSession, who: Anyone) -> SanctionsOut:
    """The sanctions ladder steps taken against a distributor, oldest first."""
    return _sanctions_out(session, _visible_distributor(session, code, who))


@router.post("/{code}/supply-stop/lift")
def lift_supply_stop(
    code: str,
    session: DbSession,
    who: Annotated[Principal, Depends(require(Role.admin, Role.hq_auditor))],
) -> SanctionsOut:
    """HQ lifts a supply stop (断货): waybills to the distributor are accepted again."""
    dist = _visible_distributor(session, code, who)
    sanctions.lift_supply_stop(session, dist, actor=who.username)
    return _sanctions_out(session, dist)
