"""Field types the whole API shares: business codes, money, pagination."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainSerializer

CODE_PATTERN = r"^[A-Za-z0-9_-]{1,40}$"
Code = Annotated[str, Field(pattern=CODE_PATTERN, examples=["370100"])]


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
    return value.astimezone(UTC)


AwareDatetime = Annotated[datetime, AfterValidator(aware)]


class Schema(BaseModel):
    """Base for request bodies: unknown fields are refused, so typos do not pass silently."""

    model_config = ConfigDict(extra="forbid")


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


class PageParams(BaseModel):
    limit: int = Field(default=50, ge=1, le=500)
    offset: int = Field(default=0, ge=0)
