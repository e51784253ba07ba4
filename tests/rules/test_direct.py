"""Which wholesaler a direct account's sale is credited to."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from rules.direct import Assignment, beneficiary

T0 = datetime(2026, 12, 1, tzinfo=UTC)
PLAN = [Assignment(7, T0), Assignment(9, T0 + timedelta(days=10))]


@pytest.mark.parametrize(
    ("at", "who", "rule"),
    [
        (T0 - timedelta(seconds=1), None, "direct_account.no_wholesaler_yet"),
        (T0, 7, "direct_account.wholesaler"),
        (T0 + timedelta(days=9, hours=23), 7, "direct_account.wholesaler"),
        (T0 + timedelta(days=10), 9, "direct_account.wholesaler"),
        (T0 + timedelta(days=400), 9, "direct_account.wholesaler"),
    ],
)
def test_the_latest_assignment_in_force_at_the_sale(
    at: datetime, who: int | None, rule: str
) -> None:
    b = beneficiary(list(reversed(PLAN)), at)  # order of the rows does not matter
    assert (b.distributor_id, b.rule) == (who, rule)


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError):
        beneficiary(PLAN, datetime(2026, 12, 5))
