"""Sales regions: a tree of territories, each of a kind, optionally with a boundary."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from app.common.lookup import by_code, invalid, ref, text_match
from app.common.master import added, ensure_new, page_of, patched, saved
from app.common.types import Page, PageParams
from app.common.wire import wire_form
from app.models import Region, RegionKind
from app.regions.schemas import RegionIn, RegionOut, RegionPatch
from app.regions.tree import region_tree


def to_out(region: Region, parent_code: str | None) -> RegionOut:
    return wire_form(RegionOut, region, parent_code=parent_code)


def _parent_code(session: Session, region: Region) -> str | None:
    if region.parent_id is None:
        return None
    parent = session.get(Region, region.parent_id)
    return parent.code if parent else None


def create_region(session: Session, *, data: RegionIn, actor: str) -> RegionOut:
    """Create a region under its parent (if any)."""
    ensure_new(session, Region.code, data.code, what="region")
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
    added(session, region, actor, "region.created", data.code, data.model_dump(mode="json"))
    return to_out(region, data.parent_code)


def update_region(session: Session, *, code: str, data: RegionPatch, actor: str) -> RegionOut:
    """Change a region's name, kind, parent or boundary; a region cannot move under itself."""
    region = by_code(session, Region, code, what="region")
    changes = patched(region, data, fields=("name", "kind"), clearable=("boundary", "colour"))
    if "parent_code" in changes:
        if data.parent_code is None:
            region.parent_id = None
        else:
            parent = ref(session, Region, data.parent_code, field="parent_code", what="region")
            if region.id in {n.id for n in region_tree(session).path(parent.id)}:
                raise invalid("parent_code", "a region cannot be nested inside itself")
            region.parent_id = parent.id
    saved(session, actor, "region.updated", code, changes)
    return to_out(region, _parent_code(session, region))


def get_region(session: Session, *, code: str) -> RegionOut:
    region = by_code(session, Region, code, what="region")
    return to_out(region, _parent_code(session, region))


def list_regions(
    session: Session,
    *,
    page: PageParams,
    parent_code: str | None = None,
    kind: RegionKind | None = None,
    q: str | None = None,
) -> Page[RegionOut]:
    parent = aliased(Region)
    stmt = select(Region, parent.code).outerjoin(parent, Region.parent_id == parent.id)
    if parent_code is not None:
        stmt = stmt.where(parent.code == parent_code)
    if kind is not None:
        stmt = stmt.where(Region.kind == kind)
    if q:
        stmt = stmt.where(text_match(q, Region.name, Region.code))
    return page_of(session, stmt.order_by(Region.code), page, lambda row: to_out(*row))
