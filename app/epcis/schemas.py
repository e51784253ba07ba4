"""EPCIS 2.0 JSON/JSON-LD capture documents, checked the way GS1's EPCIS 2.0 JSON Schema checks
them (no package ships that schema, so its rules are written out here; tests/epcis compares the
two on real documents).

Where the 2.0.0 schema is stricter than documents real tools write (and than EPCIS 2.0.1), we
follow the tools: `persistentDisposition` on every event type, a sensor report without `type`,
two later measurement types, and CBV words in their EPCIS 1.x URN spelling (see `vocab`).
Member names are the JSON names, so error locations point at the offending field.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    model_validator,
)
from rfc3339_validator import validate_rfc3339  # type: ignore[import-untyped]
from rfc3986_validator import validate_rfc3986  # type: ignore[import-untyped]

from app.common.types import aware
from app.custody.schemas import CustodyResult
from app.epcis import vocab
from app.scans.schemas import ScanResult

STANDARD_EVENT_TYPES = (
    "ObjectEvent",
    "AggregationEvent",
    "AssociationEvent",
    "TransactionEvent",
    "TransformationEvent",
)


def is_uri(value: object) -> bool:
    """An absolute URI by RFC 3986 (what JSON Schema's `format: uri` means); CURIEs pass."""
    return isinstance(value, str) and bool(validate_rfc3986(value, rule="URI"))


def _uri(value: object) -> object:
    if not is_uri(value):
        raise ValueError(f"{value!r} is not an absolute URI")
    return value


def _time(value: object) -> object:
    if not isinstance(value, str) or not validate_rfc3339(value):
        raise ValueError(
            f"{value!r} is not an RFC 3339 date-time with an offset (2026-11-20T08:00:00+08:00)"
        )
    try:
        return aware(datetime.fromisoformat(value))
    except ValueError as exc:  # e.g. year 0000, which RFC 3339 allows and Python does not
        raise ValueError(f"{value!r} is not a date-time this service can store") from exc


def _number(value: object) -> object:
    # A JSON number: text like "20" or "twenty" is refused, and so is true/false.
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise ValueError(f"{value!r} is not a number")
    return Decimal(str(value)) if isinstance(value, float) else Decimal(value)


def _unique(values: list[Any]) -> list[Any]:
    seen: set[str] = set()
    for v in values:
        key = json.dumps(v, sort_keys=True, default=str)
        if key in seen:
            raise ValueError(f"{v!r} appears twice")
        seen.add(key)
    return values


def _cbv(
    words: frozenset[str],
    what: str,
    example: str,
    *,
    not_uri: re.Pattern[str] = vocab.GS1_CBV_NAMESPACE,
    xml: re.Pattern[str] | None = None,
) -> BeforeValidator:
    """A CBV word, or a URI of one's own (outside the namespace `not_uri`)."""

    def check(value: object) -> object:
        if isinstance(value, str):
            if value in words:
                return value
            m = xml.match(value) if xml else None
            if m and m[1] in words:
                return value
            if is_uri(value) and not not_uri.match(value):
                return value
        raise ValueError(
            f"{value!r} is neither a standard {what} (a CBV 2.0 word such as {example!r}) "
            "nor a URI of your own"
        )

    return BeforeValidator(check)


Uri = Annotated[str, BeforeValidator(_uri)]
Time = Annotated[datetime, BeforeValidator(_time)]
Number = Annotated[Decimal, BeforeValidator(_number)]
BizStep = Annotated[
    str, _cbv(vocab.BIZ_STEPS, "bizStep", "inspecting", xml=vocab.XML_FORM["bizStep"])
]
Disposition = Annotated[
    str, _cbv(vocab.DISPOSITIONS, "disposition", "in_transit", xml=vocab.XML_FORM["disposition"])
]
BizTransactionType = Annotated[
    str, _cbv(vocab.BIZ_TRANSACTION_TYPES, "business transaction type", "po")
]
SourceDestType = Annotated[
    str, _cbv(vocab.SOURCE_DEST_TYPES, "source/destination type", "location")
]
ErrorReason = Annotated[str, _cbv(vocab.ERROR_REASONS, "error reason", "incorrect_data")]
Component = Annotated[str, _cbv(vocab.COMPONENTS, "component", "latitude")]
MeasurementType = Annotated[
    str,
    _cbv(vocab.MEASUREMENT_TYPES, "measurement type", "Temperature", not_uri=vocab.GS1_WEB_VOC),
]
SensorAlert = Annotated[
    str,
    _cbv(vocab.SENSOR_ALERTS, "sensor alert type", "ALARM_CONDITION", not_uri=vocab.GS1_WEB_VOC),
]
EpcList = Annotated[list[Uri], BeforeValidator(lambda v: _unique(v) if isinstance(v, list) else v)]
TzOffset = Annotated[str, Field(pattern=r"^([+]|[-])((0[0-9]|1[0-3]):([0-5][0-9])|14:00)$")]
Version = Annotated[str, Field(pattern=r"^[0-9]+(\.[0-9]+)*$")]
JsonObject = dict[str, Any]


def _context(value: object) -> object:
    items = value if isinstance(value, list) else [value]
    for item in items:
        if not (is_uri(item) or isinstance(item, dict)):
            raise ValueError("@context must be a URI, an object, or a list of them")
    if isinstance(value, list):
        _unique(value)
    return value


Context = Annotated[str | JsonObject | list[Any], BeforeValidator(_context)]


def _certification(value: object) -> object:
    if isinstance(value, list):
        for item in value:
            if not is_uri(item):
                raise ValueError(f"certificationInfo holds {item!r}, which is not a URI")
        return value
    return _uri(value)


class _Strict(BaseModel):
    """No type coercion (JSON text stays text), no nulls, unknown members refused."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _no_nulls(cls, data: Any) -> Any:
        # JSON Schema leaves out what is absent; an explicit null is a wrong type.
        if isinstance(data, dict):
            for name, field in cls.model_fields.items():
                key = field.alias or name
                if key in data and data[key] is None:
                    raise ValueError(f"{key} may not be null")
        return data


class _Open(_Strict):
    """Members beyond the standard ones are allowed, whatever their names."""

    model_config = ConfigDict(extra="allow")


class _Extensible(_Strict):
    """Members beyond the standard ones must be extensions named by a URI or a namespace
    prefix (`example:myField`), as EPCIS 2.0 requires."""

    model_config = ConfigDict(extra="allow")

    @model_validator(mode="after")
    def _namespaced_extensions(self) -> _Extensible:
        for name in self.model_extra or {}:
            if not is_uri(name):
                raise ValueError(
                    f"unknown field {name!r}: extension fields must be namespaced "
                    "(e.g. 'example:myField' with 'example' declared in @context)"
                )
        return self


def _namespaced_keys(value: object) -> object:
    if isinstance(value, dict):
        for name in value:
            if not is_uri(name):
                raise ValueError(
                    f"ilmd field {name!r} is not namespaced (e.g. 'example:{name}' with "
                    "'example' declared in @context)"
                )
    return value


Ilmd = Annotated[JsonObject, BeforeValidator(_namespaced_keys)]


class QuantityElement(_Strict):
    epcClass: Uri
    quantity: Number | None = None
    uom: Annotated[str, Field(pattern=r"^[A-Z0-9]{2,3}$")] | None = None


class Place(_Open):
    id: Uri


class BizTransaction(_Strict):
    type: BizTransactionType | None = None
    bizTransaction: Uri


class Source(_Strict):
    type: SourceDestType
    source: Uri


class Destination(_Strict):
    type: SourceDestType
    destination: Uri


class PersistentDisposition(_Strict):
    set: Annotated[list[Disposition], Field(min_length=1)] | None = None
    unset: Annotated[list[Disposition], Field(min_length=1)] | None = None

    @model_validator(mode="after")
    def _some(self) -> PersistentDisposition:
        if self.set is None and self.unset is None:
            raise ValueError("persistentDisposition needs set or unset")
        for values in (self.set, self.unset):
            _unique(values or [])
        return self


class ErrorDeclaration(_Extensible):
    declarationTime: Time
    reason: ErrorReason | None = None
    correctiveEventIDs: list[Uri] | None = None


class SensorMetadata(_Extensible):
    time: Time | None = None
    deviceID: Uri | None = None
    deviceMetadata: Uri | None = None
    rawData: Uri | None = None
    startTime: Time | None = None
    endTime: Time | None = None
    dataProcessingMethod: Uri | None = None
    bizRules: Uri | None = None


class SensorReport(_Extensible):
    type: MeasurementType | None = None
    exception: SensorAlert | None = None
    deviceID: Uri | None = None
    deviceMetadata: Uri | None = None
    rawData: Uri | None = None
    dataProcessingMethod: Uri | None = None
    bizRules: Uri | None = None
    time: Time | None = None
    microorganism: Uri | None = None
    chemicalSubstance: Uri | None = None
    coordinateReferenceSystem: Uri | None = None
    value: Number | None = None
    component: Component | None = None
    stringValue: str | None = None
    booleanValue: bool | None = None
    hexBinaryValue: Annotated[str, Field(pattern=r"^[A-Fa-f0-9]+$")] | None = None
    uriValue: Uri | None = None
    minValue: Number | None = None
    maxValue: Number | None = None
    meanValue: Number | None = None
    sDev: Number | None = None
    percRank: Number | None = None
    percValue: Number | None = None
    uom: str | None = None


class SensorElement(_Extensible):
    sensorMetadata: SensorMetadata | None = None
    sensorReport: Annotated[list[SensorReport], Field(min_length=1)]


class _Event(_Extensible):
    """The members every event has: when it happened, its identity, and corrections."""

    context: Context | None = Field(default=None, alias="@context")
    eventTime: Time
    recordTime: Time | None = None
    eventTimeZoneOffset: TzOffset
    eventID: Uri | None = None
    certificationInfo: Annotated[str | list[str], BeforeValidator(_certification)] | None = None
    errorDeclaration: ErrorDeclaration | None = None


class _WhereWhy(_Event):
    """Business step, disposition, places, transactions and sensor data, shared by the
    standard event types."""

    bizStep: BizStep | None = None
    disposition: Disposition | None = None
    persistentDisposition: PersistentDisposition | None = None
    readPoint: Place | None = None
    bizLocation: Place | None = None
    bizTransactionList: list[BizTransaction] | None = None
    sourceList: list[Source] | None = None
    destinationList: list[Destination] | None = None
    sensorElementList: list[SensorElement] | None = None


Action = Literal["OBSERVE", "ADD", "DELETE"]


class ObjectEvent(_WhereWhy):
    type: Literal["ObjectEvent"]
    action: Action
    epcList: EpcList | None = None
    quantityList: list[QuantityElement] | None = None
    ilmd: Ilmd | None = None

    @model_validator(mode="after")
    def _what(self) -> ObjectEvent:
        if not (
            self.epcList is not None
            or self.quantityList
            or (self.sensorElementList and self.readPoint is not None)
        ):
            raise ValueError(
                "an ObjectEvent names its objects: epcList or quantityList "
                "(or sensorElementList with a readPoint)"
            )
        if self.ilmd is not None and self.action != "ADD":
            raise ValueError("ilmd is only allowed when action is ADD")
        return self


class AggregationEvent(_WhereWhy):
    type: Literal["AggregationEvent"]
    action: Action
    parentID: Uri | None = None
    childEPCs: list[Uri] | None = None
    childQuantityList: list[QuantityElement] | None = None

    @model_validator(mode="after")
    def _children(self) -> AggregationEvent:
        if not (self.childEPCs or self.childQuantityList or self.action == "DELETE"):
            raise ValueError(
                f"an {self.type} with action {self.action} needs childEPCs or childQuantityList"
            )
        return self


class AssociationEvent(AggregationEvent):
    type: Literal["AssociationEvent"]  # type: ignore[assignment]
    parentID: Uri


class TransactionEvent(_WhereWhy):
    type: Literal["TransactionEvent"]
    action: Action
    bizTransactionList: Annotated[list[BizTransaction], Field(min_length=1)]
    parentID: Uri | None = None
    epcList: list[Uri] | None = None
    quantityList: list[QuantityElement] | None = None

    @model_validator(mode="after")
    def _what(self) -> TransactionEvent:
        if not (self.epcList is not None or self.quantityList or self.action == "DELETE"):
            raise ValueError("a TransactionEvent names its objects: epcList or quantityList")
        return self


class TransformationEvent(_WhereWhy):
    type: Literal["TransformationEvent"]
    inputEPCList: EpcList | None = None
    inputQuantityList: list[QuantityElement] | None = None
    outputEPCList: EpcList | None = None
    outputQuantityList: list[QuantityElement] | None = None
    transformationID: Uri | None = None
    ilmd: Ilmd | None = None

    @model_validator(mode="after")
    def _inputs_outputs(self) -> TransformationEvent:
        inputs = bool(self.inputEPCList or self.inputQuantityList)
        outputs = bool(self.outputEPCList or self.outputQuantityList)
        if not ((inputs and outputs) or ((inputs or outputs) and self.transformationID)):
            raise ValueError(
                "a TransformationEvent needs inputs and outputs, or a transformationID and "
                "inputs or outputs"
            )
        return self


class ExtendedEvent(_Event):
    """An event type of one's own, named by a URI; its members are its own business."""

    model_config = ConfigDict(extra="allow")
    type: Uri

    @model_validator(mode="after")
    def _namespaced_extensions(self) -> ExtendedEvent:
        return self


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


class Attribute(_Open):
    id: Uri
    attribute: Number | str | JsonObject | None = None


class VocabularyElement(_Open):
    id: Uri
    attributes: list[Attribute] | None = None
    children: list[Uri] | None = None


class Vocabulary(_Open):
    type: Uri
    vocabularyElementList: list[VocabularyElement] | None = None


class MasterData(_Open):
    vocabularyList: list[Vocabulary] | None = None


class Header(_Extensible):
    epcisMasterData: MasterData | None = None


class Body(_Open):
    eventList: list[Event]


class EPCISDocument(_Extensible):
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
