"""Price disorder as a case: whether it opens, against whom, and what it costs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from rules.blame import Custody
from rules.policy import Policy
from rules.prices import price_case, price_fine, sub_customer_price_fine
from tests.rules.conftest import PolicyFactory, fine_facts

AT = datetime(2026, 12, 20, 10, tzinfo=UTC)
HELD_BY_D = Custody(7, "distributor", 7, 7)
HELD_BY_SC = Custody(7, "sub_customer", 42, 7)


def test_below_the_floor_opens_a_case_against_the_custodian(policy: Policy) -> None:
    case = price_case(observed_fen=300, floor_fen=360, custody=HELD_BY_D, policy=policy)
    assert case.opens and case.seller_distributor_id == 7 and case.seller_sub_customer_id is None
    assert case.rule == "price.distributor_custodian" and case.policy_version == policy.version
    case = price_case(observed_fen=300, floor_fen=360, custody=HELD_BY_SC, policy=policy)
    assert (case.seller_distributor_id, case.seller_sub_customer_id) == (7, 42)
    assert case.rule == "price.sub_customer_custodian"
    # Delivered, never handed on: the delivered distributor sells.
    case = price_case(
        observed_fen=300, floor_fen=360, custody=Custody(9, None, None, None), policy=policy
    )
    assert case.seller_distributor_id == 9 and case.rule == "price.delivered_distributor"


@pytest.mark.parametrize(
    ("observed", "floor", "custody", "genuine", "rule"),
    [
        (360, 360, HELD_BY_D, True, "price.at_or_above_floor"),
        (400, 360, HELD_BY_D, True, "price.at_or_above_floor"),
        (None, 360, HELD_BY_D, True, "price.not_priced"),
        (300, None, HELD_BY_D, True, "price.not_priced"),
        (300, 360, Custody(None, None, None, None), True, "price.no_seller_of_record"),
        (300, 360, HELD_BY_D, False, "price.not_genuine_goods"),
    ],
)
def test_no_case_and_why(
    policy: Policy,
    observed: int | None,
    floor: int | None,
    custody: Custody,
    genuine: bool,
    rule: str,
) -> None:
    case = price_case(
        observed_fen=observed, floor_fen=floor, custody=custody, policy=policy, genuine=genuine
    )
    assert not case.opens and case.rule == rule and case.seller_distributor_id is None


def test_older_policies_keep_it_a_finding(make_policy: PolicyFactory) -> None:
    off = make_policy(price_cases={"open_cases": False})
    case = price_case(observed_fen=1, floor_fen=360, custody=HELD_BY_D, policy=off)
    assert not case.opens and case.rule == "price.cases_off"


def test_tolerance_is_respected(make_policy: PolicyFactory) -> None:
    lenient = make_policy(prices={"tolerance_bp": 500})  # 5 %: 342 is the lowest tolerated
    assert not price_case(observed_fen=342, floor_fen=360, custody=HELD_BY_D, policy=lenient).opens
    assert price_case(observed_fen=341, floor_fen=360, custody=HELD_BY_D, policy=lenient).opens


def test_fine_needs_an_agreement_signed_before_the_sale(policy: Policy) -> None:
    def fine(signed: datetime | None, prior: int = 0, advisory: bool = False) -> tuple[int, str]:
        f = price_fine(
            prior_confirmed_in_lookback=prior,
            **fine_facts(policy, at=AT, signed=signed, advisory=advisory),
        )
        return f.amount_fen, f.rule

    assert fine(AT - timedelta(days=1)) == (6000, "price_fine.schedule")
    assert fine(AT) == (6000, "price_fine.schedule")
    assert fine(None) == (0, "price_fine.no_agreement")
    assert fine(AT + timedelta(seconds=1)) == (0, "price_fine.no_agreement")
    assert fine(AT, advisory=True) == (0, "price_fine.advisory_market")
    # Repeat price offences take the policy's multipliers (1.5 from the 2nd, 2 from the 3rd).
    assert fine(AT, prior=1) == (9000, "price_fine.schedule")
    assert fine(AT, prior=5) == (12000, "price_fine.schedule")
    with pytest.raises(ValueError):
        price_fine(prior_confirmed_in_lookback=0, **fine_facts(policy, at=AT, signed=AT, cartons=0))


def test_sub_customer_price_fine(policy: Policy, make_policy: PolicyFactory) -> None:
    f = sub_customer_price_fine(**fine_facts(policy, at=AT, signed=AT, cartons=3))
    assert (f.amount_fen, f.rule) == (6000, "price_fine.sub_customer")
    f = sub_customer_price_fine(**fine_facts(policy, at=AT, signed=None, cartons=3))
    assert (f.amount_fen, f.rule) == (0, "price_fine.no_agreement")
    none = make_policy(price_cases={"sub_customer_fine_per_carton_fen": 0})
    f = sub_customer_price_fine(**fine_facts(none, at=AT, signed=AT, cartons=3))
    assert (f.amount_fen, f.rule) == (0, "price_fine.none_in_policy")
