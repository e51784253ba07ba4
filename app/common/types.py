"""Field types the whole API shares: business codes, money, pagination."""

from __future__ import annotations

import re
from collections.abc import Set as AbstractSet
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, Generic, TypeVar

import annotated_types as at
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationInfo,
    field_validator,
)

# Patterns are ASCII only: `\d` would also match fullwidth and other Unicode digits.
CODE_PATTERN = r"^[A-Za-z0-9_-]{1,40}$"
Code = Annotated[str, Field(pattern=CODE_PATTERN, examples=["370100"])]

INT4_MAX = 2**31 - 1
INT8_MAX = 2**63 - 1
# Integers from the URL or body are bounded by the column they meet: PostgreSQL refuses an int4
# past 2**31-1 and both databases an int8 past 2**63-1, which would otherwise be a 500.
Id = Annotated[int, at.Ge(1), at.Le(INT4_MAX)]
"""The id of a row in the URL (a violation, a code batch, a notification)."""
Offset = Annotated[int, at.Ge(0), at.Le(INT4_MAX)]
"""How many rows of a list to skip."""
Cursor = Annotated[int, at.Ge(0), at.Le(INT8_MAX)]
"""The last seen sequence number or id of a bigint-keyed list (audit log, scans)."""

MIN_YEAR, MAX_YEAR = 1900, 2999
MONTH_PATTERN = r"^(19|2[0-9])[0-9]{2}-(0[1-9]|1[0-2])$"
"""A calendar month, YYYY-MM, of years 1900-2999: any other year is a typo, and years near 1 or
9999 overflow when the business time zone is converted to UTC."""
MONTH_OR_YEAR_PATTERN = r"^(19|2[0-9])[0-9]{2}(-(0[1-9]|1[0-2]))?$"

# Control characters other than tab and line breaks are never text a person typed, and
# PostgreSQL text cannot hold NUL at all.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
PLAIN_TEXT_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"


def text_problem(value: str) -> str | None:
    """Why a string cannot be stored as text, or None when it can."""
    bad = _CONTROL.search(value)
    if bad:
        return (
            f"control character U+{ord(bad.group()):04X} at position {bad.start()} is not allowed"
        )
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        return f"not valid Unicode (lone surrogate at position {exc.start})"
    return None


IDEMPOTENCY_KEY_PATTERN = r"^[\x21-\x7e]+$"
"""Visible ASCII: a UUID, a ULID or any token a client makes; header values allow no more."""


class RawText:
    """Marks a request field that may hold any characters (a scanner's payload): it is judged
    item by item instead of being refused with the whole request."""


RAW_TEXT = RawText()


def _check_text(value: Any) -> None:
    if isinstance(value, str):
        problem = text_problem(value)
        if problem:
            raise ValueError(problem)
    elif isinstance(value, list | tuple | set | frozenset):
        for v in value:
            _check_text(v)
    elif isinstance(value, dict):
        for k, v in value.items():
            _check_text(k)
            _check_text(v)
    # Nested models check their own fields.


def _plain_text_schema(schema: dict[str, Any], model: type[BaseModel]) -> None:
    """Document the text rule in the OpenAPI schema: every free string property gets the
    pattern the server enforces, so generated clients and fuzzers agree with it."""
    by_alias = {(f.alias or name): f for name, f in model.model_fields.items()}
    for name, prop in schema.get("properties", {}).items():
        field = by_alias.get(name)
        if field is not None and RAW_TEXT not in field.metadata:
            _add_pattern(prop)


def _add_pattern(prop: dict[str, Any]) -> None:
    if prop.get("type") == "string" and not {"pattern", "format", "enum", "const"} & set(prop):
        prop["pattern"] = PLAIN_TEXT_PATTERN
    for key in ("anyOf", "oneOf"):
        for sub in prop.get(key, []):
            _add_pattern(sub)
    if isinstance(prop.get("items"), dict):
        _add_pattern(prop["items"])


def _money(value: Decimal) -> Decimal:
    if not value.is_finite() or value < 0:
        raise ValueError("must be a non-negative amount")
    cents = value.quantize(Decimal("0.01"))
    if cents != value:
        raise ValueError("at most two decimal places (fen)")
    return cents


Money = Annotated[
    Decimal,
    Field(max_digits=14, examples=["12.50"]),
    AfterValidator(_money),
    PlainSerializer(lambda d: f"{d:.2f}", return_type=str),
]
"""A CNY amount: a decimal string on the wire ("12.50"), exact to the fen."""


def to_fen(amount: Decimal) -> int:
    return int(amount * 100)


def from_fen(fen: int) -> Decimal:
    return (Decimal(fen) / 100).quantize(Decimal("0.01"))


def aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("timestamp needs a UTC offset, e.g. 2026-11-22T08:00:00+08:00")
    try:
        utc = value.astimezone(UTC)
    except OverflowError:
        # 0001-01-01T00:00+08:00 is before year 1 in UTC: no datetime can hold it.
        raise ValueError("timestamp is out of range once converted to UTC") from None
    if not MIN_YEAR <= utc.year <= MAX_YEAR:
        # Far dates are typos, and arithmetic on them (deadlines, grace periods) overflows.
        raise ValueError(f"timestamp must lie in the years {MIN_YEAR}-{MAX_YEAR}")
    return utc


AwareDatetime = Annotated[datetime, AfterValidator(aware)]

Latitude = Annotated[float, Field(ge=-90, le=90)]
Longitude = Annotated[float, Field(ge=-180, le=180)]


def check_position(
    lat: float | None, lon: float | None, fields_set: AbstractSet[str] | None = None
) -> None:
    """A position is both coordinates or none: half of one places nothing. For a patch, pass its
    `model_fields_set`: sending one coordinate (even as null) without the other is refused too."""
    if (lat is None) != (lon is None) or (
        fields_set is not None and ("lat" in fields_set) != ("lon" in fields_set)
    ):
        raise ValueError("give both lat and lon, or neither")


class Schema(BaseModel):
    """Base for request bodies: unknown fields are refused, so typos do not pass silently;
    numbers are finite; text holds no control characters (tab and line breaks aside) unless
    the field is marked RAW_TEXT."""

    model_config = ConfigDict(
        extra="forbid", allow_inf_nan=False, json_schema_extra=_plain_text_schema
    )

    @field_validator("*", mode="after")
    @classmethod
    def _plain_text(cls, value: Any, info: ValidationInfo) -> Any:
        field = cls.model_fields.get(info.field_name or "")
        if field is None or RAW_TEXT not in field.metadata:
            _check_text(value)
        return value


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


Name = Annotated[str, Field(min_length=1, max_length=200)]
"""A register entry's name, as people know it (the column holds 200 characters)."""


class CodedIn(Schema):
    """A new register entry (region, distributor, checkpoint, …): the business code it is known
    by in the contract, and its name."""

    code: Code
    name: Name


class CodedOut(Out):
    """A register entry on the wire: its code and name, before what the register adds."""

    code: str
    name: str


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


class CursorPage(BaseModel, Generic[T]):
    """A page of a list read by cursor: pass `next` back as `after` for the following page;
    `next` is null on the last page."""

    items: list[T]
    next: str | None


class PageParams(BaseModel):
    limit: int = Field(default=50, ge=1, le=500)
    offset: Offset = 0
