from __future__ import annotations

from pydantic import BaseModel

from app.common.types import Money


class Flow(BaseModel):
    """Goods that moved from one region to another: `count` cases (violations or hand-offs),
    `cartons` cartons, `value` their value in CNY."""

    from_region_code: str
    to_region_code: str
    count: int
    cartons: int
    value: Money


class Sightings(BaseModel):
    """Public verifications placed in a region (the visitor shared a position or picked a city),
    and how many of them raised a consumer signal (suspected clone or diversion)."""

    region_code: str
    verifications: int
    signals: int


class FlowMap(BaseModel):
    period: str | None
    diversions: list[Flow]
    """From the diverting distributor's region to the region where its goods were found
    (dismissed and reversed violations left out)."""
    hand_offs: list[Flow]
    """Custody hand-offs whose shipper and receiver sit in different regions."""
    sightings: list[Sightings]
