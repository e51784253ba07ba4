"""Penalty rules: value transfers, fines, appeal and auto-confirm windows, dismissal."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from rules.policy import NoInvadedDistributor, Policy, SalespersonSide
from rules.vocab import PartyType, RegionKind

SYSTEM_UNASSIGNED = "unassigned"
"""Company system account balancing whatever the policy assigns to no party."""
SYSTEM_COMPANY = "company"
"""Company system account taking the salesperson side when the policy says `company`."""


class LegRole(StrEnum):
    """Why a leg is in a transfer, for statements that show each line's cause."""

    DIVERTING_DISTRIBUTOR = "diverting_distributor"
    DIVERTING_SALESPERSON = "diverting_salesperson"
    INVADED_DISTRIBUTOR = "invaded_distributor"
    INVADED_SALESPERSON_SIDE = "invaded_salesperson_side"


@dataclass(frozen=True)
class Leg:
    """One posting of a transfer; negative lowers the party's credited sales."""

    party_type: PartyType
    party_code: str
    amount_fen: int
    role: LegRole


@dataclass(frozen=True)
class TransferPlan:
    """The legs of a diversion's value transfer (sum zero), or none with the reason."""

    legs: tuple[Leg, ...]
    value_fen: int
    rule: str
    policy_version: str
    reason: str


@dataclass(frozen=True)
class FineDecision:
    """A fine in fen (0 when none), with why."""

    amount_fen: int
    offence_number: int
    multiplier: Decimal
    rule: str
    policy_version: str
    reason: str


def advisory_market(region_path: Sequence[str], policy: Policy) -> bool:
    """Whether a region (given with its ancestors) lies in a market where penalties are advisory."""
    return any(code in policy.markets.advisory_region_codes for code in region_path)


def _fen(amount: int) -> str:
    return f"{Decimal(amount) / 100:.2f} CNY"


def transfer_plan(
    *,
    carton_value_fen: int,
    cartons: int,
    diverting_distributor: str,
    diverting_salesperson: str,
    invaded_distributor: str | None,
    invaded_salesperson: str | None,
    advisory: bool,
    policy: Policy,
) -> TransferPlan:
    """Plan the SPEC §2.3 transfer: the diverting side loses the value, the invaded side gains."""
    if carton_value_fen < 0 or cartons < 1:
        raise ValueError("carton_value_fen must be >= 0 and cartons >= 1")
    value = carton_value_fen * cartons

    def plan(rule: str, reason: str, legs: tuple[Leg, ...] = ()) -> TransferPlan:
        return TransferPlan(legs, value, rule, policy.version, reason)

    if advisory:
        return plan("advisory_market", "advisory market: transfer recorded, not posted")
    if value == 0:
        return plan("zero_value", "carton value is zero: nothing to transfer")
    if invaded_distributor is None and (
        policy.transfer.no_invaded_distributor is NoInvadedDistributor.SKIP
    ):
        return plan("no_invaded_distributor", "no invaded distributor: policy posts no transfer")

    notes: list[str] = []
    legs = [
        Leg(PartyType.DISTRIBUTOR, diverting_distributor, -value, LegRole.DIVERTING_DISTRIBUTOR),
        Leg(PartyType.SALESPERSON, diverting_salesperson, -value, LegRole.DIVERTING_SALESPERSON),
    ]
    if invaded_distributor is None:
        gainer = (PartyType.SYSTEM, SYSTEM_UNASSIGNED)
        notes.append(f"no invaded distributor: credited to system account {SYSTEM_UNASSIGNED}")
    else:
        gainer = (PartyType.DISTRIBUTOR, invaded_distributor)
    legs.append(Leg(*gainer, value, LegRole.INVADED_DISTRIBUTOR))

    side = policy.transfer.salesperson_side
    if side is SalespersonSide.INVADED_REGION_SALESPERSON and invaded_salesperson is not None:
        receiver = (PartyType.SALESPERSON, invaded_salesperson)
    elif side is SalespersonSide.COMPANY:
        receiver = (PartyType.SYSTEM, SYSTEM_COMPANY)
        notes.append(f"salesperson side to system account {SYSTEM_COMPANY}")
    else:
        receiver = (PartyType.SYSTEM, SYSTEM_UNASSIGNED)
        why = "policy credits no salesperson"
        if side is SalespersonSide.INVADED_REGION_SALESPERSON:
            why = "invaded region has no salesperson"
        notes.append(f"{why}: salesperson side to system account {SYSTEM_UNASSIGNED}")
    legs.append(Leg(*receiver, value, LegRole.INVADED_SALESPERSON_SIDE))

    reason = f"{cartons} carton(s) x {_fen(carton_value_fen)} = {_fen(value)} moved"
    return plan("value_transfer", "; ".join([reason, *notes]), tuple(legs))


def _multiplier(offence_number: int, policy: Policy) -> Decimal:
    multiplier = Decimal(1)
    for step in policy.fines.repeat_multipliers:
        if offence_number >= step.from_offence:
            multiplier = step.multiplier
    return multiplier


def fine_for(
    *,
    region_kind: RegionKind | str,
    cartons: int,
    prior_confirmed_in_lookback: int,
    agreement_signed_at: datetime | None,
    violated_at: datetime,
    advisory: bool,
    policy: Policy,
) -> FineDecision:
    """The fine for a confirmed diversion; none without a signed agreement (SPEC §2.2)."""
    if cartons < 1 or prior_confirmed_in_lookback < 0:
        raise ValueError("cartons must be >= 1 and prior_confirmed_in_lookback >= 0")
    offence = prior_confirmed_in_lookback + 1
    multiplier = _multiplier(offence, policy)

    def decision(amount: int, rule: str, reason: str) -> FineDecision:
        return FineDecision(amount, offence, multiplier, rule, policy.version, reason)

    if advisory:
        return decision(0, "advisory_market", "advisory market: no fine imposed")
    if agreement_signed_at is None:
        return decision(0, "no_agreement", "no signed agreement on file")
    if agreement_signed_at > violated_at:
        return decision(0, "no_agreement", "agreement signed after the diversion")

    per_carton = policy.fines.per_carton_fen[RegionKind(region_kind)]
    amount = int(
        (Decimal(per_carton * cartons) * multiplier).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    )
    reason = f"{cartons} carton(s) x {_fen(per_carton)} ({RegionKind(region_kind).value})"
    if multiplier != 1:
        reason += f" x {multiplier} (offence {offence} within {policy.fines.lookback_days} days)"
    return decision(amount, "fine_schedule", f"{reason} = {_fen(amount)}")


def appeal_allowed(*, opened_at: datetime, now: datetime, policy: Policy) -> bool:
    """Whether the diverting distributor may still appeal."""
    return now < opened_at + timedelta(days=policy.violations.appeal_window_days)


def auto_confirm_due(*, opened_at: datetime, appealed: bool, now: datetime, policy: Policy) -> bool:
    """Whether an open violation confirms itself now: unappealed and past the window."""
    rule = policy.violations.auto_confirm
    if not rule.enabled or appealed:
        return False  # an appeal always waits for HQ
    return now >= opened_at + timedelta(days=rule.after_days)


def dismissal_recommended(
    *, confirmed_violations_in_window: int, value_fen: int, policy: Policy
) -> tuple[bool, str]:
    """Whether to recommend removing a salesperson (就地免职), with the reason."""
    rule = policy.dismissal
    window = f"within {rule.window_days} days (policy {policy.version})"
    if confirmed_violations_in_window >= rule.confirmed_violations:
        return True, (
            f"{confirmed_violations_in_window} confirmed diversions {window} reach the "
            f"threshold of {rule.confirmed_violations}"
        )
    if value_fen >= rule.value_fen:
        return True, (
            f"{_fen(value_fen)} diverted {window} reaches the threshold of {_fen(rule.value_fen)}"
        )
    return False, (
        f"{confirmed_violations_in_window} confirmed diversions and {_fen(value_fen)} {window} "
        "are below the thresholds"
    )
