"""Five-star distributor grading (SPEC §2.9): the six indicators of seed 001. Diversion and
price control are always computed; plan completion (from targets) and sales growth (against the
same month last year) whenever the data exists, else entered; the other two are entered. Fines
left unpaid cap the stars."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

from rules.policy import Indicator, Policy

COMPUTED = frozenset({Indicator.DIVERSION, Indicator.PRICE_CONTROL})
"""Indicators the service always grades itself: never entered."""
COMPUTABLE = frozenset({Indicator.CONTRACT_COMPLETION, Indicator.SALES_GROWTH})
"""Graded from the data when it exists (a target; sales a year before), entered otherwise."""


@dataclass(frozen=True)
class StarRating:
    """Indicator grades (1-5, 5 best), the weighted score and the star grade."""

    grades: Mapping[Indicator, int]
    score_pct: int
    stars: int
    policy_version: str
    computed: frozenset[Indicator] = field(default_factory=frozenset)
    """The indicators graded from data this time."""
    star_cap_rule: str | None = None
    """Set when a rule held the stars down (e.g. `stars.unpaid_fines_cap`)."""

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
    completion_bp: int | None = None,
    growth_bp: int | None = None,
    unpaid_fines_fen: int = 0,
) -> StarRating:
    """Grade what the data allows, take the entered grades for the rest, then the stars over
    every graded indicator. `completion_bp` is credited sales / target in basis points (None:
    no target); `growth_bp` the growth against the same month last year (None: no sales
    then); `unpaid_fines_fen` what the distributor owes in fines now."""
    if min(confirmed_diversions, priced_inspections, price_violations, unpaid_fines_fen) < 0:
        raise ValueError("counts must not be negative")
    if price_violations > priced_inspections:
        raise ValueError("price_violations cannot exceed priced_inspections")
    if completion_bp is not None and completion_bp < 0:
        raise ValueError("completion_bp must not be negative")
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
    if completion_bp is not None:
        grades[Indicator.CONTRACT_COMPLETION] = _grade(
            [completion_bp >= pct * 100 for pct in rules.completion_min_pct_for_grade]
        )
    if growth_bp is not None:
        grades[Indicator.SALES_GROWTH] = _grade(
            [growth_bp >= pct * 100 for pct in rules.growth_min_pct_for_grade]
        )
    computed = frozenset(grades)
    for name, grade in (other_grades or {}).items():
        indicator = Indicator(name)
        if indicator in COMPUTED:
            raise ValueError(f"{indicator.value} is computed by the service, not entered")
        if not 1 <= grade <= 5:
            raise ValueError(f"{indicator.value}: grade must be 1-5, got {grade}")
        grades.setdefault(indicator, grade)  # the data wins over an entry where it exists

    best = rules.grade_points[-1]
    attainable = sum(rules.weights[indicator] * best for indicator in grades)
    if attainable == 0:
        raise ValueError("every supplied indicator has weight 0 in this policy")
    score = sum(rules.weights[i] * rules.grade_points[g - 1] for i, g in grades.items())
    score_pct = score * 100 // attainable
    stars = _grade([score_pct >= minimum for minimum in rules.star_min_score_pct])
    cap_rule = None
    if unpaid_fines_fen > 0 and stars > rules.unpaid_fines_max_stars:
        stars, cap_rule = rules.unpaid_fines_max_stars, "stars.unpaid_fines_cap"
    return StarRating(
        MappingProxyType(grades), score_pct, stars, policy.version, computed, cap_rule
    )


def ratio_bp(numerator: int, denominator: int) -> int:
    """numerator / denominator in basis points, rounded down (integers only)."""
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    return numerator * 10_000 // denominator


def growth_bp(current: int, last_year: int) -> int | None:
    """Growth against the same period last year in basis points; None without sales then."""
    if last_year <= 0:
        return None
    return (current - last_year) * 10_000 // last_year
