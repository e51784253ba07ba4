"""Report payloads: targets, plan completion, scorecards, dismissal recommendations."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, Field

from app.common.types import Money, Schema
from app.ledger.schemas import SignedMoney
from app.models import PartyType
from rules.policy import Indicator


class TargetIn(Schema):
    target: Money


class TargetOut(BaseModel):
    party_type: PartyType
    party_code: str
    period: str
    target: Money
    set_by: str
    set_at: datetime


class PlanCompletionOut(BaseModel):
    party_type: PartyType
    party_code: str
    period: str
    credited_sales: SignedMoney
    target: Money | None
    completion_pct: Decimal | None
    """credited_sales / target x 100, two decimals; None without a (non-zero) target."""


class TargetList(BaseModel):
    period: str
    items: list[TargetOut]


class PlanCompletionList(BaseModel):
    period: str
    items: list[PlanCompletionOut]


class GradesIn(Schema):
    grades: dict[Indicator, int] = Field(min_length=1)
    """Grades 1-5 of contract_completion, sales_share, sales_growth and profitability."""


class ScorecardOut(BaseModel):
    distributor_code: str
    period: str
    confirmed_diversions: int
    """Confirmed diversions with this distributor as the diverting party, detected in the period."""
    priced_inspections: int
    """Scans of its cartons in the period that recorded a shelf price."""
    price_violations: int
    """Of those, the ones below the price floor."""
    grades: dict[Indicator, int]
    entered_missing: list[Indicator]
    """Indicators not yet entered for the period: the score covers only the graded ones."""
    score_pct: int
    stars: int
    policy_version: str
    computed: list[Indicator] = Field(default_factory=list)
    """Indicators graded from the data this time (an entered grade counts only where the data
    cannot grade: no target, no sales a year before)."""
    plan_completion_pct: Decimal | None = None
    """Credited sales / the month's target (%), when a target is set."""
    sales_growth_pct: Decimal | None = None
    """Growth of credited sales against the same month last year (%), when there were sales."""
    fines_owed: Money = Decimal("0.00")
    """Fines the deposit did not cover, owed now; they cap the stars (`star_cap_rule`)."""
    star_cap_rule: str | None = None


class ScorecardList(BaseModel):
    period: str
    items: list[ScorecardOut]


class DismissalOut(BaseModel):
    salesperson_code: str
    confirmed_violations: int
    value: Money
    window_days: int
    recommended: bool
    reason: str
    policy_version: str
    agreement_on_file: bool = True
    """Without its own agreement a salesperson is never recommended: only the record."""
    rests_on: list[int] = Field(default_factory=list)
    """Ids of the confirmed violations a recommendation rests on (empty when none is made)."""
    rule: str = ""


class DismissalList(BaseModel):
    items: list[DismissalOut]
