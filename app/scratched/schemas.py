from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from app.common.types import Money
from app.scans.schemas import ScanResult


class ScratchedOut(BaseModel):
    id: int
    observed_at: datetime
    recorded_at: datetime
    recorded_by: str
    """The inspector's username."""
    recorded_by_name: str | None = None
    """The inspector as pages name them (王建国)."""
    region_code: str
    region_name: str
    checkpoint_code: str | None = None
    checkpoint_name: str | None = None
    lat: float | None = None
    lon: float | None = None
    product_gtin: str | None = None
    product_name: str | None = None
    carton_count: int
    observed_price: Money | None = None
    """Observed shelf price per unit (CNY)."""
    note: str | None = None
    photos: list[str]
    """SHA-256 of each evidence photo: `GET /api/v1/scans/photos/{sha256}`."""
    item_payload: str | None = None
    carton_serial: str | None = None
    """The carton the scanned item code is packed in: where the goods came from after all."""
    carton_region_code: str | None = None
    carton_region_name: str | None = None
    verdict: str | None = None
    """The item scan's verdict, judged as its carton (e.g. `diversion`)."""
    violation_id: int | None = None
    scan: ScanResult | None = None
    """The item scan's full result, in the answer to the request that recorded it."""


class ScratchedListOut(BaseModel):
    items: list[ScratchedOut]
