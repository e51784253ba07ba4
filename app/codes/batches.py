"""A code batch once issued: its codes page by page, as labels, and whether it is complete."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.codes import gs1
from app.codes.labels import LabelData
from app.codes.schemas import (
    CodeBatchOut,
    IssuedCode,
)
from app.common.lookup import count_rows
from app.common.types import Page
from app.common.wire import wire_form
from app.config import Settings
from app.errors import Conflict, NotFound
from app.models import (
    Carton,
    CodeBatch,
    ItemCode,
    Product,
    Region,
)
from app.models.code import BatchStatus
from rules.vocab import CodeLevel

CHUNK = 5_000


def code_model(level: CodeLevel) -> type[Carton] | type[ItemCode]:
    """Where a batch's codes live: carton codes in `carton`, item codes in `item_code`."""
    return ItemCode if level is CodeLevel.ITEM else Carton


@dataclass(frozen=True)
class BatchContext:
    batch: CodeBatch
    gtin: str
    region_code: str
    region_name: str
    product_name: str
    region_colour: str | None = None


def require_complete(ctx: BatchContext) -> None:
    """Codes of an unfinished batch are not exported or printed: the run would be short."""
    batch = ctx.batch
    if batch.status is not BatchStatus.complete:
        raise Conflict(
            f"code batch {batch.id} is {batch.status.value} ({batch.issued} of "
            f"{batch.quantity} codes stored); resume it with `channelguard codes resume "
            f"{batch.id}`"
        )


def stored_codes(session: Session, batch_id: int) -> int:
    """How many codes of the batch are actually stored (what `issued` must equal)."""
    level = session.scalar(select(CodeBatch.level).where(CodeBatch.id == batch_id))
    model = code_model(level or CodeLevel.CARTON)
    return session.scalar(select(func.count()).where(model.batch_id == batch_id)) or 0


def issued(code: gs1.CartonCode, settings: Settings) -> IssuedCode:
    return IssuedCode(
        serial=code.serial,
        payload=code.digital_link(settings.digital_link_base),
        element_string=code.element_string,
    )


PRINT_COLUMNS = ["serial", "gtin", "region_code", "element_string", "digital_link"]
"""The columns of a batch's codes file for the print shop (downloaded or written by the CLI)."""


def print_row(code: gs1.CartonCode, settings: Settings) -> list[str]:
    """One code as a row of the print shop's file, in PRINT_COLUMNS order."""
    return [
        code.serial,
        code.gtin,
        code.region_code,
        code.element_string,
        code.digital_link(settings.digital_link_base),
    ]


def batch_out(batch: CodeBatch, gtin: str, region_code: str) -> CodeBatchOut:
    """The batch without its codes: only a small batch's issue answer lists them."""
    return wire_form(CodeBatchOut, batch, gtin=gtin, region_code=region_code, codes=None)


def batch_context(session: Session, batch_id: int) -> BatchContext:
    row = session.execute(
        select(CodeBatch, Product.gtin, Product.name, Region.code, Region.name, Region.colour)
        .join(Product, Product.id == CodeBatch.product_id)
        .join(Region, Region.id == CodeBatch.region_id)
        .where(CodeBatch.id == batch_id)
    ).first()
    if row is None:
        raise NotFound(f"code batch {batch_id} not found")
    batch, gtin, product_name, region_code, region_name, colour = row
    return BatchContext(batch, gtin, region_code, region_name, product_name, colour)


def get_batch(session: Session, *, batch_id: int) -> CodeBatchOut:
    ctx = batch_context(session, batch_id)
    return batch_out(ctx.batch, ctx.gtin, ctx.region_code)


def list_batches(session: Session, *, limit: int, offset: int) -> Page[CodeBatchOut]:
    """Code batches, newest first."""
    stmt = (
        select(CodeBatch, Product.gtin, Region.code)
        .join(Product, Product.id == CodeBatch.product_id)
        .join(Region, Region.id == CodeBatch.region_id)
        .order_by(CodeBatch.id.desc())
    )
    rows = session.execute(stmt.limit(limit).offset(offset)).all()
    return Page(
        items=[batch_out(b, g, r) for b, g, r in rows],
        total=count_rows(session, stmt),
        limit=limit,
        offset=offset,
    )


def code_of(ctx: BatchContext, serial: str, signature: str) -> gs1.CartonCode:
    return gs1.CartonCode(ctx.gtin, serial, ctx.region_code, signature, ctx.batch.key_id)


def iter_codes(
    session: Session, ctx: BatchContext, *, after: str | None = None, limit: int | None = None
) -> Iterator[gs1.CartonCode]:
    """The batch's codes in serial order, read in keyset pages so memory stays flat."""
    last = after or ""
    remaining = limit
    model = code_model(ctx.batch.level)
    while remaining is None or remaining > 0:
        page = CHUNK if remaining is None else min(CHUNK, remaining)
        rows = session.execute(
            select(model.serial, model.signature)
            .where(model.batch_id == ctx.batch.id, model.serial > last)
            .order_by(model.serial)
            .limit(page)
        ).all()
        for serial, signature in rows:
            yield code_of(ctx, serial, signature)
        if len(rows) < page:
            return
        last = rows[-1][0]
        if remaining is not None:
            remaining -= len(rows)


def code_page(
    session: Session, *, batch_id: int, settings: Settings, after: str | None, limit: int
) -> tuple[list[IssuedCode], str | None]:
    ctx = batch_context(session, batch_id)
    items = [issued(c, settings) for c in iter_codes(session, ctx, after=after, limit=limit + 1)]
    more = len(items) > limit
    items = items[:limit]
    return items, (items[-1].serial if more else None)


def label_data(ctx: BatchContext, code: gs1.CartonCode, settings: Settings) -> LabelData:
    return LabelData(
        element_string=code.element_string,
        element_string_fnc1=code.element_string_fnc1,
        digital_link=code.digital_link(settings.digital_link_base),
        region_name=ctx.region_name,
        product_name=ctx.product_name,
        gtin=code.gtin,
        serial=code.serial,
        region_colour=ctx.region_colour,
    )
