"""A party's own flat fine under its own non-diversion agreement (SPEC §2.2): a diverting
salesperson's, a diverting sub-customer's, a selling sub-customer's in a price case. All three
decide alike: nothing in an advisory market, nothing without an agreement signed before the
offence, nothing when the policy sets no rate, else the rate per carton; each under its own
rule names. Pure."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from rules.money import cny
from rules.policy import Policy


@dataclass(frozen=True)
class OwnFine:
    """A fine in fen (0 when none), the rule that decided it and why."""

    amount_fen: int
    rule: str
    policy_version: str
    reason: str


@dataclass(frozen=True)
class OwnFineRules:
    """One kind of own fine: its rate in the policy, its rule names and the words for why not."""

    rate: Callable[[Policy], int]
    advisory: str
    no_agreement: str
    no_agreement_reason: str
    none_in_policy: str
    none_in_policy_reason: str
    schedule: str


class OwnFineRule(Protocol):
    def __call__(
        self,
        *,
        cartons: int,
        agreement_signed_at: datetime | None,
        violated_at: datetime,
        advisory: bool,
        policy: Policy,
    ) -> OwnFine: ...


def agreed(signed_at: datetime | None, violated_at: datetime) -> bool:
    """Whether an agreement was on file when the offence happened."""
    return signed_at is not None and signed_at <= violated_at


def own_fine_rule(rules: OwnFineRules) -> OwnFineRule:
    """The pure rule deciding one kind of own fine."""

    def decide(
        *,
        cartons: int,
        agreement_signed_at: datetime | None,
        violated_at: datetime,
        advisory: bool,
        policy: Policy,
    ) -> OwnFine:
        if cartons < 1:
            raise ValueError("cartons must be >= 1")

        def fine(amount: int, rule: str, reason: str) -> OwnFine:
            return OwnFine(amount, rule, policy.version, reason)

        if advisory:
            return fine(0, rules.advisory, "advisory market: no fine imposed")
        if not agreed(agreement_signed_at, violated_at):
            return fine(0, rules.no_agreement, rules.no_agreement_reason)
        per_carton = rules.rate(policy)
        if per_carton == 0:
            return fine(0, rules.none_in_policy, rules.none_in_policy_reason)
        amount = per_carton * cartons
        return fine(
            amount, rules.schedule, f"{cartons} carton(s) x {cny(per_carton)} = {cny(amount)}"
        )

    return decide
