"""Distributors (经销商): tier, territory, responsible salesperson, signed agreement."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.audit import service as audit
from app.auth.visibility import Visibility
from app.common.lookup import by_code, count_rows, invalid, ref, text_match
from app.distributors.schemas import DistributorIn, DistributorOut, DistributorPatch
from app.errors import Conflict, NotFound
from app.models import Distributor, Region, Salesperson, Tier


def to_out(d: Distributor) -> DistributorOut:
    return DistributorOut(
        code=d.code,
        name=d.name,
        tier=d.tier,
        region_codes=[r.code for r in d.regions],
        salesperson_code=d.salesperson.code,
        agreement_signed_at=d.agreement_signed_at,
        agreement_on_file=d.agreement_signed_at is not None,
        webhook_url=d.webhook_url,
        created_at=d.created_at,
    )


def _regions(session: Session, codes: list[str]) -> list[Region]:
    if len(set(codes)) != len(codes):
        raise invalid("region_codes", "a region is listed twice")
    return [ref(session, Region, c, field="region_codes", what="region") for c in codes]


def create_distributor(session: Session, *, data: DistributorIn, actor: str) -> DistributorOut:
    """Create a distributor with its territory and salesperson."""
    if session.scalar(select(Distributor.id).where(Distributor.code == data.code)) is not None:
        raise Conflict(f"distributor {data.code!r} already exists")
    d = Distributor(
        code=data.code,
        name=data.name,
        tier=data.tier,
        salesperson=ref(
            session,
            Salesperson,
            data.salesperson_code,
            field="salesperson_code",
            what="salesperson",
        ),
        regions=_regions(session, data.region_codes),
        agreement_signed_at=data.agreement_signed_at,
        webhook_url=str(data.webhook_url) if data.webhook_url else None,
    )
    session.add(d)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="distributor.created",
        entity_type="distributor",
        entity_key=data.code,
        data=data.model_dump(mode="json"),
    )
    return to_out(d)


def update_distributor(
    session: Session, *, code: str, data: DistributorPatch, actor: str
) -> DistributorOut:
    d = by_code(session, Distributor, code, what="distributor")
    changes = data.model_dump(mode="json", exclude_unset=True)
    if data.name is not None:
        d.name = data.name
    if data.tier is not None:
        d.tier = data.tier
    if data.region_codes is not None:
        d.regions = _regions(session, data.region_codes)
    if data.salesperson_code is not None:
        d.salesperson = ref(
            session,
            Salesperson,
            data.salesperson_code,
            field="salesperson_code",
            what="salesperson",
        )
    if "agreement_signed_at" in changes:
        d.agreement_signed_at = data.agreement_signed_at
    if "webhook_url" in changes:
        d.webhook_url = str(data.webhook_url) if data.webhook_url else None
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="distributor.updated",
        entity_type="distributor",
        entity_key=code,
        data=changes,
    )
    return to_out(d)


def get_distributor(session: Session, *, code: str, vis: Visibility) -> DistributorOut:
    d = by_code(session, Distributor, code, what="distributor")
    if not vis.distributor(d.id):
        # Another distributor's record does not exist, as far as this caller can tell.
        raise NotFound(f"distributor {code!r} not found")
    return to_out(d)


def list_distributors(
    session: Session,
    *,
    vis: Visibility,
    limit: int,
    offset: int,
    tier: Tier | None = None,
    region_code: str | None = None,
    q: str | None = None,
) -> tuple[list[DistributorOut], int]:
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
    stmt = stmt.order_by(Distributor.code)
    total = count_rows(session, stmt)
    return [to_out(d) for d in session.scalars(stmt.limit(limit).offset(offset))], total
