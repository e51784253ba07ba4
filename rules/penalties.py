"""Penalty rules: fines, appeal and auto-confirm windows, dismissal. What a diversion moves on
the ledger is `rules.transfers`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from rules.money import cny
from rules.policy import Policy
from rules.vocab import RegionKind


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


def repeat_multiplier(offence_number: int, policy: Policy) -> Decimal:
    """What the n-th offence within the lookback multiplies its fine by."""
    multiplier = Decimal(1)
    for step in policy.fines.repeat_multipliers:
        if offence_number >= step.from_offence:
            multiplier = step.multiplier
    return multiplier


def multiplied(amount_fen: int, multiplier: Decimal) -> int:
    """A fine times its repeat multiplier, to the whole fen (half up)."""
    return int((Decimal(amount_fen) * multiplier).quantize(Decimal(1), rounding=ROUND_HALF_UP))


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
    multiplier = repeat_multiplier(offence, policy)

    def decision(amount: int, rule: str, reason: str) -> FineDecision:
        return FineDecision(amount, offence, multiplier, rule, policy.version, reason)

    if advisory:
        return decision(0, "advisory_market", "advisory market: no fine imposed")
    if agreement_signed_at is None:
        return decision(0, "no_agreement", "no signed agreement on file")
    if agreement_signed_at > violated_at:
        return decision(0, "no_agreement", "agreement signed after the diversion")

    per_carton = policy.fines.per_carton_fen[RegionKind(region_kind)]
    amount = multiplied(per_carton * cartons, multiplier)
    reason = f"{cartons} carton(s) x {cny(per_carton)} ({RegionKind(region_kind).value})"
    if multiplier != 1:
        reason += f" x {multiplier} (offence {offence} within {policy.fines.lookback_days} days)"
    return decision(amount, "fine_schedule", f"{reason} = {cny(amount)}")


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
            f"{cny(value_fen)} diverted {window} reaches the threshold of {cny(rule.value_fen)}"
        )
    return False, (
        f"{confirmed_violations_in_window} confirmed diversions and {cny(value_fen)} {window} "
        "are below the thresholds"
    )
