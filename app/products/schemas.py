from __future__ import annotations

from datetime import datetime
from typing import Annotated

from biip import ParseError
from biip.gtin import Gtin
from pydantic import AfterValidator, Field

from app.common.types import Money, Name, Out, Schema
from app.models import Tier


def normalize_gtin(value: str) -> str:
    """Validate the check digit (via biip) and widen GTIN-8/12/13 to GTIN-14."""
    if not (value.isascii() and value.isdigit()) or len(value) not in (8, 12, 13, 14):
        raise ValueError("GTIN must be 8, 12, 13 or 14 digits")
    try:
        return str(Gtin.parse(value).as_gtin_14())
    except ParseError as exc:
        raise ValueError(str(exc)) from exc


GtinStr = Annotated[
    str,
    AfterValidator(normalize_gtin),
    Field(pattern=r"^([0-9]{8}|[0-9]{12,14})$", examples=["06901234567892"]),
]


class ProductIn(Schema):
    gtin: GtinStr
    name: Name
    units_per_carton: int = Field(ge=1, le=100_000)
    carton_value: Money
    price_floors: dict[Tier, Money] | None = None
    """Lowest allowed unit price per customer tier."""


class ProductPatch(Schema):
    name: Name | None = None
    units_per_carton: int | None = Field(default=None, ge=1, le=100_000)
    carton_value: Money | None = None
    price_floors: dict[Tier, Money] | None = None


class ProductOut(Out):
    gtin: str
    name: str
    units_per_carton: int
    carton_value: Money
    price_floors: dict[Tier, Money]
    created_at: datetime
