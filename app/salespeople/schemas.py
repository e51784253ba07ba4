from __future__ import annotations

from datetime import datetime

from app.common.types import AwareDatetime, Code, CodedIn, CodedOut, Name, Schema


class SalespersonIn(CodedIn):
    region_code: Code
    agreement_signed_at: AwareDatetime | None = None


class SalespersonPatch(Schema):
    name: Name | None = None
    region_code: Code | None = None
    agreement_signed_at: AwareDatetime | None = None


class SalespersonOut(CodedOut):
    region_code: str
    agreement_signed_at: datetime | None
    created_at: datetime
