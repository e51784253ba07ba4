"""A salesperson's own fine and the dismissal recommendation need its own agreement."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rules.policy import Policy
from rules.salespeople import Offence, dismissal, salesperson_fine
from tests.rules.conftest import fine_facts

NOW = datetime(2026, 12, 20, 10, tzinfo=UTC)
SIGNED = NOW - timedelta(days=400)


def offences(*days_ago: int, value: int = 4800) -> list[Offence]:
    return [Offence(100 + i, NOW - timedelta(days=d), value) for i, d in enumerate(days_ago)]


def test_fine_only_under_the_salespersons_agreement(policy: Policy) -> None:
    def fine(signed: datetime | None, advisory: bool = False) -> tuple[int, str]:
        f = salesperson_fine(**fine_facts(policy, at=NOW, signed=signed, advisory=advisory))
        return f.amount_fen, f.rule

    assert fine(SIGNED) == (2000, "salesperson_fine.schedule")
    assert fine(None) == (0, "salesperson_fine.no_agreement")
    assert fine(NOW + timedelta(hours=1)) == (0, "salesperson_fine.no_agreement")
    assert fine(SIGNED, advisory=True) == (0, "salesperson_fine.advisory_market")


def test_recommendation_names_the_violations_it_rests_on(policy: Policy) -> None:
    d = dismissal(offences=offences(30, 10, 20), agreement_signed_at=SIGNED, now=NOW, policy=policy)
    assert d.recommended and d.rule == "dismissal.count_threshold"
    assert d.rests_on == (100, 102, 101)  # oldest first
    assert "100, 102, 101" in d.reason and d.policy_version == policy.version


def test_no_agreement_no_recommendation(policy: Policy) -> None:
    d = dismissal(offences=offences(1, 2, 3, 4), agreement_signed_at=None, now=NOW, policy=policy)
    assert not d.recommended and d.rule == "dismissal.no_agreement"
    assert "4 confirmed diversion(s)" in d.reason and "recorded only" in d.reason


def test_only_diversions_after_signing_and_inside_the_window_count(policy: Policy) -> None:
    signed = NOW - timedelta(days=15)
    d = dismissal(
        offences=offences(30, 20, 10, 5), agreement_signed_at=signed, now=NOW, policy=policy
    )
    assert not d.recommended and d.confirmed_violations == 2 and d.rests_on == (102, 103)
    window = policy.dismissal.window_days
    d = dismissal(
        offences=offences(window, window + 1, 1), agreement_signed_at=SIGNED, now=NOW, policy=policy
    )
    assert d.confirmed_violations == 1 and d.rule == "dismissal.below_thresholds"


def test_value_threshold(policy: Policy) -> None:
    big = policy.dismissal.value_fen
    d = dismissal(
        offences=offences(3, value=big), agreement_signed_at=SIGNED, now=NOW, policy=policy
    )
    assert d.recommended and d.rule == "dismissal.value_threshold" and d.rests_on == (100,)
