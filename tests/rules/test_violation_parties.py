"""Who a case names and who may contest it: rules/violations.py, no database."""

from __future__ import annotations

from rules.violations import (
    CaseParties,
    Holder,
    Invaded,
    case_parties,
    invaded_party,
    may_appeal,
)
from rules.vocab import Tier, ViolationKind

CITY = [Holder(2, Tier.WHOLESALE_2, "D-B", 22), Holder(1, Tier.WHOLESALE_1, "D-Z", 11)]
PROVINCE = [Holder(9, Tier.WHOLESALE_1, "D-P", 99)]
NEAREST = Invaded(2, 22, "invaded.nearest_holder_leading_tier")
"""The scanned region's nearest holder: distributor 2, its salesperson 22."""


def parties(
    kind: ViolationKind,
    distributor: int = 1,
    salesperson: int = 11,
    sub_customer: int | None = 3,
    known_invaded_distributor_id: int | None = None,
) -> CaseParties:
    """The parties of a case whose goods distributor `distributor` (with its salesperson and,
    if any, sub-customer) diverted into the region NEAREST holds."""
    return case_parties(
        kind,
        diverting_distributor_id=distributor,
        diverting_salesperson_id=salesperson,
        diverting_sub_customer_id=sub_customer,
        invaded=NEAREST,
        known_invaded_distributor_id=known_invaded_distributor_id,
    )


def test_the_nearest_level_with_a_holder_decides_leading_tier_first() -> None:
    assert invaded_party([[], CITY, PROVINCE], [None, None, 5]) == Invaded(
        1, 11, "invaded.nearest_holder_leading_tier"
    )


def test_equal_tiers_are_broken_by_code_so_the_choice_is_stable() -> None:
    twins = [Holder(7, Tier.WHOLESALE_1, "D-2", 70), Holder(8, Tier.WHOLESALE_1, "D-1", 80)]
    assert invaded_party([twins], [None]).distributor_id == 8
    assert invaded_party([list(reversed(twins))], [None]).distributor_id == 8


def test_a_guerrilla_zone_names_the_nearest_salesperson_only() -> None:
    assert invaded_party([[], []], [None, 5]) == Invaded(
        None, 5, "invaded.no_distributor_nearest_salesperson"
    )
    assert invaded_party([[]], [None]) == Invaded(None, None, "invaded.nobody")


def test_a_cloned_code_names_nobody_whatever_the_facts() -> None:
    cloned = parties(ViolationKind.CLONED)
    assert (cloned.diverting_distributor_id, cloned.invaded_distributor_id) == (None, None)
    assert cloned.diverting_sub_customer_id is None
    assert cloned.rule == "case.cloned_names_nobody"


def test_a_known_invaded_distributor_wins_over_the_scanned_region() -> None:
    case = parties(ViolationKind.DIVERSION, known_invaded_distributor_id=4)
    assert (case.invaded_distributor_id, case.rule) == (4, "invaded.receiver_distributor")
    assert case.diverting_sub_customer_id == 3


def test_a_distributor_never_invades_itself() -> None:
    case = parties(ViolationKind.DIVERSION, distributor=2, salesperson=22, sub_customer=None)
    assert case.invaded_distributor_id is None
    assert case.invaded_salesperson_id == 22
    assert case.rule == "invaded.not_the_diverter_itself"


def test_only_the_diverting_distributor_may_appeal() -> None:
    assert may_appeal(caller_distributor_id=1, diverting_distributor_id=1).allowed
    assert not may_appeal(caller_distributor_id=2, diverting_distributor_id=1).allowed
    assert not may_appeal(caller_distributor_id=None, diverting_distributor_id=1).allowed
    nobody = may_appeal(caller_distributor_id=1, diverting_distributor_id=None)
    assert (nobody.allowed, nobody.rule) == (False, "appeal.diverting_distributor_only")
