"""GS1 EPCIS 2.0 interface, mounted at /epcis beside the API (not under /api/v1): standard
tools post to /epcis/capture and read /epcis/events."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.responses import JSONResponse

from app.auth.deps import Staff, require
from app.auth.principal import Principal
from app.common.types import IDEMPOTENCY_KEY_PATTERN, AwareDatetime, Cursor
from app.config import get_settings
from app.db import DbSession
from app.epcis import service
from app.epcis.schemas import CaptureOut, DocumentError, event_list, validate_document
from app.errors import ERROR_RESPONSES, AppError, BadRequest, PayloadTooLarge, Unprocessable
from app.models import Role
from app.scans.ingest import once
from rules.policy import load_policy

router = APIRouter(prefix="/epcis", tags=["epcis"], responses=ERROR_RESPONSES)
Capturer = Annotated[Principal, Depends(require(Role.inspector, Role.admin))]
JSON_TYPES = ("application/json", "application/ld+json")
VERSION_HEADERS = {"GS1-EPCIS-Version": "2.0.0", "GS1-CBV-Version": "2.0.0"}


class UnsupportedMediaType(AppError):
    status_code = 415


async def json_document(request: Request) -> Any:
    """The request body parsed as JSON, if it is sent as JSON or JSON-LD."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type not in JSON_TYPES:
        raise UnsupportedMediaType(
            f"send the EPCIS document as {' or '.join(JSON_TYPES)}, not {media_type or 'nothing'}"
        )
    raw = await request.body()
    try:
        return json.loads(raw, parse_constant=_not_a_number, parse_float=_finite)
    except (ValueError, RecursionError) as exc:
        raise BadRequest(f"the body is not valid JSON: {exc}") from exc


def _not_a_number(word: str) -> Any:
    raise ValueError(f"{word} is not a JSON number")


def _finite(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"{text[:40]} is too large for a number")
    return value


_CAPTURE_BODY = {
    "requestBody": {
        "required": True,
        "description": "An EPCIS 2.0 EPCISDocument (JSON or JSON-LD).",
        "content": {
            media: {
                "schema": {
                    "type": "object",
                    "required": ["@context", "type", "schemaVersion", "creationDate", "epcisBody"],
                },
                "example": {
                    "@context": [service.EPCIS_CONTEXT],
                    "type": "EPCISDocument",
                    "schemaVersion": "2.0",
                    "creationDate": "2026-11-20T08:05:00+08:00",
                    "epcisBody": {
                        "eventList": [
                            {
                                "type": "ObjectEvent",
                                "eventTime": "2026-11-20T08:00:00+08:00",
                                "eventTimeZoneOffset": "+08:00",
                                "action": "OBSERVE",
                                "bizStep": "inspecting",
                                "epcList": [
                                    "https://id.channelguard.example/01/06901234560015/21/"
                                    "SERIAL?91=370100&92=SIGNATURE"
                                ],
                                "readPoint": {"id": "urn:channelguard:checkpoint:JN-G2-N"},
                            }
                        ]
                    },
                },
            }
            for media in JSON_TYPES
        },
    }
}


@router.post("/capture", openapi_extra=_CAPTURE_BODY)
def capture(
    session: DbSession,
    who: Capturer,
    response: Response,
    data: Annotated[Any, Depends(json_document)],
    idempotency_key: Annotated[
        str | None, Header(max_length=190, pattern=IDEMPOTENCY_KEY_PATTERN)
    ] = None,
) -> CaptureOut:
    """Capture an EPCIS 2.0 document. ObjectEvents whose bizStep is inspecting, receiving,
    arriving or shipping become scans of the carton codes they name; every event gets a result.
    A document that breaks EPCIS 2.0 is 422 naming the event and field. Retries with the same
    Idempotency-Key replay the first answer."""
    settings = get_settings()
    events = event_list(data)
    if events is not None and len(events) > settings.max_scans_per_request:
        raise PayloadTooLarge(
            f"{len(events)} events in one document; at most {settings.max_scans_per_request}"
        )
    try:
        document = validate_document(data)
    except DocumentError as exc:
        raise Unprocessable(exc.errors) from exc
    response.headers.update(VERSION_HEADERS)

    def compute() -> dict[str, Any]:
        out = service.capture(
            session,
            document=document,
            user_id=who.user_id,
            settings=settings,
            policy=load_policy(),
        )
        return out.model_dump(mode="json")

    replay = once(
        session,
        principal=who,
        # EPCIS keys live apart from /scans keys: one key may serve both doors.
        key=f"epcis:{idempotency_key}" if idempotency_key is not None else None,
        fingerprint=data,
        size=0,  # counted above, before validation
        what="events",
        compute=compute,
    )
    return CaptureOut.model_validate(replay)


@router.get("/events", responses={200: {"description": "an EPCIS 2.0 EPCISDocument"}})
def events(
    session: DbSession,
    _who: Staff,
    request: Request,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    after: Annotated[Cursor, Query(description="the cursor of the previous page")] = 0,
    ge_event_time: Annotated[AwareDatetime | None, Query(alias="GE_eventTime")] = None,
    lt_event_time: Annotated[AwareDatetime | None, Query(alias="LT_eventTime")] = None,
) -> JSONResponse:
    """Every stored scan as an EPCIS 2.0 ObjectEvent (OBSERVE, inspecting) with its verdict in
    `cg:verdict`, oldest first. When more remain, the `Link: <…>; rel="next"` header and
    `GS1-Next-Page-Token` give the next page's `after`."""
    document, next_after = service.export_events(
        session,
        settings=get_settings(),
        limit=limit,
        after=after,
        since=ge_event_time,
        until=lt_event_time,
    )
    headers = dict(VERSION_HEADERS)
    if next_after is not None:
        url = request.url.include_query_params(after=next_after)
        headers["Link"] = f'<{url}>; rel="next"'
        headers["GS1-Next-Page-Token"] = str(next_after)
    return JSONResponse(document, headers=headers, media_type="application/ld+json")
