"""What a diverting salesperson bears itself (SPEC §2.2): like a distributor, only under its own
non-diversion agreement. Without one the violations are recorded and the transfer still moves
its credited sales, but there is no fine and no dismissal recommendation (就地免职). Pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from rules.agreements import OwnFine, OwnFineRules, agreed, own_fine_rule
from rules.policy import Policy

SalespersonFine = OwnFine

SALESPERSON_FINE = OwnFineRules(
    rate=lambda p: p.salespeople.fine_per_carton_fen,
    advisory="salesperson_fine.advisory_market",
    no_agreement="salesperson_fine.no_agreement",
    no_agreement_reason="the salesperson signed no agreement before the diversion: recorded only",
    none_in_policy="salesperson_fine.none_in_policy",
    none_in_policy_reason="the policy fines no salesperson",
    schedule="salesperson_fine.schedule",
)


salesperson_fine = own_fine_rule(SALESPERSON_FINE)
"""The diverting salesperson's own fine for a confirmed diversion."""


@dataclass(frozen=True)
class Offence:
    """A confirmed diversion the salesperson is the diverting side of."""

    violation_id: int
    detected_at: datetime
    value_fen: int


@dataclass(frozen=True)
class Dismissal:
    recommended: bool
    rests_on: tuple[int, ...]
    """The confirmed violations the recommendation counts (all of them when it is made)."""
    confirmed_violations: int
    value_fen: int
    rule: str
    policy_version: str
    reason: str


def dismissal(
    *,
    offences: Sequence[Offence],
    agreement_signed_at: datetime | None,
    now: datetime,
    policy: Policy,
) -> Dismissal:
    """Whether to recommend removing a salesperson from the post, and on which violations.
    Only diversions within the window and after the agreement was signed count: the agreement
    is the basis for punishing."""
    rule = policy.dismissal
    window = f"within {rule.window_days} days (policy {policy.version})"
    in_window = sorted(
        (o for o in offences if (now - o.detected_at).days < rule.window_days),
        key=lambda o: (o.detected_at, o.violation_id),
    )
    counted = [o for o in in_window if agreed(agreement_signed_at, o.detected_at)]
    ids = tuple(o.violation_id for o in counted)
    n, value = len(counted), sum(o.value_fen for o in counted)

    def decide(recommended: bool, name: str, reason: str) -> Dismissal:
        return Dismissal(recommended, ids, n, value, name, policy.version, reason)

    if agreement_signed_at is None:
        return decide(
            False,
            "dismissal.no_agreement",
            f"no agreement on file: {len(in_window)} confirmed diversion(s) {window} recorded only",
        )
    if n >= rule.confirmed_violations:
        return decide(
            True,
            "dismissal.count_threshold",
            f"{n} confirmed diversions {window} reach the threshold of "
            f"{rule.confirmed_violations}: violations {', '.join(map(str, ids))}",
        )
    if value >= rule.value_fen:
        return decide(
            True,
            "dismissal.value_threshold",
            f"{value / 100:.2f} CNY diverted {window} reaches the threshold of "
            f"{rule.value_fen / 100:.2f} CNY: violations {', '.join(map(str, ids))}",
        )
    return decide(
        False,
        "dismissal.below_thresholds",
        f"{n} confirmed diversions and {value / 100:.2f} CNY {window} are below the thresholds",
    )
