"""The public verify page's place report, and HQ's list of consumer signals."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field, model_validator

from app.common.types import Code, Latitude, Longitude, Schema, check_position


class PlaceIn(Schema):
    sighting: int = Field(ge=1)
    token: str = Field(max_length=64)
    lat: Latitude | None = None
    lon: Longitude | None = None
    """The browser's position; stored rounded to 2 decimals (about 1 km)."""
    city: Code | None = None
    """Instead of a position: the code of a city from the page's picker."""

    @model_validator(mode="after")
    def _one_place(self) -> PlaceIn:
        check_position(self.lat, self.lon)
        if (self.lat is None) == (self.city is None):
            raise ValueError("give lat and lon, or city")
        return self


class PlaceResult(BaseModel):
    lat: float
    lon: float
    region_name: str | None


class SignalOut(BaseModel):
    id: int
    kind: str
    """`clone_suspected` or `out_of_region` (suspected diversion): weak signals, not verdicts."""
    serial: str | None
    """The carton's (for an item, the carton it was packed in when verified)."""
    item_serial: str | None
    code_region_code: str
    place_region_code: str | None
    lat: float | None
    lon: float | None
    at: datetime
    rule: str
    policy_version: str
    detail: str
