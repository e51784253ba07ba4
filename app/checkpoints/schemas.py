from __future__ import annotations

from datetime import datetime

from pydantic import Field, model_validator

from app.common.types import Code, CodedIn, CodedOut, Name, Schema


class _Position(Schema):
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)

    @model_validator(mode="after")
    def _both_or_neither(self) -> _Position:
        if (self.lat is None) != (self.lon is None):
            raise ValueError("give both lat and lon, or neither")
        return self


# The position comes first on the wire, as it always has: pydantic orders fields base by base
# from the last base, so _Position is named after CodedIn.
class CheckpointIn(CodedIn, _Position):
    region_code: Code


class CheckpointPatch(_Position):
    name: Name | None = None
    region_code: Code | None = None


class CheckpointOut(CodedOut):
    region_code: str
    lat: float | None
    lon: float | None
    created_at: datetime
