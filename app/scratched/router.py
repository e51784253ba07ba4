from __future__ import annotations

import hashlib
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Header, Query, UploadFile
from pydantic import Field, ValidationError

from app.auth.deps import require
from app.auth.principal import Principal
from app.codes.decode import sniff_format
from app.common.types import IDEMPOTENCY_KEY_PATTERN, RAW_TEXT, AwareDatetime, Code, Money, Schema
from app.config import get_settings
from app.db import DbSession
from app.errors import PayloadTooLarge, Unprocessable, error_with_status
from app.models import Role
from app.scratched import service
from app.scratched.schemas import ScratchedListOut, ScratchedOut

router = APIRouter(prefix="/scratched-cartons", tags=["scratched cartons"])
Recorder = Annotated[Principal, Depends(require(Role.inspector, Role.admin))]
Reader = Annotated[Principal, Depends(require(Role.inspector, Role.admin, Role.hq_auditor))]


class _FormIn(Schema):
    """The form fields, checked as one body so that a bad field is a 422 naming it."""

    observed_at: AwareDatetime
    checkpoint_code: Code | None = None
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    gtin: str | None = Field(default=None, pattern=r"^\d{8,14}$")
    carton_count: int = Field(default=1, ge=1, le=100_000)
    observed_price: Money | None = None
    note: str | None = Field(default=None, max_length=2000)
    item_payload: Annotated[str | None, RAW_TEXT] = Field(default=None, max_length=4096)


@router.post("", status_code=201)
def record_scratched(
    session: DbSession,
    who: Recorder,
    observed_at: Annotated[str, Form()],
    checkpoint_code: Annotated[str | None, Form()] = None,
    lat: Annotated[float | None, Form()] = None,
    lon: Annotated[float | None, Form()] = None,
    gtin: Annotated[str | None, Form()] = None,
    carton_count: Annotated[int, Form()] = 1,
    observed_price: Annotated[str | None, Form()] = None,
    note: Annotated[str | None, Form()] = None,
    item_payload: Annotated[str | None, Form()] = None,
    photos: Annotated[
        list[UploadFile] | None, File(description="evidence photos: JPEG, PNG or WebP")
    ] = None,
    idempotency_key: Annotated[
        str | None, Header(max_length=200, pattern=IDEMPOTENCY_KEY_PATTERN)
    ] = None,
) -> ScratchedOut:
    """Record cartons found with their codes scratched off (刮码): place, product, count, the
    price seen, photos and a note. An item code scanned on one of the bottles (`item_payload`)
    is judged as its carton: the record then names the carton, its region and the verdict.
    A retry with the same Idempotency-Key returns the first record."""
    try:
        body = _FormIn.model_validate(
            {
                "observed_at": observed_at,
                "checkpoint_code": checkpoint_code or None,
                "lat": lat,
                "lon": lon,
                "gtin": gtin or None,
                "carton_count": carton_count,
                "observed_price": observed_price or None,
                "note": (note or "").strip() or None,
                "item_payload": (item_payload or "").strip() or None,
            }
        )
    except ValidationError as exc:
        raise Unprocessable(exc.errors(include_url=False, include_context=False)) from exc
    if (body.lat is None) != (body.lon is None):
        raise Unprocessable("give both lat and lon, or neither")
    done = service.existing(session, user_id=who.user_id, key=idempotency_key)
    if done is not None:
        return service.describe(session, [done])[0]

    settings = get_settings()
    files = photos or []
    if len(files) > service.MAX_PHOTOS:
        raise PayloadTooLarge(f"{len(files)} photos; at most {service.MAX_PHOTOS}")
    loaded: list[service.PhotoIn] = []
    for f in files:
        data = f.file.read(settings.max_upload_bytes + 1)
        if len(data) > settings.max_upload_bytes:
            raise PayloadTooLarge(f"photo larger than {settings.max_upload_bytes} bytes")
        if not data:
            continue  # a form sent with an empty file input
        fmt = sniff_format(data)
        if fmt is None:
            raise error_with_status(415, f"{f.filename or 'photo'} is not a JPEG, PNG or WebP")
        loaded.append(service.PhotoIn(data=data, sha256=hashlib.sha256(data).hexdigest(), fmt=fmt))

    row, result = service.record(
        session,
        principal=who,
        body=service.ScratchedIn(**dict(body)),
        photos=loaded,
        key=idempotency_key,
    )
    return service.describe(session, [row], results={row.id: result} if result else None)[0]


@router.get("")
def list_scratched(
    session: DbSession,
    who: Reader,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> ScratchedListOut:
    """Scratched-off cartons, newest first: HQ sees every record, an inspector its own."""
    rows = service.list_records(
        session, principal=who, limit=limit, user_only=who.role is Role.inspector
    )
    return ScratchedListOut(items=service.describe(session, rows))
