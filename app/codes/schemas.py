from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from app.common.types import Code, Schema
from app.products.schemas import GtinStr


class CodeBatchIn(Schema):
    gtin: GtinStr
    region_code: Code
    quantity: int = Field(ge=1, le=1_000_000)


class IssuedCode(BaseModel):
    serial: str
    payload: str
    """Exactly what to put into the QR code: the GS1 Digital Link URI."""
    element_string: str


class CodeBatchOut(BaseModel):
    id: int
    gtin: str
    region_code: str
    quantity: int
    key_id: str
    created_at: datetime
    created_by: str
    codes: list[IssuedCode] | None = None
    """Inline for batches of up to 1,000; every batch lists them at …/codes and …/codes.csv."""


class CodePage(BaseModel):
    items: list[IssuedCode]
    next_after: str | None
    """Pass as `after` to get the next page; null on the last page."""


class VoidIn(Schema):
    reason: str = Field(min_length=1, max_length=200)


class PalletIn(Schema):
    sscc: str | None = Field(default=None, pattern=r"^[0-9]{18}$")
    """Leave out to have one generated under the company prefix."""
    carton_payloads: list[str] = Field(min_length=1, max_length=10_000)
    """What a reader produced from each carton (any accepted form), or bare serials."""


class PalletOut(BaseModel):
    sscc: str
    element_string: str
    carton_serials: list[str]


class CartonScanOut(BaseModel):
    scanned_at: datetime
    region_code: str | None
    checkpoint_code: str | None
    verdict: str
    rule: str
    findings: list[str]
    lat: float | None
    lon: float | None
    violation_id: int | None
    source: str
    photo_sha256: str | None = None
    """Evidence photo, at /api/v1/scans/photos/{sha256}."""


class CartonWaybillOut(BaseModel):
    number: str
    status: str
    destination_distributor_code: str
    dispatched_at: datetime
    expected_arrival: datetime


class CartonOut(BaseModel):
    serial: str
    gtin: str
    product_name: str
    batch_id: int
    region_code: str
    status: str
    void_reason: str | None
    pallet_sscc: str | None
    distributor_code: str | None
    territory_region_codes: list[str]
    element_string: str
    waybills: list[CartonWaybillOut]
    scans: list[CartonScanOut]
