from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, model_validator

from app.common.types import AwareDatetime, Code, Money, Schema


class WaybillIn(Schema):
    number: Code
    vehicle_plate: str = Field(min_length=2, max_length=20)
    driver: str | None = Field(default=None, max_length=80)
    dispatched_at: AwareDatetime
    expected_arrival: AwareDatetime
    destination_distributor_code: Code
    route_region_codes: list[Code] = Field(min_length=1, max_length=50)
    """The regions the vehicle passes through, in order; the destination's region included."""
    issuer: str = Field(min_length=1, max_length=80)
    salesperson_code: Code
    carton_payloads: list[str] = Field(default_factory=list, max_length=20_000)
    """Each carton as a reader produced it (any accepted form) or a bare serial."""
    pallet_ssccs: list[str] = Field(default_factory=list, max_length=1_000)

    @model_validator(mode="after")
    def _sane(self) -> WaybillIn:
        if self.expected_arrival <= self.dispatched_at:
            raise ValueError("expected_arrival must be after dispatched_at")
        if not self.carton_payloads and not self.pallet_ssccs:
            raise ValueError("a waybill carries at least one carton or pallet")
        if len(set(self.route_region_codes)) != len(self.route_region_codes):
            raise ValueError("a region appears twice on the route")
        return self


class WaybillWarning(BaseModel):
    """A carton coded for a region outside the destination distributor's territory (预警)."""

    payload: str
    """The item as the waybill listed it (a carton's payload or serial, or a pallet's SSCC)."""
    serial: str
    reason: str
    """The rule that warned: coded_outside_territory or destination_without_territory."""
    carton_region_code: str
    destination_territory: list[str]
    detail: str


class WaybillCheckOut(BaseModel):
    warnings: list[WaybillWarning]


class WaybillOut(BaseModel):
    number: str
    vehicle_plate: str
    driver: str | None
    dispatched_at: datetime
    expected_arrival: datetime
    destination_distributor_code: str
    route_region_codes: list[str]
    issuer: str
    salesperson_code: str
    status: str
    delivered_at: datetime | None
    cartons: int
    value: Money
    carton_serials: list[str] | None = None
    notified_users: int | None = None
    warnings: list[WaybillWarning] | None = None
    """On issue only: cartons coded outside the destination's territory (issued all the same)."""


class NotificationOut(BaseModel):
    id: int
    kind: str
    subject: str
    data: dict[str, Any]
    created_at: datetime
    read_at: datetime | None


class InspectionIn(Schema):
    """What a checkpoint sends after scanning a printed waybill's QR and reading the plate."""

    qr: str = Field(min_length=1, max_length=2000)
    """The QR's content as the reader produced it (the signed link)."""
    vehicle_plate: str = Field(min_length=1, max_length=20)
    """The plate on the truck in front of the inspector."""
    checkpoint_code: Code | None = None
    at: AwareDatetime | None = None
    """When the truck was stopped; now if not given (an offline phone sends it later)."""


class RegionRef(BaseModel):
    code: str
    name: str


class InspectionOut(BaseModel):
    number: str
    status: str
    verdict: str
    """`ok`, or the worst finding: `waybill_not_active`, `plate_mismatch`, `off_route`,
    `outside_window`."""
    findings: list[str]
    plate_matches: bool
    within_window: bool
    on_route: bool | None
    vehicle_plate: str
    """The plate the waybill names."""
    seen_plate: str
    vehicle_registered: bool
    driver: str | None
    dispatched_at: datetime
    expected_arrival: datetime
    route: list[RegionRef]
    destination_distributor_code: str
    destination_distributor_name: str
    cartons: int
    carton_serials: list[str]
