"""Custody hand-offs (出库 / 入库) on the wire."""

from __future__ import annotations

from pydantic import BaseModel, Field

from app.common.types import AwareDatetime, Code, Schema


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


class CustodyResult(BaseModel):
    payload: str
    serial: str | None = None
    """The carton's serial (for an item code, the carton it is packed in)."""
    item_serial: str | None = None
    """The item's serial, when the payload was an item code handed off as its carton."""
    outcome: str | None = None
    """accepted, warning or refused; absent when the item could not be judged (`error`)."""
    reason: str | None = None
    """A machine code whenever the outcome is not `accepted` (not_custodian, outside_territory,
    not_shipped_to_you, outside_supply_line, to_self, ...)."""
    violation_id: int | None = None
    error: str | None = None
    rule: str | None = None
    policy_version: str | None = None
    detail: str | None = None
    cartons: int | None = None
    """For a pallet (SSCC): how many cartons the hand-off covered."""


class CustodyBatchOut(BaseModel):
    results: list[CustodyResult]
