from __future__ import annotations

from datetime import datetime

from pydantic import model_validator

from app.common.types import (
    Code,
    CodedIn,
    CodedOut,
    Latitude,
    Longitude,
    Name,
    Schema,
    check_position,
)


class _Position(Schema):
    lat: Latitude | None = None
    lon: Longitude | None = None

    @model_validator(mode="after")
    def _both_or_neither(self) -> _Position:
        check_position(self.lat, self.lon)
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
