"""Custody hand-offs (出库 / 入库) on the wire."""

from __future__ import annotations

from pydantic import BaseModel, Field

from app.common.types import AwareDatetime, Code, Schema
from app.scans.schemas import ReadCode, Ruling


class CustodyItemIn(Schema):
    payload: str = Field(max_length=4096)
    """What the reader produced from a carton (or a pallet's SSCC): any form `/scans` accepts."""
    to_party_code: Code | None = None
    """Ship: the receiving sub-customer's or distributor's code. Receive (admin only): the
    party that scanned the goods in."""
    from_party_code: Code | None = None
    """Ship (admin only): the party shipping the goods."""
    at: AwareDatetime


class CustodyBatchIn(Schema):
    items: list[CustodyItemIn] = Field(min_length=1)


class _HandOffOutcome(ReadCode):
    outcome: str | None = None
    """accepted, warning or refused; absent when the item could not be judged (`error`)."""
    reason: str | None = None
    """A machine code whenever the outcome is not `accepted` (not_custodian, outside_territory,
    not_shipped_to_you, outside_supply_line, to_self, ...)."""
    violation_id: int | None = None


# One hand-off item's answer (an item code is handed off as its carton): the code first, then
# the outcome, then the ruling, as on the wire before (see ScanResult).
class CustodyResult(Ruling, _HandOffOutcome):
    pass


class CustodyBatchOut(BaseModel):
    results: list[CustodyResult]
