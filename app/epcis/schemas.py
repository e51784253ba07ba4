"""EPCIS 2.0 JSON/JSON-LD capture documents, checked the way GS1's EPCIS 2.0 JSON Schema checks
them (no package ships that schema, so its rules are written out here; tests/epcis compares the
two on real documents).

Where the 2.0.0 schema is stricter than documents real tools write (and than EPCIS 2.0.1), we
follow the tools: `persistentDisposition` on every event type, a sensor report without `type`,
two later measurement types, and CBV words in their EPCIS 1.x URN spelling (see `vocab`).
Member names are the JSON names, so error locations point at the offending field. The field
types live in `fields`, the event types in `events`; this module holds the document itself.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    Discriminator,
    Field,
    Tag,
    ValidationError,
)

from app.custody.schemas import CustodyResult
from app.epcis.events import AggregationEvent as AggregationEvent
from app.epcis.events import AssociationEvent as AssociationEvent
from app.epcis.events import ExtendedEvent as ExtendedEvent
from app.epcis.events import ObjectEvent as ObjectEvent
from app.epcis.events import TransactionEvent as TransactionEvent
from app.epcis.events import TransformationEvent as TransformationEvent
from app.epcis.fields import (
    Context,
    ExtensibleModel,
    JsonObject,
    Number,
    OpenModel,
    Time,
    Uri,
    Version,
)
from app.epcis.fields import is_uri as is_uri
from app.scans.schemas import ScanResult

STANDARD_EVENT_TYPES = (
    "ObjectEvent",
    "AggregationEvent",
    "AssociationEvent",
    "TransactionEvent",
    "TransformationEvent",
)


def _event_kind(value: object) -> str | None:
    if isinstance(value, dict):
        kind = value.get("type")
        return kind if kind in STANDARD_EVENT_TYPES else "extended"
    return None


Event = Annotated[
    Annotated[ObjectEvent, Tag("ObjectEvent")]
    | Annotated[AggregationEvent, Tag("AggregationEvent")]
    | Annotated[AssociationEvent, Tag("AssociationEvent")]
    | Annotated[TransactionEvent, Tag("TransactionEvent")]
    | Annotated[TransformationEvent, Tag("TransformationEvent")]
    | Annotated[ExtendedEvent, Tag("extended")],
    Discriminator(
        _event_kind,
        custom_error_type="event",
        custom_error_message="an event is an object with a type",
    ),
]


class Attribute(OpenModel):
    id: Uri
    attribute: Number | str | JsonObject | None = None


class VocabularyElement(OpenModel):
    id: Uri
    attributes: list[Attribute] | None = None
    children: list[Uri] | None = None


class Vocabulary(OpenModel):
    type: Uri
    vocabularyElementList: list[VocabularyElement] | None = None


class MasterData(OpenModel):
    vocabularyList: list[Vocabulary] | None = None


class Header(ExtensibleModel):
    epcisMasterData: MasterData | None = None


class Body(OpenModel):
    eventList: list[Event]


class EPCISDocument(ExtensibleModel):
    context: Context = Field(alias="@context")
    type: Literal["EPCISDocument"]
    id: Uri | None = None
    schemaVersion: Version
    creationDate: Time
    instanceIdentifier: str | None = None
    sender: str | None = None
    receiver: str | None = None
    epcisHeader: Header | None = None
    epcisBody: Body


class DocumentError(Exception):
    """A document that breaks EPCIS 2.0, with one entry per broken field."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__(errors)
        self.errors = errors


def event_list(data: object) -> list[Any] | None:
    """The document's `epcisBody.eventList` when it is a list, whatever else the body holds."""
    body = data.get("epcisBody") if isinstance(data, dict) else None
    events = body.get("eventList") if isinstance(body, dict) else None
    return events if isinstance(events, list) else None


def validate_document(data: object) -> EPCISDocument:
    """Check a parsed JSON document against EPCIS 2.0; DocumentError says where it breaks."""
    if not isinstance(data, dict):
        raise DocumentError([{"loc": [], "msg": "an EPCIS document is a JSON object"}])
    if data.get("type") != "EPCISDocument":
        raise DocumentError(
            [
                {
                    "loc": ["type"],
                    "msg": f"capture takes an EPCISDocument, not type {data.get('type')!r}",
                }
            ]
        )
    try:
        return EPCISDocument.model_validate(data)
    except ValidationError as exc:
        raise DocumentError(_explain(exc, data)) from exc


def _explain(exc: ValidationError, data: dict[str, Any]) -> list[dict[str, Any]]:
    """Pydantic's errors as `{loc, msg, event?, eventID?}`, the union tag taken out of loc."""
    events = event_list(data)
    out: list[dict[str, Any]] = []
    for err in exc.errors(include_url=False, include_context=False, include_input=False):
        loc = list(err["loc"])
        entry: dict[str, Any] = {}
        if loc[:2] == ["epcisBody", "eventList"] and len(loc) > 2 and isinstance(loc[2], int):
            index = loc[2]
            if len(loc) > 3 and loc[3] in (*STANDARD_EVENT_TYPES, "extended"):
                del loc[3]
            entry["event"] = index
            event = events[index] if isinstance(events, list) else None
            if isinstance(event, dict) and isinstance(event.get("eventID"), str):
                entry["eventID"] = event["eventID"]
        msg = str(err["msg"]).removeprefix("Value error, ")
        out.append({"loc": loc, "msg": msg, **entry})
    return out


class EventResult(BaseModel):
    """What became of one captured event."""

    index: int
    """Position in epcisBody.eventList, from 0."""
    event_id: str | None = None
    type: str
    action: str | None = None
    biz_step: str | None = None
    checkpoint_code: str | None = None
    """The checkpoint the readPoint or bizLocation named, when it named one."""
    became_scans: bool = False
    hand_offs: list[CustodyResult] = []
    """A shipping or receiving event whose source/destination names parties is a custody
    hand-off (出库/入库), judged as `/custody/ship` or `/custody/receive` would."""
    note: str | None = None
    """Why the event made no scans, or could not be placed."""
    results: list[ScanResult] = Field(default_factory=list)
    """One per EPC of a sighting event, in the event's order (epcList, then quantityList)."""


class CaptureOut(BaseModel):
    events: list[EventResult]
    event_count: int
    scans_stored: int
