"""Credit score (信誉测评, SPEC §2.10) of a sub-customer or a distributor from the violations that
name it: each costs points by its status and size, halving with age; a score at or below the
policy threshold recommends revoking the authorized-dealer certificate. Pure function."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from rules.policy import Policy

COUNTED = {"confirmed": "confirmed", "open": "pending", "appealed": "pending"}


@dataclass(frozen=True)
class Breach:
    status: str
    """The violation's status: dismissed and reversed ones cost nothing."""
    detected_at: datetime
    cartons: int


@dataclass(frozen=True)
class CreditScore:
    score: int
    revocation_recommended: bool
    breaches: int
    """How many violations counted."""
    rule: str
    policy_version: str


def credit_score(breaches: Iterable[Breach], *, now: datetime, policy: Policy) -> CreditScore:
    rule = policy.credit
    cost = 0.0
    counted = 0
    for b in breaches:
        kind = COUNTED.get(b.status)
        if kind is None:
            continue
        counted += 1
        points = rule.confirmed_points if kind == "confirmed" else rule.pending_points
        points += rule.per_carton_points * max(b.cartons - 1, 0)
        age_days = max((now - b.detected_at).total_seconds() / 86_400, 0.0)
        cost += points * 0.5 ** (age_days / rule.half_life_days)
    score = max(0, round(rule.start_points - cost))
    recommended = counted > 0 and score <= rule.revocation_threshold
    return CreditScore(
        score=score,
        revocation_recommended=recommended,
        breaches=counted,
        rule="credit_decay",
        policy_version=policy.version,
    )
