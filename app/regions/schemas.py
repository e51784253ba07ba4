from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, Field

from app.common.types import Code, Out, Schema
from app.models import RegionKind
from app.regions.geo import validate_boundary

Boundary = Annotated[dict[str, Any], AfterValidator(validate_boundary)]


class RegionIn(Schema):
    code: Code
    name: str = Field(min_length=1, max_length=200)
    kind: RegionKind
    parent_code: Code | None = None
    boundary: Boundary | None = None


class RegionPatch(Schema):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    kind: RegionKind | None = None
    parent_code: Code | None = None
    boundary: Boundary | None = None


class RegionOut(Out):
    code: str
    name: str
    kind: RegionKind
    parent_code: str | None
    boundary: dict[str, Any] | None
    created_at: datetime
