"""The one way a batch comes in: scans from the API, a photo, a reader's batch file, an EPCIS
document or a custody hand-off all pass here, so that every door checks the same size limit
and replays a retry the same way (Idempotency-Key, app/scans/idempotency.py)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Literal

from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.config import get_settings
from app.errors import Forbidden, PayloadTooLarge
from app.models import Role
from app.scans import service
from app.scans.idempotency import run_once
from app.scans.recognise import Item
from app.scans.schemas import ScanBatchOut
from rules.policy import load_policy

Source = Literal["api", "photo", "import"]
SCANNERS = frozenset({Role.inspector, Role.admin})
"""Who judges scans: inspectors in the field, and admin."""


def once(
    session: Session,
    *,
    principal: Principal,
    key: str | None,
    fingerprint: Any,
    size: int,
    what: str,
    compute: Callable[[], dict[str, Any]],
) -> dict[str, Any]:
    """A batch of `size` things, computed once per Idempotency-Key: a retry with the same body
    replays the first answer, another body is 409, a batch over the limit is 413."""
    limit = get_settings().max_scans_per_request
    if size > limit:
        raise PayloadTooLarge(f"{size} {what} in one request; at most {limit}")
    return run_once(session, user_id=principal.user_id, key=key, body=fingerprint, compute=compute)


def ingest_batch(
    session: Session,
    *,
    principal: Principal,
    key: str | None,
    fingerprint: Any,
    items: Callable[[], Sequence[Item]],
    source: Source,
    photo_sha256: str | None = None,
    before: Callable[[], None] | None = None,
    size: int | None = None,
) -> dict[str, Any]:
    """Judge a batch of scans once: `items` (and `before`, e.g. storing the photo) run only
    when the batch is new, never on a replay. The answer is the JSON that is stored for a
    replay (`ScanBatchOut`'s shape), for a door that sends it on as it is;
    `ScanBatchOut.model_validate` makes it a model for a caller that wants one."""
    if principal.role not in SCANNERS:
        raise Forbidden("only inspectors and admin record scans")

    def compute() -> dict[str, Any]:
        if before is not None:
            before()
        results = service.ingest(
            session,
            items=list(items()),
            user_id=principal.user_id,
            settings=get_settings(),
            policy=load_policy(),
            source=source,
            photo_sha256=photo_sha256,
        )
        computed.append(True)
        return {"results": results}

    computed: list[bool] = []
    response = once(
        session,
        principal=principal,
        key=key,
        fingerprint=fingerprint,
        size=size if size is not None else 0,
        what="scans",
        compute=compute,
    )
    # A replay may be an answer stored by an earlier version: sent in today's full shape.
    return response if computed else ScanBatchOut.model_validate(response).model_dump(mode="json")
