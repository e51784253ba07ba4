from __future__ import annotations

from datetime import datetime

from pydantic import Field

from app.common.types import AwareDatetime, Code, Out, Schema


class SalespersonIn(Schema):
    code: Code
    name: str = Field(min_length=1, max_length=200)
    region_code: Code
    agreement_signed_at: AwareDatetime | None = None


class SalespersonPatch(Schema):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    region_code: Code | None = None
    agreement_signed_at: AwareDatetime | None = None


class SalespersonOut(Out):
    code: str
    name: str
    region_code: str
    agreement_signed_at: datetime | None
    created_at: datetime
