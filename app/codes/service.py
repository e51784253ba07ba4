"""Issuing carton codes into the database, in one transaction or chunk by chunk with resume.

Reading a batch back lives in `batches`, a carton's later life (void, pallets, history) in
`cartons`; both are re-exported here for the router and the CLI."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.codes import gs1
from app.codes.batches import CHUNK as CHUNK
from app.codes.batches import PRINT_COLUMNS as PRINT_COLUMNS
from app.codes.batches import BatchContext as BatchContext
from app.codes.batches import batch_context as batch_context
from app.codes.batches import batch_out, issued
from app.codes.batches import code_model as code_model
from app.codes.batches import code_page as code_page
from app.codes.batches import get_batch as get_batch
from app.codes.batches import iter_codes as iter_codes
from app.codes.batches import label_data as label_data
from app.codes.batches import list_batches as list_batches
from app.codes.batches import print_row as print_row
from app.codes.batches import require_complete as require_complete
from app.codes.batches import stored_codes as stored_codes
from app.codes.cartons import carton_history as carton_history
from app.codes.cartons import create_pallet as create_pallet
from app.codes.cartons import pack_items as pack_items
from app.codes.cartons import resolve_cartons as resolve_cartons
from app.codes.cartons import territory_codes as territory_codes
from app.codes.cartons import void_carton as void_carton
from app.codes.schemas import (
    CodeBatchIn,
    CodeBatchOut,
    IssuedCode,
)
from app.common.lookup import invalid, ref
from app.common.signing import SigningKeys
from app.config import Settings
from app.db import table_of, utcnow
from app.errors import Conflict, NotFound
from app.models import (
    CartonStatus,
    CodeBatch,
    Product,
    Region,
)
from app.models.code import BatchStatus

INLINE_LIMIT = 1_000
ISSUE_CHUNK = 10_000
"""Codes a transaction when a large batch is issued: SQLite's one write lock is held for about
0.2 s of inserts a chunk, so /healthz and scans wait at most that long (a 1,000,000-code batch
in one transaction held it for 30-50 s)."""

SessionFactory = Callable[[], Session]


def issue_batch(
    session: Session,
    *,
    data: CodeBatchIn,
    settings: Settings,
    actor: str,
    progress: Callable[[int], None] | None = None,
) -> CodeBatchOut:
    """Sign `quantity` fresh codes for a product and region in the caller's one transaction,
    inserting them in chunks. For batches of up to ISSUE_CHUNK; larger ones go through
    `issue_batch_chunked` so that they do not hold the database for their whole run."""
    product, region = _product_and_region(session, data)
    keys = settings.signing
    batch = CodeBatch(
        product_id=product.id,
        region_id=region.id,
        quantity=data.quantity,
        key_id=keys.current,
        created_by=actor,
        status=BatchStatus.complete,
        issued=data.quantity,
        completed_at=utcnow(),
        level=data.level,
    )
    session.add(batch)
    session.flush()
    inline: list[IssuedCode] = []
    rows: list[dict[str, object]] = []
    model = code_model(data.level)
    codes = gs1.issue_codes(
        gtin=product.gtin, region_code=region.code, keys=keys, quantity=data.quantity
    )
    for code in codes:
        rows.append(_code_row(batch, code))
        if data.quantity <= INLINE_LIMIT:
            inline.append(issued(code, settings))
        if len(rows) == CHUNK:
            session.execute(insert(table_of(model)), rows)
            if progress:
                progress(len(rows))
            rows = []
    if rows:
        session.execute(insert(table_of(model)), rows)
        if progress:
            progress(len(rows))
    _record_issued(session, batch, product.gtin, region.code)
    out = batch_out(batch, product.gtin, region.code)
    out.codes = inline if data.quantity <= INLINE_LIMIT else None
    return out


def _code_row(batch: CodeBatch, code: gs1.CartonCode) -> dict[str, object]:
    """One issued code of the batch as a row to insert: live from the start."""
    return {
        "serial": code.serial,
        "batch_id": batch.id,
        "product_id": batch.product_id,
        "region_id": batch.region_id,
        "signature": code.signature,
        "status": CartonStatus.active,
    }


def _record_issued(session: Session, batch: CodeBatch, gtin: str, region_code: str) -> None:
    """The audit line of a batch whose codes are all stored, whether in one go or by chunks."""
    audit.change(
        session,
        batch.created_by,
        "code_batch.issued",
        str(batch.id),
        {
            "gtin": gtin,
            "region": region_code,
            "quantity": batch.quantity,
            "key_id": batch.key_id,
            "level": batch.level.value,
        },
    )


def _product_and_region(session: Session, data: CodeBatchIn) -> tuple[Product, Region]:
    product = session.scalar(select(Product).where(Product.gtin == data.gtin))
    if product is None:
        raise invalid("gtin", f"unknown product {data.gtin!r}")
    region = ref(session, Region, data.region_code, field="region_code", what="region")
    return product, region


def start_batch(session: Session, *, data: CodeBatchIn, settings: Settings, actor: str) -> int:
    """The row of a batch to be issued chunk by chunk: `issuing`, no codes yet. Flushes only;
    a bad gtin or region is a 422 before anything is stored."""
    product, region = _product_and_region(session, data)
    batch = CodeBatch(
        product_id=product.id,
        region_id=region.id,
        quantity=data.quantity,
        key_id=settings.signing.current,
        created_by=actor,
        status=BatchStatus.issuing,
        issued=0,
        level=data.level,
    )
    session.add(batch)
    session.flush()
    return batch.id


def issue_batch_chunked(
    sessions: SessionFactory,
    *,
    data: CodeBatchIn,
    settings: Settings,
    actor: str,
    chunk: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> CodeBatchOut:
    """Issue a large batch in transactions of `chunk` codes that each commit: other requests
    get the database between chunks, and the batch shows `issuing` with its progress until
    the last chunk makes it `complete`."""
    with sessions() as session, session.begin():
        batch_id = start_batch(session, data=data, settings=settings, actor=actor)
    return resume_batch(
        sessions, batch_id=batch_id, settings=settings, chunk=chunk, progress=progress
    )


def unfinished_batches(session: Session) -> list[int]:
    """Batches left `issuing` (their process was killed) or `failed`, oldest first."""
    return list(
        session.scalars(
            select(CodeBatch.id)
            .where(CodeBatch.status != BatchStatus.complete)
            .order_by(CodeBatch.id)
        )
    )


def resume_batch(
    sessions: SessionFactory,
    *,
    batch_id: int,
    settings: Settings,
    chunk: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> CodeBatchOut:
    """Store the codes a batch still lacks, one committed transaction a chunk, and mark it
    complete with the last one. This commits, unlike other services: it owns its transactions.

    Each chunk is signed before its transaction opens (signing is CPU work that needs no lock)
    and stored with the batch row locked, topping up to exactly `quantity` even if two
    resumes of one batch run at once. If anything raises, the batch is marked `failed` (its
    stored codes and count stay exact) and the error goes on; resuming completes it."""
    with sessions() as session, session.begin():
        ctx = batch_context(session, batch_id)
        if ctx.batch.key_id not in settings.signing.keys:
            raise Conflict(f"batch {batch_id} was signed with key {ctx.batch.key_id}, not held")
        if ctx.batch.status is not BatchStatus.complete:
            ctx.batch.status = BatchStatus.issuing
    batch = ctx.batch
    # The batch keeps the key it started with, even if the current key rotated since.
    keys = SigningKeys(settings.signing.keys, current=batch.key_id)
    remaining = batch.quantity - batch.issued
    chunk = chunk or ISSUE_CHUNK
    try:
        while remaining > 0:
            codes = list(
                gs1.issue_codes(
                    gtin=ctx.gtin,
                    region_code=ctx.region_code,
                    keys=keys,
                    quantity=min(chunk, remaining),
                )
            )
            with sessions() as session, session.begin():
                batch, stored = _store_chunk(session, ctx, codes)
            remaining = batch.quantity - batch.issued
            if progress and stored:
                progress(stored)
    except BaseException:
        # Best effort: if the database itself is what failed, the original error matters more,
        # and a batch left `issuing` resumes just the same.
        with contextlib.suppress(Exception), sessions() as session, session.begin():
            row = session.scalar(
                select(CodeBatch).where(CodeBatch.id == batch_id).with_for_update()
            )
            if row is not None and row.status is not BatchStatus.complete:
                row.status = BatchStatus.failed
        raise
    return batch_out(batch, ctx.gtin, ctx.region_code)


def _store_chunk(
    session: Session, ctx: BatchContext, codes: list[gs1.CartonCode]
) -> tuple[CodeBatch, int]:
    """Insert up to the codes the batch still lacks, counting them in the same transaction."""
    batch = session.scalar(select(CodeBatch).where(CodeBatch.id == ctx.batch.id).with_for_update())
    if batch is None:
        raise NotFound(f"code batch {ctx.batch.id} not found")
    codes = codes[: max(batch.quantity - batch.issued, 0)]
    if codes:
        session.execute(
            insert(table_of(code_model(batch.level))),
            [_code_row(batch, code) for code in codes],
        )
    batch.issued += len(codes)
    if batch.issued < batch.quantity:
        batch.status = BatchStatus.issuing
    elif batch.status is not BatchStatus.complete:
        batch.status = BatchStatus.complete
        batch.completed_at = utcnow()
        _record_issued(session, batch, ctx.gtin, ctx.region_code)
    session.flush()
    return batch, len(codes)
