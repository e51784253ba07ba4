"""Violations on the wire: list rows, the detail with its history and evidence, and actions."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from app.common.types import Money, Schema
from app.ledger.schemas import PostingOut
from app.models import SanctionStep, ViolationKind, ViolationStatus


class ViolationOut(BaseModel):
    id: int
    kind: ViolationKind
    status: ViolationStatus
    carton_serials: list[str]
    cartons: int
    diverting_distributor_code: str | None
    diverting_salesperson_code: str | None
    diverting_sub_customer_code: str | None
    """The sub-customer that held the goods last (null when a distributor did); its
    distributor (`diverting_distributor_code`) answers jointly and may appeal for it."""
    blame_rule: str | None
    """The rule that named the diverting parties (policy `policy_version`)."""
    invaded_distributor_code: str | None
    invaded_salesperson_code: str | None
    region_code: str
    value: Money
    detected_at: datetime
    opened_at: datetime
    appeal_deadline: datetime
    """The diverting distributor may appeal until then (policy in force now)."""
    policy_version: str
    advisory: bool
    fine: Money | None
    """"0.00" until a confirmation fines it (and where no fine applies); null for parties it
    does not concern (the invaded side)."""
    fine_reason: str | None
    sub_customer_fine: Money | None
    """The diverting sub-customer's own fine, set on confirmation (0.00 where none applies)."""
    sub_customer_fine_reason: str | None
    salesperson_fine: Money | None = None
    """The diverting salesperson's own fine (0.00 without its agreement on file), for staff and
    the salesperson itself; null for everyone else."""
    salesperson_fine_reason: str | None = None


class ViolationEventOut(BaseModel):
    from_status: str | None
    to_status: str
    actor: str
    actor_name: str | None = None
    """The name pages show for the actor (their own, else their party's); null for a process."""
    note: str | None
    evidence: str | None
    at: datetime


class EvidenceScanOut(BaseModel):
    """A scan that found this violation's goods."""

    id: int
    scanned_at: datetime
    payload: str
    serial: str | None
    verdict: str
    findings: list[str]
    checkpoint_code: str | None
    region_code: str | None
    lat: float | None
    lon: float | None
    observed_price: Money | None
    photo_sha256: str | None
    device_id: str | None


class SanctionOut(BaseModel):
    """A step of the sanctions ladder, with the rule and the violations it rests on."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    distributor_code: str
    violation_id: int
    step: SanctionStep
    offence_number: int
    rests_on: list[int]
    period: str
    rule: str
    policy_version: str
    reason: str
    actor: str
    decided_at: datetime
    withdrawn_at: datetime | None
    lifted_at: datetime | None
    lifted_by: str | None
    in_force: bool
    """Not withdrawn (by a reversal) and, for a supply stop, not lifted."""


class ViolationDetail(ViolationOut):
    sanctions: list[SanctionOut]
    """The ladder step this confirmation took (for parties who may see the fine)."""
    events: list[ViolationEventOut]
    evidence: list[EvidenceScanOut]
    postings: list[PostingOut]
    """Ledger entries of the transfer, the fine and their reversals (the caller's lines only)."""


class ViolationList(BaseModel):
    items: list[ViolationOut]
    total: int
    limit: int
    offset: int


class AppealIn(Schema):
    reason: str = Field(min_length=1, max_length=2000)
    evidence: str | None = Field(default=None, max_length=4000)
    """Free text: a delivery note number, a link, a photo hash."""


class Ruling(StrEnum):
    """What HQ rules on an open or appealed violation."""

    confirm = "confirm"
    dismiss = "dismiss"


class DecideIn(Schema):
    decision: Ruling
    note: str = Field(default="", max_length=2000)


class ReverseIn(Schema):
    note: str = Field(default="", max_length=2000)


class AutoConfirmOut(BaseModel):
    confirmed: list[int]
