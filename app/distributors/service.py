"""Distributors (经销商): tier, territory, responsible salesperson, signed agreement."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.auth.visibility import Visibility
from app.common.lookup import by_code, invalid, ref, text_match
from app.common.master import added, ensure_new, page_of, patched, saved, visible_by_code
from app.common.types import Page, PageParams
from app.common.wire import wire_form
from app.distributors.schemas import DistributorIn, DistributorOut, DistributorPatch
from app.models import Distributor, Region, Salesperson, Tier


def to_out(d: Distributor) -> DistributorOut:
    return wire_form(
        DistributorOut,
        d,
        region_codes=[r.code for r in d.regions],
        salesperson_code=d.salesperson.code,
        agreement_on_file=d.agreement_signed_at is not None,
    )


def _regions(session: Session, codes: list[str]) -> list[Region]:
    if len(set(codes)) != len(codes):
        raise invalid("region_codes", "a region is listed twice")
    return [ref(session, Region, c, field="region_codes", what="region") for c in codes]


def _salesperson(session: Session, code: str) -> Salesperson:
    return ref(session, Salesperson, code, field="salesperson_code", what="salesperson")


def create_distributor(session: Session, *, data: DistributorIn, actor: str) -> DistributorOut:
    """Create a distributor with its territory and salesperson."""
    ensure_new(session, Distributor.code, data.code, what="distributor")
    d = Distributor(
        code=data.code,
        name=data.name,
        tier=data.tier,
        salesperson=_salesperson(session, data.salesperson_code),
        regions=_regions(session, data.region_codes),
        agreement_signed_at=data.agreement_signed_at,
        webhook_url=str(data.webhook_url) if data.webhook_url else None,
    )
    added(session, d, actor, "distributor.created", data.code, data.model_dump(mode="json"))
    return to_out(d)


def update_distributor(
    session: Session, *, code: str, data: DistributorPatch, actor: str
) -> DistributorOut:
    d = by_code(session, Distributor, code, what="distributor")
    changes = patched(d, data, fields=("name", "tier"), clearable=("agreement_signed_at",))
    if data.region_codes is not None:
        d.regions = _regions(session, data.region_codes)
    if data.salesperson_code is not None:
        d.salesperson = _salesperson(session, data.salesperson_code)
    if "webhook_url" in changes:
        d.webhook_url = str(data.webhook_url) if data.webhook_url else None
    saved(session, actor, "distributor.updated", code, changes)
    return to_out(d)


def get_distributor(session: Session, *, code: str, vis: Visibility) -> DistributorOut:
    return to_out(
        visible_by_code(session, Distributor, code, what="distributor", sees=vis.distributor)
    )


def list_distributors(
    session: Session,
    *,
    vis: Visibility,
    page: PageParams,
    tier: Tier | None = None,
    region_code: str | None = None,
    q: str | None = None,
) -> Page[DistributorOut]:
    stmt = select(Distributor).options(
        selectinload(Distributor.regions), selectinload(Distributor.salesperson)
    )
    if not vis.everything:
        stmt = stmt.where(Distributor.id.in_(vis.distributor_ids))
    if tier is not None:
        stmt = stmt.where(Distributor.tier == tier)
    if region_code is not None:
        stmt = stmt.where(Distributor.regions.any(Region.code == region_code))
    if q:
        stmt = stmt.where(text_match(q, Distributor.name, Distributor.code))
    return page_of(session, stmt.order_by(Distributor.code), page, to_out)
