"""Sub-customers (下级客户) on the wire."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field, model_validator

from app.common.types import (
    AwareDatetime,
    Code,
    CodedIn,
    Latitude,
    Longitude,
    Name,
    Schema,
    check_position,
)
from app.models import SubCustomerStatus, SubCustomerTier


class SubCustomerIn(CodedIn):
    tier: SubCustomerTier
    region_code: Code
    distributor_code: Code
    lat: Latitude | None = None
    lon: Longitude | None = None
    contact: str | None = Field(default=None, max_length=200)
    agreement_signed_at: AwareDatetime | None = None

    @model_validator(mode="after")
    def _position(self) -> SubCustomerIn:
        check_position(self.lat, self.lon)
        return self


class SubCustomerPatch(Schema):
    """What HQ may correct on a registered sub-customer. Its region and distributor stay: the
    goods it holds were handed to it under them."""

    name: Name | None = None
    tier: SubCustomerTier | None = None
    lat: Latitude | None = None
    lon: Longitude | None = None
    contact: str | None = Field(default=None, max_length=200)
    agreement_signed_at: AwareDatetime | None = None

    @model_validator(mode="after")
    def _position(self) -> SubCustomerPatch:
        check_position(self.lat, self.lon, self.model_fields_set)
        return self


class SubCustomerOut(BaseModel):
    code: str
    name: str
    tier: SubCustomerTier
    region_code: str
    distributor_code: str
    lat: float | None
    lon: float | None
    contact: str | None
    agreement_signed_at: datetime | None
    agreement_on_file: bool
    status: SubCustomerStatus
    approved_at: datetime | None
    revoked_at: datetime | None
    created_at: datetime
    cartons_held: int
    """Cartons it holds now (custodian of record)."""
    credit_score: int
    """信誉测评: the policy's start points less what its violations cost, decayed by age."""
    revocation_recommended: bool
    credit_policy_version: str
    violations: int
    """Violations naming it as the diverting sub-customer (any status)."""
    sell_through_hours: float | None
    """Median time from its distributor's shipment to its receipt, in hours (None: no receipt)."""


class DealerOut(BaseModel):
    """What anyone may learn of a dealer by scanning its certificate's QR: nothing private."""

    code: str
    name: str
    region_name: str
    distributor_name: str
    valid: bool
