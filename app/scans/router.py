from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Header, UploadFile
from fastapi.responses import FileResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from app import db
from app.auth.deps import Anyone, require
from app.auth.principal import Principal
from app.auth.visibility import violation_filter, visibility
from app.codes.decode import ImageRejected, decode_image, sniff_format
from app.common.types import IDEMPOTENCY_KEY_PATTERN
from app.config import get_settings
from app.db import DbSession
from app.errors import NotFound, PayloadTooLarge, Unprocessable, error_with_status
from app.models import Photo, Role, Scan, Violation
from app.scans import service
from app.scans.groupcommit import committer
from app.scans.idempotency import Prehashed
from app.scans.ingest import ingest_batch
from app.scans.photos import store_photo
from app.scans.recognise import Item
from app.scans.schemas import ScanBatchIn, ScanBatchOut, ScanIn

router = APIRouter(prefix="/scans", tags=["scans"])
Inspector = Annotated[Principal, Depends(require(Role.inspector, Role.admin))]
PhotoReader = Anyone  # narrowed per role inside: parties see only their evidence


@router.post("", response_model=ScanBatchOut)
async def upload_scans(
    body: ScanBatchIn,
    who: Inspector,
    idempotency_key: Annotated[
        str | None, Header(max_length=200, pattern=IDEMPOTENCY_KEY_PATTERN)
    ] = None,
) -> Response:
    """Judge a batch of scans. Retries with the same Idempotency-Key replay the first answer."""
    # The body was validated once, by FastAPI; its fingerprint is pydantic's JSON of it, and
    # the answer goes out as the JSON that is stored for a replay, not dumped again.
    fingerprint = Prehashed.of_json(
        body.__pydantic_serializer__.to_json(body), lambda: body.model_dump(mode="json")
    )
    if len(body.scans) == 1 and get_settings().scan_group_commit:
        # A single scan waits on the event loop for the next shared transaction: no session
        # of its own and no pool thread, so thirty at once cost thirty futures, not threads.
        answer = await committer.submit(
            principal=who, key=idempotency_key, fingerprint=fingerprint, scans=body.scans
        )
    else:
        answer = await run_in_threadpool(_ingest_alone, body, who, idempotency_key, fingerprint)
    return Response(json_bytes(answer), media_type="application/json")


def _ingest_alone(
    body: ScanBatchIn, who: Principal, key: str | None, fingerprint: Prehashed
) -> dict[str, Any]:
    """A batch in the request's one transaction (what `DbSession` gives a synchronous route)."""
    with db.get_sessionmaker()() as session, session.begin():
        return ingest_batch(
            session,
            principal=who,
            key=key,
            fingerprint=fingerprint,
            items=lambda: service.items_from(body.scans),
            source="api",
            size=len(body.scans),
        )


def json_bytes(answer: dict[str, Any]) -> bytes:
    """The answer as FastAPI's JSONResponse would render it."""
    return json.dumps(answer, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


@router.post("/photo")
def upload_photo(
    session: DbSession,
    who: Inspector,
    file: Annotated[UploadFile, File(description="JPEG, PNG or WebP")],
    scanned_at: Annotated[str, Form()],
    checkpoint_code: Annotated[str | None, Form()] = None,
    lat: Annotated[float | None, Form()] = None,
    lon: Annotated[float | None, Form()] = None,
    observed_price: Annotated[str | None, Form()] = None,
    idempotency_key: Annotated[
        str | None, Header(max_length=200, pattern=IDEMPOTENCY_KEY_PATTERN)
    ] = None,
) -> ScanBatchOut:
    """Every barcode in the photo becomes a scan with its own verdict; the photo is kept."""
    settings = get_settings()
    data = file.file.read(settings.max_upload_bytes + 1)
    if len(data) > settings.max_upload_bytes:
        raise PayloadTooLarge(f"photo larger than {settings.max_upload_bytes} bytes")
    try:
        template = ScanIn.model_validate(
            {
                "payload": "-",
                "checkpoint_code": checkpoint_code,
                "scanned_at": scanned_at,
                "lat": lat,
                "lon": lon,
                "observed_price": observed_price,
            }
        )
    except ValidationError as exc:
        raise Unprocessable(exc.errors(include_url=False, include_context=False)) from exc
    try:
        symbols = decode_image(
            data, max_bytes=settings.max_upload_bytes, max_pixels=settings.max_image_pixels
        )
    except ImageRejected as exc:
        raise error_with_status(exc.status, exc.reason) from exc

    digest = hashlib.sha256(data).hexdigest()

    def items() -> list[Item]:
        out = []
        for sym in symbols:
            it = service.items_from([template.model_copy(update={"payload": sym.text})])[0]
            # The symbology identifier tells the parser a Code 128 or DataMatrix carries GS1.
            it.parse_text = (sym.symbology_identifier or "") + sym.text
            out.append(it)
        return out

    def keep_photo() -> None:
        store_photo(
            session,
            data=data,
            sha256=digest,
            fmt=sniff_format(data) or "",
            photo_dir=settings.photo_dir,
        )

    answer = ingest_batch(
        session,
        principal=who,
        key=idempotency_key,
        fingerprint={
            "photo_sha256": digest,
            **template.model_dump(mode="json", exclude={"payload"}),
        },
        items=items,
        source="photo",
        photo_sha256=digest,
        before=keep_photo,
    )
    return ScanBatchOut.model_validate(answer)


@router.get("/photos/{sha256}", response_class=FileResponse)
def get_photo(sha256: str, session: DbSession, who: PhotoReader) -> FileResponse:
    """An evidence photo by its content hash. Distributors and salespeople see the photos that
    are evidence in violations they may see; another party's photo does not exist for them."""
    photo = session.get(Photo, sha256) if len(sha256) == 64 else None
    if photo is not None and who.role in (Role.distributor, Role.salesperson, Role.sub_customer):
        evidence = session.scalar(
            select(Scan.id)
            .join(Violation, Violation.id == Scan.violation_id)
            .where(Scan.photo_sha256 == sha256, violation_filter(visibility(session, who)))
            .limit(1)
        )
        photo = photo if evidence is not None else None
    if photo is None:
        raise NotFound(f"photo {sha256!r} not found")
    path = Path(get_settings().photo_dir) / sha256[:2] / sha256
    if not path.is_file():
        raise NotFound(f"photo {sha256!r} is recorded but its file is missing")
    return FileResponse(
        path,
        media_type=photo.content_type,
        headers={"Cache-Control": "private, max-age=86400, immutable"},
    )
