from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field, model_validator

from app.common.types import (
    RAW_TEXT,
    AwareDatetime,
    Code,
    Latitude,
    Longitude,
    Money,
    Schema,
    check_position,
)


class ScanIn(Schema):
    payload: Annotated[str, RAW_TEXT] = Field(max_length=4096)
    """What the reader produced: a Digital Link URI or an element string in any common form.
    A payload with control characters other than GS, CR, LF and tab is that item's `error`
    (verdict `unreadable`); the rest of the batch is judged."""
    checkpoint_code: Code | None = None
    scanned_at: AwareDatetime
    lat: Latitude | None = None
    lon: Longitude | None = None
    observed_price: Money | None = None
    """Observed shelf price per unit (CNY)."""
    device_id: str | None = Field(default=None, max_length=80)

    @model_validator(mode="after")
    def _position(self) -> ScanIn:
        check_position(self.lat, self.lon)
        return self


class ScanBatchIn(Schema):
    scans: list[ScanIn] = Field(min_length=1)


class RegionName(BaseModel):
    code: str
    name: str


class ScanReason(BaseModel):
    """Why the verdict is what it is, as data a page can put into words in any language:
    `code` is the deciding rule; `facts` hold its numbers and the regions with their names."""

    code: str
    facts: dict[str, Any] = Field(default_factory=dict)


class ReadCode(BaseModel):
    """Which code an answer about one read payload speaks of: the payload as read, and the
    carton (and item) it named."""

    payload: str
    serial: str | None = None
    """The carton's serial (for an item code, the carton it is packed in)."""
    item_serial: str | None = None
    """The item's serial, when the payload was an item code judged as its carton."""


class Ruling(BaseModel):
    """Why a read payload came out as it did: the error that kept it from being judged, or the
    rule that decided, the policy version it belongs to and its detail."""

    error: str | None = None
    rule: str | None = None
    policy_version: str | None = None
    detail: str | None = None
    cartons: int | None = None
    """For a pallet (SSCC): how many cartons the read covered."""


class _ScanVerdict(ReadCode):
    verdict: str | None = None
    region_code: str | None = None
    violation_id: int | None = None
    """The case this scan opened or joined: its diversion, else its price case."""
    price_violation_id: int | None = None
    """The price case (乱价) a price below the floor opened or joined against the seller."""
    findings: list[str] = Field(default_factory=list)


# Clients read the fields in the order they have always had: pydantic orders them base by base
# from the last base, so the code comes first, then the verdict, then the ruling.
class ScanResult(Ruling, _ScanVerdict):
    region_name: str | None = None
    """The name of the scan's region (`region_code`)."""
    reason: ScanReason | None = None


class ScanBatchOut(BaseModel):
    results: list[ScanResult]
