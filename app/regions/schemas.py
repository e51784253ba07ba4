from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, Field

from app.common.types import Code, CodedIn, CodedOut, Name, Schema
from app.models import RegionKind
from app.regions.geo import validate_boundary

Boundary = Annotated[dict[str, Any], AfterValidator(validate_boundary)]
Colour = Annotated[
    str,
    Field(pattern=r"^#[0-9A-Fa-f]{6}$", examples=["#C0392B"]),
    AfterValidator(str.upper),
]
"""A label colour as #RRGGBB."""


class RegionIn(CodedIn):
    kind: RegionKind
    parent_code: Code | None = None
    boundary: Boundary | None = None
    colour: Colour | None = None
    """The region's label colour (商标颜色差异化): a band on its carton labels."""


class RegionPatch(Schema):
    name: Name | None = None
    kind: RegionKind | None = None
    parent_code: Code | None = None
    boundary: Boundary | None = None
    colour: Colour | None = None


class RegionOut(CodedOut):
    kind: RegionKind
    parent_code: str | None
    boundary: dict[str, Any] | None
    colour: str | None = None
    created_at: datetime
