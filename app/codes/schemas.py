from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from app.common.types import Code, CursorPage, Schema
from app.products.schemas import GtinStr
from rules.vocab import CodeLevel


class CodeBatchIn(Schema):
    gtin: GtinStr
    region_code: Code
    quantity: int = Field(ge=1, le=1_000_000)
    level: CodeLevel = CodeLevel.CARTON
    """`carton`, or `item`: bottle, cap or box codes of the same product, packed into cartons
    with `POST /cartons/{serial}/items`."""


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
    status: str = "complete"
    """`issuing` while a large batch is stored chunk by chunk, then `complete`; `failed` if
    issuing stopped (resume it with `channelguard codes resume ID`)."""
    issued: int = 0
    """Codes stored so far, of `quantity`."""
    completed_at: datetime | None = None
    level: str = "carton"
    """`carton` or `item`."""
    codes: list[IssuedCode] | None = None
    """Inline for batches of up to 1,000; every batch lists them at …/codes and …/codes.csv."""


class CodePage(CursorPage[IssuedCode]):
    next_after: str | None
    """The same as `next`, under the name earlier clients read."""


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


class CustodianOut(BaseModel):
    party_type: str
    """`distributor` or `sub_customer`."""
    party_code: str


class CustodyEventOut(BaseModel):
    kind: str
    """deliver, ship or receive."""
    from_party_code: str | None
    """None for a delivery: the goods came from the company."""
    to_party_code: str
    at: datetime
    outcome: str
    reason: str | None = None
    violation_id: int | None = None


class PlaceOut(BaseModel):
    lat: float | None = None
    lon: float | None = None
    """Rounded to about 1 km, only when the visitor shared a position."""
    city_code: str | None = None
    """The region the visitor picked instead."""
    region_code: str | None = None
    """The region the place lies in, when known."""


class PublicVerificationOut(BaseModel):
    at: datetime
    item_serial: str | None = None
    """The item verified, or None for the carton's own code."""
    place: PlaceOut | None = None


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
    custodian: CustodianOut | None = None
    """Its custodian of record now; None before a waybill delivered it."""
    custody: list[CustodyEventOut] = []
    """Every hand-off (delivery, shipments, receipts) in time order."""
    public_verifications: list[PublicVerificationOut] = []
    """Verifications on the public page of the carton's code and its items', in time order."""


class PackIn(Schema):
    payloads: list[str] = Field(min_length=1, max_length=10_000)
    """What the packing line's reader produced from each item (any accepted form), or bare
    item serials."""


class PackOut(BaseModel):
    serial: str
    """The carton's."""
    packed: int
    """Items newly packed by this call (0 when it repeats an earlier one)."""
    item_serials: list[str]
    """Every item now in the carton."""
