from __future__ import annotations

from datetime import datetime

from pydantic import AnyHttpUrl, Field

from app.common.types import AwareDatetime, Code, CodedIn, CodedOut, Name, Schema
from app.models import Tier


class DistributorIn(CodedIn):
    tier: Tier
    region_codes: list[Code] = Field(min_length=1, max_length=200)
    salesperson_code: Code
    agreement_signed_at: AwareDatetime | None = None
    webhook_url: AnyHttpUrl | None = None


class DistributorPatch(Schema):
    name: Name | None = None
    tier: Tier | None = None
    region_codes: list[Code] | None = Field(default=None, min_length=1, max_length=200)
    salesperson_code: Code | None = None
    agreement_signed_at: AwareDatetime | None = None
    webhook_url: AnyHttpUrl | None = None


class DistributorOut(CodedOut):
    tier: Tier
    region_codes: list[str]
    salesperson_code: str
    agreement_signed_at: datetime | None
    agreement_on_file: bool
    webhook_url: str | None
    created_at: datetime
