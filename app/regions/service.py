"""Sales regions: a tree of territories, each of a kind, optionally with a boundary."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from app.audit import service as audit
from app.common.lookup import by_code, count_rows, invalid, ref, text_match
from app.errors import Conflict
from app.models import Region, RegionKind
from app.regions.schemas import RegionIn, RegionOut, RegionPatch
from app.regions.tree import region_tree


def to_out(region: Region, parent_code: str | None) -> RegionOut:
    return RegionOut(
        code=region.code,
        name=region.name,
        kind=region.kind,
        parent_code=parent_code,
        boundary=region.boundary,
        colour=region.colour,
        created_at=region.created_at,
    )


def _parent_code(session: Session, region: Region) -> str | None:
    if region.parent_id is None:
        return None
    parent = session.get(Region, region.parent_id)
    return parent.code if parent else None


def create_region(session: Session, *, data: RegionIn, actor: str) -> RegionOut:
    """Create a region under its parent (if any)."""
    if session.scalar(select(Region.id).where(Region.code == data.code)) is not None:
        raise Conflict(f"region {data.code!r} already exists")
    parent = (
        ref(session, Region, data.parent_code, field="parent_code", what="region")
        if data.parent_code
        else None
    )
    region = Region(
        code=data.code,
        name=data.name,
        kind=data.kind,
        parent_id=parent.id if parent else None,
        boundary=data.boundary,
        colour=data.colour,
    )
    session.add(region)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="region.created",
        entity_type="region",
        entity_key=data.code,
        data=data.model_dump(mode="json"),
    )
    return to_out(region, data.parent_code)


def update_region(session: Session, *, code: str, data: RegionPatch, actor: str) -> RegionOut:
    """Change a region's name, kind, parent or boundary; a region cannot move under itself."""
    region = by_code(session, Region, code, what="region")
    changes = data.model_dump(mode="json", exclude_unset=True)
    if "name" in changes and data.name is not None:
        region.name = data.name
    if "kind" in changes and data.kind is not None:
        region.kind = data.kind
    if "boundary" in changes:
        region.boundary = data.boundary
    if "colour" in changes:
        region.colour = data.colour
    if "parent_code" in changes:
        if data.parent_code is None:
            region.parent_id = None
        else:
            parent = ref(session, Region, data.parent_code, field="parent_code", what="region")
            if region.id in {n.id for n in region_tree(session).path(parent.id)}:
                raise invalid("parent_code", "a region cannot be nested inside itself")
            region.parent_id = parent.id
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="region.updated",
        entity_type="region",
        entity_key=code,
        data=changes,
    )
    return to_out(region, _parent_code(session, region))


def get_region(session: Session, *, code: str) -> RegionOut:
    region = by_code(session, Region, code, what="region")
    return to_out(region, _parent_code(session, region))


def list_regions(
    session: Session,
    *,
    limit: int,
    offset: int,
    parent_code: str | None = None,
    kind: RegionKind | None = None,
    q: str | None = None,
) -> tuple[list[RegionOut], int]:
    parent = aliased(Region)
    stmt = select(Region, parent.code).outerjoin(parent, Region.parent_id == parent.id)
    if parent_code is not None:
        stmt = stmt.where(parent.code == parent_code)
    if kind is not None:
        stmt = stmt.where(Region.kind == kind)
    if q:
        stmt = stmt.where(text_match(q, Region.name, Region.code))
    stmt = stmt.order_by(Region.code)
    total = count_rows(session, stmt)
    rows = session.execute(stmt.limit(limit).offset(offset)).all()
    return [to_out(r, pc) for r, pc in rows], total
