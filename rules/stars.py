"""Five-star distributor grading (SPEC §2.9): the diversion and price-control indicators."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from rules.policy import Indicator, Policy

COMPUTED = frozenset({Indicator.DIVERSION, Indicator.PRICE_CONTROL})
"""Indicators the service grades itself; the other four are entered."""


@dataclass(frozen=True)
class StarRating:
    """Indicator grades (1-5, 5 best), the weighted score and the star grade."""

    grades: Mapping[Indicator, int]
    score_pct: int
    stars: int
    policy_version: str

    @property
    def diversion_grade(self) -> int:
        """Grade of the diversion indicator."""
        return self.grades[Indicator.DIVERSION]

    @property
    def price_control_grade(self) -> int:
        """Grade of the price-control indicator."""
        return self.grades[Indicator.PRICE_CONTROL]


def _grade(within: Sequence[bool]) -> int:
    # within[i] says whether the value stays inside the limit for grade 5 - i.
    for index, inside in enumerate(within):
        if inside:
            return 5 - index
    return 1


def star_indicators(
    *,
    confirmed_diversions: int,
    priced_inspections: int,
    price_violations: int,
    other_grades: Mapping[Indicator | str, int] | None = None,
    policy: Policy,
) -> StarRating:
    """Grade diversion and price control, then the stars over every indicator supplied."""
    if min(confirmed_diversions, priced_inspections, price_violations) < 0:
        raise ValueError("counts must not be negative")
    if price_violations > priced_inspections:
        raise ValueError("price_violations cannot exceed priced_inspections")
    rules = policy.stars
    grades: dict[Indicator, int] = {
        Indicator.DIVERSION: _grade(
            [confirmed_diversions <= limit for limit in rules.diversion_max_for_grade]
        ),
        # violations / inspections <= limit_bp / 10000, kept in integers; no inspections: grade 5
        Indicator.PRICE_CONTROL: _grade(
            [
                price_violations * 10_000 <= limit * priced_inspections
                for limit in rules.price_violation_max_bp_for_grade
            ]
        ),
    }
    for name, grade in (other_grades or {}).items():
        indicator = Indicator(name)
        if indicator in COMPUTED:
            raise ValueError(f"{indicator.value} is computed by the service, not entered")
        if not 1 <= grade <= 5:
            raise ValueError(f"{indicator.value}: grade must be 1-5, got {grade}")
        grades[indicator] = grade

    best = rules.grade_points[-1]
    attainable = sum(rules.weights[indicator] * best for indicator in grades)
    if attainable == 0:
        raise ValueError("every supplied indicator has weight 0 in this policy")
    score = sum(rules.weights[i] * rules.grade_points[g - 1] for i, g in grades.items())
    score_pct = score * 100 // attainable
    stars = _grade([score_pct >= minimum for minimum in rules.star_min_score_pct])
    return StarRating(MappingProxyType(grades), score_pct, stars, policy.version)
