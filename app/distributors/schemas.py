from __future__ import annotations

from datetime import datetime

from pydantic import AnyHttpUrl, Field

from app.common.types import AwareDatetime, Code, Out, Schema
from app.models import Tier


class DistributorIn(Schema):
    code: Code
    name: str = Field(min_length=1, max_length=200)
    tier: Tier
    region_codes: list[Code] = Field(min_length=1, max_length=200)
    salesperson_code: Code
    agreement_signed_at: AwareDatetime | None = None
    webhook_url: AnyHttpUrl | None = None


class DistributorPatch(Schema):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    tier: Tier | None = None
    region_codes: list[Code] | None = Field(default=None, min_length=1, max_length=200)
    salesperson_code: Code | None = None
    agreement_signed_at: AwareDatetime | None = None
    webhook_url: AnyHttpUrl | None = None


class DistributorOut(Out):
    code: str
    name: str
    tier: Tier
    region_codes: list[str]
    salesperson_code: str
    agreement_signed_at: datetime | None
    agreement_on_file: bool
    webhook_url: str | None
    created_at: datetime
