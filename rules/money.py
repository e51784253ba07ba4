"""What credited sales are worth (SPEC §2.14-§2.15): rebates and commissions from a tiered
schedule, what each violation changed in them, deposits paying fines, and the sanctions ladder.
Pure: integer fen in, integer fen out, with the rule and policy version of each decision."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from rules.policy import Policy, RateSchedule
from rules.vocab import SanctionStep

ZERO_RATE = Decimal("0")


def cny(amount_fen: int) -> str:
    """An amount in fen as the reasons print it: `600.00 CNY`."""
    return f"{Decimal(amount_fen) / 100:.2f} CNY"


def rate_for(amount_fen: int, tiers: RateSchedule) -> Decimal:
    """The rate of the highest tier the amount reaches; nothing is paid on nothing (or less)."""
    if amount_fen <= 0:
        return ZERO_RATE
    rate = ZERO_RATE
    for tier in tiers:
        if amount_fen >= tier.from_fen:
            rate = tier.rate
    return rate


def pay_fen(amount_fen: int, rate: Decimal) -> int:
    """amount × rate, rounded half up to the fen."""
    return int((Decimal(amount_fen) * rate).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def rebate_fen(amount_fen: int, tiers: RateSchedule) -> int:
    """What a period's credited sales earn under a schedule."""
    return pay_fen(amount_fen, rate_for(amount_fen, tiers))


def cut_fen(rebate: int, cut_pct: int) -> int:
    """The part of a rebate a rebate_cut sanction withholds (rounded half up to the fen)."""
    return pay_fen(rebate, Decimal(cut_pct) / 100)


@dataclass(frozen=True)
class Effect:
    """What one violation's transfer changed in one party's pay for the period."""

    violation_id: int
    credited_change_fen: int
    pay_change_fen: int
    """pay(with the transfer) − pay(without it): negative is what the diversion cost."""


def effects(amount_fen: int, transfers: Mapping[int, int], tiers: RateSchedule) -> list[Effect]:
    """For each violation whose transfer moved `transfers[id]` fen of this party's credited sales
    in the period (`amount_fen` includes them all): what it changed in the party's pay."""
    with_all = rebate_fen(amount_fen, tiers)
    return [
        Effect(vid, moved, with_all - rebate_fen(amount_fen - moved, tiers))
        for vid, moved in sorted(transfers.items())
        if moved
    ]


@dataclass(frozen=True)
class DepositSplit:
    """How a fine is paid: what the deposit covers, and what stays owed."""

    from_deposit_fen: int
    owed_fen: int
    rule: str
    reason: str


def fine_from_deposit(*, fine_fen: int, deposit_fen: int, policy: Policy) -> DepositSplit:
    """Take a fine from the deposit, never below zero; the shortfall stays owed."""
    if fine_fen < 0:
        raise ValueError("fine_fen must not be negative")
    if not policy.deposits.fines_from_deposit:
        return DepositSplit(0, fine_fen, "fines_not_from_deposit", "policy keeps deposits whole")
    covered = max(0, min(fine_fen, deposit_fen))
    owed = fine_fen - covered
    reason = f"{covered / 100:.2f} CNY from the deposit"
    if owed:
        reason += f"; {owed / 100:.2f} CNY the deposit cannot cover stays owed"
    return DepositSplit(covered, owed, "fine_from_deposit", reason)


@dataclass(frozen=True)
class SanctionDecision:
    step: SanctionStep | None
    offence_number: int
    rule: str
    policy_version: str
    reason: str


def sanction_for(*, offence_number: int, policy: Policy) -> SanctionDecision:
    """The ladder step of the n-th confirmed diversion within the window (the last repeats)."""
    if offence_number < 1:
        raise ValueError("offence_number starts at 1")
    ladder = policy.sanctions.ladder
    window = f"within {policy.sanctions.window_days} days"
    if not ladder:
        return SanctionDecision(
            None, offence_number, "no_ladder", policy.version, "policy sets no sanctions ladder"
        )
    step = ladder[min(offence_number, len(ladder)) - 1]
    return SanctionDecision(
        step,
        offence_number,
        "sanctions_ladder",
        policy.version,
        f"confirmed diversion {offence_number} {window}: {step.value}",
    )
