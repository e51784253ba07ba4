"""Star grading: the diversion and price-control indicators and the five-star grade."""

from __future__ import annotations

import pytest

from rules.policy import Indicator, Policy
from rules.stars import star_indicators
from tests.rules.conftest import PolicyFactory


@pytest.fixture
def stars(make_policy: PolicyFactory) -> Policy:
    return make_policy(
        stars={
            "grade_points": [20, 40, 60, 80, 100],
            "star_min_score_pct": [90, 75, 60, 40],
            "diversion_max_for_grade": [0, 1, 2, 4],
            "price_violation_max_bp_for_grade": [0, 200, 500, 1000],
            "weights": {indicator.value: 1 for indicator in Indicator},
        }
    )


@pytest.mark.parametrize(
    ("diversions", "grade"), [(0, 5), (1, 4), (2, 3), (3, 2), (4, 2), (5, 1), (40, 1)]
)
def test_diversion_grade(stars: Policy, diversions: int, grade: int) -> None:
    rating = star_indicators(
        confirmed_diversions=diversions, priced_inspections=0, price_violations=0, policy=stars
    )
    assert rating.diversion_grade == grade


@pytest.mark.parametrize(
    ("inspections", "violations", "grade"),
    [
        (0, 0, 5),  # nothing priced, nothing found
        (100, 0, 5),
        (100, 1, 4),
        (100, 2, 4),  # exactly 200 bp
        (150, 4, 3),  # 266.7 bp
        (100, 5, 3),
        (100, 10, 2),
        (100, 11, 1),
        (3, 3, 1),
    ],
)
def test_price_control_grade(stars: Policy, inspections: int, violations: int, grade: int) -> None:
    rating = star_indicators(
        confirmed_diversions=0,
        priced_inspections=inspections,
        price_violations=violations,
        policy=stars,
    )
    assert rating.price_control_grade == grade


def test_clean_distributor_gets_five_stars_on_the_two_computed_indicators(stars: Policy) -> None:
    rating = star_indicators(
        confirmed_diversions=0, priced_inspections=50, price_violations=0, policy=stars
    )
    assert (rating.score_pct, rating.stars) == (100, 5)
    assert set(rating.grades) == {Indicator.DIVERSION, Indicator.PRICE_CONTROL}
    assert rating.policy_version == stars.version


def test_all_six_indicators(stars: Policy) -> None:
    rating = star_indicators(
        confirmed_diversions=1,  # grade 4: 80
        priced_inspections=100,
        price_violations=5,  # grade 3: 60
        other_grades={
            "contract_completion": 5,  # 100
            Indicator.SALES_SHARE: 3,  # 60
            "sales_growth": 2,  # 40
            "profitability": 4,  # 80
        },
        policy=stars,
    )
    # 420 of 600 attainable points
    assert (rating.score_pct, rating.stars) == (70, 3)
    assert rating.grades[Indicator.SALES_GROWTH] == 2


@pytest.mark.parametrize(
    ("diversions", "violations", "stars_expected"),
    [
        (0, 0, 5),  # 100 %
        (1, 0, 5),  # 90 %: the five-star minimum itself
        (2, 0, 4),  # 80 %
        (3, 0, 3),  # 70 %
        (2, 11, 2),  # 40 %
        (5, 11, 1),  # 20 %
    ],
)
def test_star_thresholds(
    stars: Policy, diversions: int, violations: int, stars_expected: int
) -> None:
    rating = star_indicators(
        confirmed_diversions=diversions,
        priced_inspections=100,
        price_violations=violations,
        policy=stars,
    )
    assert rating.stars == stars_expected


def test_weights_change_the_score(make_policy: PolicyFactory) -> None:
    weights = {indicator.value: 1 for indicator in Indicator} | {"diversion": 3}
    heavy = make_policy(stars={"weights": weights})
    rating = star_indicators(
        confirmed_diversions=5,  # grade 1: 20 x 3
        priced_inspections=0,  # grade 5: 100 x 1
        price_violations=0,
        policy=heavy,
    )
    assert rating.score_pct == (60 + 100) * 100 // 400


@pytest.mark.parametrize(
    ("others", "message"),
    [
        ({"diversion": 5}, "computed by the service"),
        ({"price_control": 5}, "computed by the service"),
        ({"sales_share": 0}, "grade must be 1-5"),
        ({"sales_share": 6}, "grade must be 1-5"),
        ({"charisma": 3}, "charisma"),
    ],
)
def test_entered_grades_are_checked(stars: Policy, others: dict[str, int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        star_indicators(
            confirmed_diversions=0,
            priced_inspections=0,
            price_violations=0,
            other_grades=others,
            policy=stars,
        )


def test_impossible_counts(stars: Policy) -> None:
    with pytest.raises(ValueError, match="exceed"):
        star_indicators(
            confirmed_diversions=0, priced_inspections=1, price_violations=2, policy=stars
        )
    with pytest.raises(ValueError, match="negative"):
        star_indicators(
            confirmed_diversions=-1, priced_inspections=0, price_violations=0, policy=stars
        )


def test_plan_completion_and_growth_are_graded_when_the_data_exists(policy: Policy) -> None:
    from rules.stars import growth_bp, ratio_bp

    base = {"confirmed_diversions": 0, "priced_inspections": 0, "price_violations": 0}
    r = star_indicators(**base, policy=policy, completion_bp=ratio_bp(150, 200), growth_bp=2000)
    assert r.grades[Indicator.CONTRACT_COMPLETION] == 2  # 75 %: at least 60, below 80
    assert r.grades[Indicator.SALES_GROWTH] == 5  # 20 % exactly earns the top grade
    assert Indicator.CONTRACT_COMPLETION in r.computed
    entered = {Indicator.CONTRACT_COMPLETION: 5, Indicator.SALES_GROWTH: 1}
    r = star_indicators(**base, policy=policy, other_grades=entered, completion_bp=10_000)
    assert r.grades[Indicator.CONTRACT_COMPLETION] == 5  # computed 100 % wins, equal here
    assert r.grades[Indicator.SALES_GROWTH] == 1  # no data last year: the entry stands
    r = star_indicators(**base, policy=policy, other_grades=entered, completion_bp=5_999)
    assert r.grades[Indicator.CONTRACT_COMPLETION] == 1
    assert growth_bp(90, 100) == -1000 and growth_bp(5, 0) is None
    assert (
        star_indicators(**base, policy=policy, growth_bp=-1001).grades[Indicator.SALES_GROWTH] == 1
    )


def test_unpaid_fines_cap_the_stars(policy: Policy) -> None:
    base = {"confirmed_diversions": 0, "priced_inspections": 0, "price_violations": 0}
    clean = star_indicators(**base, policy=policy)
    assert clean.stars == 5 and clean.star_cap_rule is None
    owing = star_indicators(**base, policy=policy, unpaid_fines_fen=1)
    assert owing.stars == policy.stars.unpaid_fines_max_stars == 3
    assert owing.star_cap_rule == "stars.unpaid_fines_cap" and owing.score_pct == 100
