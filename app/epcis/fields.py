"""The field types of EPCIS 2.0 documents and the base models every part of one builds on: URIs,
times with offsets, CBV vocabulary values, JSON-LD contexts, and user extensions."""

from __future__ import annotations

import json
import re
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    model_validator,
)
from rfc3339_validator import validate_rfc3339  # type: ignore[import-untyped]
from rfc3986_validator import validate_rfc3986  # type: ignore[import-untyped]

from app.common.types import aware
from app.epcis import vocab


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


def unique(values: list[Any]) -> list[Any]:
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
EpcList = Annotated[list[Uri], BeforeValidator(lambda v: unique(v) if isinstance(v, list) else v)]
TzOffset = Annotated[str, Field(pattern=r"^([+]|[-])((0[0-9]|1[0-3]):([0-5][0-9])|14:00)$")]
Version = Annotated[str, Field(pattern=r"^[0-9]+(\.[0-9]+)*$")]
JsonObject = dict[str, Any]


def _context(value: object) -> object:
    items = value if isinstance(value, list) else [value]
    for item in items:
        if not (is_uri(item) or isinstance(item, dict)):
            raise ValueError("@context must be a URI, an object, or a list of them")
    if isinstance(value, list):
        unique(value)
    return value


Context = Annotated[str | JsonObject | list[Any], BeforeValidator(_context)]


def certification(value: object) -> object:
    if isinstance(value, list):
        for item in value:
            if not is_uri(item):
                raise ValueError(f"certificationInfo holds {item!r}, which is not a URI")
        return value
    return _uri(value)


class StrictModel(BaseModel):
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


class OpenModel(StrictModel):
    """Members beyond the standard ones are allowed, whatever their names."""

    model_config = ConfigDict(extra="allow")


class ExtensibleModel(StrictModel):
    """Members beyond the standard ones must be extensions named by a URI or a namespace
    prefix (`example:myField`), as EPCIS 2.0 requires."""

    model_config = ConfigDict(extra="allow")

    @model_validator(mode="after")
    def _namespaced_extensions(self) -> ExtensibleModel:
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
