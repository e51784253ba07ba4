from __future__ import annotations

from datetime import datetime

from pydantic import Field, model_validator

from app.common.types import Code, Out, Schema


class _Position(Schema):
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)

    @model_validator(mode="after")
    def _both_or_neither(self) -> _Position:
        if (self.lat is None) != (self.lon is None):
            raise ValueError("give both lat and lon, or neither")
        return self


class CheckpointIn(_Position):
    code: Code
    name: str = Field(min_length=1, max_length=200)
    region_code: Code


class CheckpointPatch(_Position):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    region_code: Code | None = None


class CheckpointOut(Out):
    code: str
    name: str
    region_code: str
    lat: float | None
    lon: float | None
    created_at: datetime
