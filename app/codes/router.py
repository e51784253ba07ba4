from __future__ import annotations

import csv
import io
import logging
from collections.abc import Iterator
from typing import Annotated, Literal

from fastapi import APIRouter, BackgroundTasks, Depends, Query, status
from fastapi.responses import Response, StreamingResponse

from app.auth.deps import require
from app.auth.principal import Principal
from app.codes import service
from app.codes.labels import render_labels_pdf
from app.codes.schemas import (
    CartonOut,
    CodeBatchIn,
    CodeBatchOut,
    CodePage,
    PackIn,
    PackOut,
    PalletIn,
    PalletOut,
    VoidIn,
)
from app.common.types import Id, Page, PageParams
from app.config import Settings, get_settings
from app.db import DbSession, get_sessionmaker
from app.models import Role

router = APIRouter(tags=["codes"])
Admin = Annotated[Principal, Depends(require(Role.admin))]
CartonReader = Annotated[Principal, Depends(require(Role.admin, Role.hq_auditor, Role.inspector))]
MAX_LABELS = 10_000
log = logging.getLogger(__name__)


@router.post("/code-batches", status_code=status.HTTP_201_CREATED)
def issue_code_batch(body: CodeBatchIn, session: DbSession, who: Admin) -> CodeBatchOut:
    """Answers 201 once every code is stored. Up to 10,000 codes in one transaction; a larger
    batch commits a chunk of 10,000 at a time, so other requests are served meanwhile and
    `GET /code-batches/{id}` shows it `issuing` with its progress until it is `complete`."""
    settings = get_settings()
    if body.quantity <= service.ISSUE_CHUNK:
        return service.issue_batch(session, data=body, settings=settings, actor=who.username)
    batch_id = service.start_batch(session, data=body, settings=settings, actor=who.username)
    # End the request's transaction now: on SQLite it holds the one write lock, which every
    # chunk below takes in turn with the rest of the service's requests.
    session.commit()
    return service.resume_batch(get_sessionmaker(), batch_id=batch_id, settings=settings)


@router.post("/code-batches/start", status_code=status.HTTP_202_ACCEPTED)
def start_code_batch(
    body: CodeBatchIn, session: DbSession, who: Admin, tasks: BackgroundTasks
) -> CodeBatchOut:
    """Answers 202 at once with the batch `issuing` and 0 codes stored; the codes are then
    stored a chunk at a time after the answer. Poll `GET /code-batches/{id}` for `issued` until
    `complete` (the admin page's progress bar does). A 422 for a bad gtin or region comes
    before anything is stored."""
    settings = get_settings()
    batch_id = service.start_batch(session, data=body, settings=settings, actor=who.username)
    out = service.get_batch(session, batch_id=batch_id)
    # The batch row must be committed before the task that fills it starts.
    session.commit()
    tasks.add_task(_issue_in_background, batch_id, settings)
    return out


def _issue_in_background(batch_id: int, settings: Settings) -> None:
    try:
        service.resume_batch(get_sessionmaker(), batch_id=batch_id, settings=settings)
    except Exception:
        # resume_batch has marked the batch `failed`: the page shows it, the log says why, and
        # `channelguard codes resume ID` finishes it.
        log.exception("code batch %s stopped issuing", batch_id)


@router.get("/code-batches")
def list_code_batches(
    session: DbSession, _who: Admin, page: Annotated[PageParams, Depends()]
) -> Page[CodeBatchOut]:
    return service.list_batches(session, limit=page.limit, offset=page.offset)


@router.get("/code-batches/{batch_id}")
def get_code_batch(batch_id: Id, session: DbSession, _who: Admin) -> CodeBatchOut:
    return service.get_batch(session, batch_id=batch_id)


@router.get("/code-batches/{batch_id}/codes")
def list_batch_codes(
    batch_id: Id,
    session: DbSession,
    _who: Admin,
    after: str | None = None,
    limit: int = Query(500, ge=1, le=5000),
) -> CodePage:
    items, next_after = service.code_page(
        session, batch_id=batch_id, settings=get_settings(), after=after, limit=limit
    )
    return CodePage(items=items, next=next_after, next_after=next_after)


@router.get("/code-batches/{batch_id}/codes.csv", response_class=StreamingResponse)
def batch_codes_csv(batch_id: Id, session: DbSession, _who: Admin) -> StreamingResponse:
    """Every code of the batch for a print shop, streamed: a million rows never sit in memory."""
    # 404, or 409 for a batch still issuing, before the stream starts
    service.require_complete(service.batch_context(session, batch_id))
    settings = get_settings()

    def rows() -> Iterator[bytes]:
        with get_sessionmaker()() as own:  # the request's session is closed while we stream
            ctx = service.batch_context(own, batch_id)
            buf = io.StringIO()
            out = csv.writer(buf)
            out.writerow(service.PRINT_COLUMNS)
            for n, code in enumerate(service.iter_codes(own, ctx), start=1):
                out.writerow(service.print_row(code, settings))
                if n % 2000 == 0:
                    yield buf.getvalue().encode()
                    buf.seek(0)
                    buf.truncate()
            yield buf.getvalue().encode()

    return StreamingResponse(
        rows(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="batch-{batch_id}.csv"'},
    )


@router.get("/code-batches/{batch_id}/labels.pdf", response_class=Response)
def batch_labels_pdf(
    batch_id: Id,
    session: DbSession,
    _who: Admin,
    layout: Literal["a4", "thermal", "item_qr", "item_datamatrix"] = "a4",
    after: str | None = None,
    limit: int = Query(1000, ge=1, le=MAX_LABELS),
) -> Response:
    """Printable labels: A4 sheets or 100x70 mm thermal labels, up to 10,000 per file; for item
    codes, 22x26 mm cap and bottle labels with the Digital Link as a QR code (`item_qr`) or a
    DataMatrix (`item_datamatrix`)."""
    settings = get_settings()
    ctx = service.batch_context(session, batch_id)
    service.require_complete(ctx)
    labels = (
        service.label_data(ctx, c, settings)
        for c in service.iter_codes(session, ctx, after=after, limit=limit)
    )
    pdf = render_labels_pdf(labels, layout=layout)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="batch-{batch_id}-{layout}.pdf"'},
    )


@router.post("/cartons/{serial}/void")
def void_carton(serial: str, body: VoidIn, session: DbSession, who: Admin) -> dict[str, str]:
    carton = service.void_carton(session, serial=serial, reason=body.reason, actor=who.username)
    return {"serial": carton.serial, "status": carton.status.value}


@router.post("/cartons/{serial}/items")
def pack_items(serial: str, body: PackIn, session: DbSession, who: Admin) -> PackOut:
    """Pack item codes into the carton (关联), idempotently; 409 for an item already packed in
    another carton, 422 naming `payloads.N` for a forged, unknown, voided or foreign item."""
    return service.pack_items(
        session, serial=serial, payloads=body.payloads, settings=get_settings(), actor=who.username
    )


@router.get("/cartons/{serial}")
def get_carton(serial: str, session: DbSession, _who: CartonReader) -> CartonOut:
    return service.carton_history(session, serial=serial, settings=get_settings())


@router.post("/pallets", status_code=status.HTTP_201_CREATED)
def create_pallet(body: PalletIn, session: DbSession, who: Admin) -> PalletOut:
    return service.create_pallet(session, data=body, settings=get_settings(), actor=who.username)
