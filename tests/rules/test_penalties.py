"""Transfers, fines, appeal and auto-confirm windows, dismissal recommendations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rules.penalties import (
    advisory_market,
    appeal_allowed,
    auto_confirm_due,
    dismissal_recommended,
    fine_for,
)
from rules.policy import Policy
from rules.transfers import (
    SYSTEM_COMPANY,
    SYSTEM_UNASSIGNED,
    Leg,
    LegRole,
    TransferPlan,
    transfer_plan,
)
from rules.vocab import PartyType
from tests.rules.conftest import PolicyFactory, fine_facts, policy_variant

T0 = datetime(2026, 11, 10, 8, 0, tzinfo=UTC)
SIGNED = T0 - timedelta(days=100)


def plan(policy: Policy, **changes: object) -> TransferPlan:
    args: dict[str, object] = {
        "carton_value_fen": 12_000,
        "cartons": 5,
        "diverting_distributor": "D-SD",
        "diverting_salesperson": "S-SD",
        "invaded_distributor": "D-BJ",
        "invaded_salesperson": "S-BJ",
        "advisory": False,
        "policy": policy,
    }
    args.update(changes)
    return transfer_plan(**args)  # type: ignore[arg-type]


def test_default_transfer_moves_the_value_to_the_invaded_region(policy: Policy) -> None:
    result = plan(policy)
    assert result.legs == (
        Leg(PartyType.DISTRIBUTOR, "D-SD", -60_000, LegRole.DIVERTING_DISTRIBUTOR),
        Leg(PartyType.SALESPERSON, "S-SD", -60_000, LegRole.DIVERTING_SALESPERSON),
        Leg(PartyType.DISTRIBUTOR, "D-BJ", 60_000, LegRole.INVADED_DISTRIBUTOR),
        Leg(PartyType.SALESPERSON, "S-BJ", 60_000, LegRole.INVADED_SALESPERSON_SIDE),
    )
    assert result.value_fen == 60_000
    assert (result.rule, result.policy_version) == ("value_transfer", policy.version)
    assert "600.00 CNY" in result.reason


def test_company_takes_the_salesperson_side(make_policy: PolicyFactory) -> None:
    legs = plan(make_policy(transfer={"salesperson_side": "company"})).legs
    assert legs[-1] == Leg(
        PartyType.SYSTEM, SYSTEM_COMPANY, 60_000, LegRole.INVADED_SALESPERSON_SIDE
    )
    assert sum(leg.amount_fen for leg in legs) == 0


def test_no_salesperson_credited_balances_through_unassigned(make_policy: PolicyFactory) -> None:
    legs = plan(make_policy(transfer={"salesperson_side": "none"})).legs
    assert [leg.party_code for leg in legs if leg.amount_fen > 0] == ["D-BJ", SYSTEM_UNASSIGNED]
    assert not any(leg.party_code == "S-BJ" for leg in legs)


def test_invaded_region_without_salesperson(policy: Policy) -> None:
    legs = plan(policy, invaded_salesperson=None).legs
    assert legs[-1].party_type is PartyType.SYSTEM
    assert legs[-1].party_code == SYSTEM_UNASSIGNED


def test_guerrilla_zone_without_distributor_still_deducts(make_policy: PolicyFactory) -> None:
    policy = make_policy(transfer={"no_invaded_distributor": "credit_unassigned"})
    legs = plan(policy, invaded_distributor=None).legs
    assert legs[0].amount_fen == legs[1].amount_fen == -60_000
    assert legs[2] == Leg(PartyType.SYSTEM, SYSTEM_UNASSIGNED, 60_000, LegRole.INVADED_DISTRIBUTOR)


def test_guerrilla_zone_without_distributor_can_skip(make_policy: PolicyFactory) -> None:
    policy = make_policy(transfer={"no_invaded_distributor": "skip"})
    result = plan(policy, invaded_distributor=None, invaded_salesperson=None)
    assert result.legs == ()
    assert result.rule == "no_invaded_distributor"


def test_advisory_market_posts_nothing_and_says_why(policy: Policy) -> None:
    result = plan(policy, advisory=True)
    assert result.legs == ()
    assert result.value_fen == 60_000  # still reported
    assert result.rule == "advisory_market"
    assert "advisory" in result.reason


def test_zero_value_posts_nothing(policy: Policy) -> None:
    assert plan(policy, carton_value_fen=0).legs == ()


@pytest.mark.parametrize("changes", [{"cartons": 0}, {"carton_value_fen": -1}])
def test_impossible_quantities_are_refused(policy: Policy, changes: dict[str, int]) -> None:
    with pytest.raises(ValueError, match="cartons"):
        plan(policy, **changes)


@given(
    carton_value_fen=st.integers(min_value=0, max_value=10**9),
    cartons=st.integers(min_value=1, max_value=10**5),
    invaded_distributor=st.one_of(st.none(), st.sampled_from(["D-BJ", "D-SD"])),
    invaded_salesperson=st.one_of(st.none(), st.sampled_from(["S-BJ", "S-SD"])),
    salesperson_side=st.sampled_from(["invaded_region_salesperson", "company", "none"]),
    no_invaded_distributor=st.sampled_from(["credit_unassigned", "skip"]),
    advisory=st.booleans(),
)
def test_transfer_legs_always_sum_to_zero(
    carton_value_fen: int,
    cartons: int,
    invaded_distributor: str | None,
    invaded_salesperson: str | None,
    salesperson_side: str,
    no_invaded_distributor: str,
    advisory: bool,
) -> None:
    variant = policy_variant(
        transfer={
            "salesperson_side": salesperson_side,
            "no_invaded_distributor": no_invaded_distributor,
        }
    )
    result = transfer_plan(
        carton_value_fen=carton_value_fen,
        cartons=cartons,
        diverting_distributor="D-SD",
        diverting_salesperson="S-SD",
        invaded_distributor=invaded_distributor,
        invaded_salesperson=invaded_salesperson,
        advisory=advisory,
        policy=variant,
    )
    value = carton_value_fen * cartons
    assert sum(leg.amount_fen for leg in result.legs) == 0
    assert result.value_fen == value
    if advisory or value == 0:
        assert result.legs == ()
    if result.legs:
        # the diverting side always loses exactly the value, once each
        losers = [(leg.party_type, leg.party_code, leg.amount_fen) for leg in result.legs[:2]]
        assert losers == [
            (PartyType.DISTRIBUTOR, "D-SD", -value),
            (PartyType.SALESPERSON, "S-SD", -value),
        ]
        assert all(leg.amount_fen == value for leg in result.legs[2:])
        assert len(result.legs) == 4


def test_advisory_market_is_hierarchy_aware(make_policy: PolicyFactory) -> None:
    policy = make_policy(markets={"advisory_region_codes": ["EU"]})
    assert advisory_market(("DE-BY", "DE", "EU"), policy)
    assert not advisory_market(("SD-JINAN", "SD", "CN"), policy)
    assert not advisory_market(("DE-BY", "DE", "EU"), make_policy())


@pytest.fixture
def fines(make_policy: PolicyFactory) -> Policy:
    return make_policy(
        fines={
            "lookback_days": 365,
            "per_carton_fen": {
                "home_base": 20_000,
                "stronghold": 15_000,
                "contested": 10_001,
                "guerrilla": 0,
            },
            "repeat_multipliers": [
                {"from_offence": 2, "multiplier": "1.5"},
                {"from_offence": 3, "multiplier": "2"},
            ],
        }
    )


def fine(policy: Policy, **changes: object) -> tuple[int, str, str]:
    args: dict[str, object] = {
        "region_kind": "home_base",
        "prior_confirmed_in_lookback": 0,
        **fine_facts(policy, at=T0, signed=SIGNED, cartons=3),
    }
    args.update(changes)
    decision = fine_for(**args)  # type: ignore[arg-type]
    assert decision.policy_version == policy.version
    return decision.amount_fen, decision.rule, decision.reason


@pytest.mark.parametrize(
    ("kind", "prior", "amount"),
    [
        ("home_base", 0, 60_000),
        ("stronghold", 0, 45_000),
        ("guerrilla", 0, 0),
        ("home_base", 1, 90_000),  # second offence x1.5
        ("home_base", 2, 120_000),  # third offence x2
        ("home_base", 9, 120_000),  # the highest step applies from then on
        ("contested", 1, 45_005),  # 30,003 x 1.5 = 45,004.5, rounded half up
    ],
)
def test_fine_schedule_with_repeat_multipliers(
    fines: Policy, kind: str, prior: int, amount: int
) -> None:
    got, rule, reason = fine(fines, region_kind=kind, prior_confirmed_in_lookback=prior)
    assert (got, rule) == (amount, "fine_schedule")
    assert kind in reason


def test_fine_reason_names_the_offence(fines: Policy) -> None:
    decision = fine_for(
        region_kind="home_base",
        prior_confirmed_in_lookback=2,
        **fine_facts(fines, at=T0, signed=SIGNED, cartons=1),
    )
    assert decision.offence_number == 3
    assert decision.multiplier == Decimal(2)
    assert "offence 3 within 365 days" in decision.reason
    assert decision.reason.endswith("= 400.00 CNY")


def test_no_agreement_no_fine(fines: Policy) -> None:
    assert fine(fines, agreement_signed_at=None) == (
        0,
        "no_agreement",
        "no signed agreement on file",
    )


def test_agreement_signed_after_the_diversion_does_not_apply(fines: Policy) -> None:
    amount, rule, reason = fine(fines, agreement_signed_at=T0 + timedelta(days=1))
    assert (amount, rule) == (0, "no_agreement")
    assert "after" in reason
    assert fine(fines, agreement_signed_at=T0)[0] == 60_000  # signed that very moment: binding


def test_advisory_market_no_fine(fines: Policy) -> None:
    assert fine(fines, advisory=True)[:2] == (0, "advisory_market")


def test_fine_refuses_impossible_counts(fines: Policy) -> None:
    with pytest.raises(ValueError, match="cartons"):
        fine(fines, cartons=0)
    with pytest.raises(ValueError, match="prior"):
        fine(fines, prior_confirmed_in_lookback=-1)


@pytest.fixture
def windows(make_policy: PolicyFactory) -> Policy:
    return make_policy(
        violations={"appeal_window_days": 7, "auto_confirm": {"enabled": True, "after_days": 14}}
    )


@pytest.mark.parametrize(
    ("elapsed", "appealed", "due"),
    [
        (timedelta(days=14), False, True),
        (timedelta(days=14) - timedelta(seconds=1), False, False),
        (timedelta(days=40), True, False),  # an appeal waits for HQ, however long
    ],
)
def test_auto_confirm_window(
    windows: Policy, elapsed: timedelta, appealed: bool, due: bool
) -> None:
    assert (
        auto_confirm_due(opened_at=T0, appealed=appealed, now=T0 + elapsed, policy=windows) is due
    )


def test_auto_confirm_can_be_disabled(make_policy: PolicyFactory) -> None:
    off = make_policy(violations={"auto_confirm": {"enabled": False, "after_days": 1}})
    assert not auto_confirm_due(
        opened_at=T0, appealed=False, now=T0 + timedelta(days=999), policy=off
    )


def test_appeal_window(windows: Policy) -> None:
    last = T0 + timedelta(days=7) - timedelta(seconds=1)
    assert appeal_allowed(opened_at=T0, now=last, policy=windows)
    assert not appeal_allowed(opened_at=T0, now=T0 + timedelta(days=7), policy=windows)


@pytest.fixture
def dismissal(make_policy: PolicyFactory) -> Policy:
    return make_policy(
        dismissal={"window_days": 180, "confirmed_violations": 3, "value_fen": 10_000_000}
    )


@pytest.mark.parametrize(
    ("count", "value", "recommended", "phrase"),
    [
        (3, 0, True, "3 confirmed diversions within 180 days"),
        (2, 10_000_000, True, "100000.00 CNY diverted"),
        (2, 9_999_999, False, "below the thresholds"),
    ],
)
def test_dismissal_recommendation(
    dismissal: Policy, count: int, value: int, recommended: bool, phrase: str
) -> None:
    result, reason = dismissal_recommended(
        confirmed_violations_in_window=count, value_fen=value, policy=dismissal
    )
    assert result is recommended
    assert phrase in reason
    assert dismissal.version in reason
