"""Checkpoints (监督站): where inspectors scan, each inside a region, usually with coordinates."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.checkpoints.schemas import CheckpointIn, CheckpointOut, CheckpointPatch
from app.common.lookup import by_code, ref, text_match
from app.common.master import added, ensure_new, page_of, patched, saved
from app.common.types import Page, PageParams
from app.common.wire import wire_form
from app.models import Checkpoint, Region


def to_out(c: Checkpoint, region_code: str) -> CheckpointOut:
    return wire_form(CheckpointOut, c, region_code=region_code)


def create_checkpoint(session: Session, *, data: CheckpointIn, actor: str) -> CheckpointOut:
    """Register a checkpoint in a region."""
    ensure_new(session, Checkpoint.code, data.code, what="checkpoint")
    region = ref(session, Region, data.region_code, field="region_code", what="region")
    c = Checkpoint(code=data.code, name=data.name, region_id=region.id, lat=data.lat, lon=data.lon)
    added(session, c, actor, "checkpoint.created", data.code, data.model_dump(mode="json"))
    return to_out(c, region.code)


def update_checkpoint(
    session: Session, *, code: str, data: CheckpointPatch, actor: str
) -> CheckpointOut:
    c = by_code(session, Checkpoint, code, what="checkpoint")
    changes = patched(c, data, fields=("name",))
    if data.region_code is not None:
        c.region_id = ref(session, Region, data.region_code, field="region_code", what="region").id
    if "lat" in changes:
        c.lat, c.lon = data.lat, data.lon
    saved(session, actor, "checkpoint.updated", code, changes)
    return get_checkpoint(session, code=code)


def get_checkpoint(session: Session, *, code: str) -> CheckpointOut:
    c = by_code(session, Checkpoint, code, what="checkpoint")
    region = session.get(Region, c.region_id)
    return to_out(c, region.code if region else "")


def list_checkpoints(
    session: Session,
    *,
    page: PageParams,
    region_code: str | None = None,
    q: str | None = None,
) -> Page[CheckpointOut]:
    stmt = select(Checkpoint, Region.code).join(Region, Region.id == Checkpoint.region_id)
    if region_code is not None:
        stmt = stmt.where(Region.code == region_code)
    if q:
        stmt = stmt.where(text_match(q, Checkpoint.name, Checkpoint.code))
    return page_of(session, stmt.order_by(Checkpoint.code), page, lambda row: to_out(*row))
