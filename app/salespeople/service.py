"""Salespeople (业务员): each responsible for a region and the distributors it serves."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.auth.visibility import Visibility
from app.common.lookup import by_code, count_rows, ref, text_match
from app.errors import Conflict, NotFound
from app.models import Region, Salesperson
from app.salespeople.schemas import SalespersonIn, SalespersonOut, SalespersonPatch


def to_out(sp: Salesperson) -> SalespersonOut:
    return SalespersonOut(
        code=sp.code,
        name=sp.name,
        region_code=sp.region.code,
        agreement_signed_at=sp.agreement_signed_at,
        created_at=sp.created_at,
    )


def create_salesperson(session: Session, *, data: SalespersonIn, actor: str) -> SalespersonOut:
    """Create a salesperson responsible for a region."""
    if session.scalar(select(Salesperson.id).where(Salesperson.code == data.code)) is not None:
        raise Conflict(f"salesperson {data.code!r} already exists")
    region = ref(session, Region, data.region_code, field="region_code", what="region")
    sp = Salesperson(
        code=data.code, name=data.name, region=region, agreement_signed_at=data.agreement_signed_at
    )
    session.add(sp)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="salesperson.created",
        entity_type="salesperson",
        entity_key=data.code,
        data=data.model_dump(mode="json"),
    )
    return to_out(sp)


def update_salesperson(
    session: Session, *, code: str, data: SalespersonPatch, actor: str
) -> SalespersonOut:
    sp = by_code(session, Salesperson, code, what="salesperson")
    changes = data.model_dump(mode="json", exclude_unset=True)
    if data.name is not None:
        sp.name = data.name
    if data.region_code is not None:
        sp.region = ref(session, Region, data.region_code, field="region_code", what="region")
    if "agreement_signed_at" in changes:
        sp.agreement_signed_at = data.agreement_signed_at
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="salesperson.updated",
        entity_type="salesperson",
        entity_key=code,
        data=changes,
    )
    return to_out(sp)


def get_salesperson(session: Session, *, code: str, vis: Visibility) -> SalespersonOut:
    sp = by_code(session, Salesperson, code, what="salesperson")
    if not vis.salesperson(sp.id):
        raise NotFound(f"salesperson {code!r} not found")
    return to_out(sp)


def list_salespeople(
    session: Session, *, vis: Visibility, limit: int, offset: int, q: str | None = None
) -> tuple[list[SalespersonOut], int]:
    stmt = select(Salesperson).order_by(Salesperson.code)
    if q:
        stmt = stmt.where(text_match(q, Salesperson.name, Salesperson.code))
    if not vis.everything:
        stmt = stmt.where(Salesperson.id.in_(vis.salesperson_ids))
    total = count_rows(session, stmt)
    return [to_out(sp) for sp in session.scalars(stmt.limit(limit).offset(offset))], total
