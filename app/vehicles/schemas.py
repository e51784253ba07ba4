from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from app.common.types import Code, Schema

PHONE_PATTERN = r"^\+?[0-9][0-9 -]{4,18}[0-9]$"


class VehicleIn(Schema):
    plate: str = Field(min_length=2, max_length=20, examples=["鲁A12345"])
    """A Chinese plate; separators and case are forgiven (`鲁a·12345`)."""
    owner: str = Field(min_length=1, max_length=200)
    driver_name: str = Field(min_length=1, max_length=80)
    driver_phone: str = Field(pattern=PHONE_PATTERN, examples=["13800138000"])
    distributor_codes: list[Code] = Field(default_factory=list, max_length=200)
    """The distributors this vehicle is approved to deliver to."""


class VehiclePatch(Schema):
    owner: str | None = Field(default=None, min_length=1, max_length=200)
    driver_name: str | None = Field(default=None, min_length=1, max_length=80)
    driver_phone: str | None = Field(default=None, pattern=PHONE_PATTERN)
    distributor_codes: list[Code] | None = Field(default=None, max_length=200)


class VehicleRevoke(Schema):
    reason: str = Field(min_length=1, max_length=300)


class VehicleOut(BaseModel):
    plate: str
    owner: str
    driver_name: str
    driver_phone: str
    distributor_codes: list[str]
    status: str
    """`active` or `revoked`."""
    revoked_at: datetime | None
    revoke_reason: str | None
    created_at: datetime
