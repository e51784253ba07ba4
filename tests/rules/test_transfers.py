"""What a diversion moves, from whom, to whom: the case's value, whether anything moves, and the
moves a confirmed case posts. No database."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from rules.policy import Policy
from rules.transfers import (
    SYSTEM_UNASSIGNED,
    Leg,
    LegRole,
    Move,
    TransferPlan,
    case_transfer,
    case_value,
    chargeable,
)
from rules.vocab import PartyType, ViolationKind
from tests.rules.conftest import PolicyFactory, policy_variant


def transfer(policy: Policy, **changes: object) -> TransferPlan:
    args: dict[str, object] = {
        "value_fen": 36_000,
        "cartons": 3,
        "diverting_distributor": "D-SD",
        "diverting_salesperson": None,
        "distributor_salesperson": "S-SD",
        "invaded_distributor": "D-BJ",
        "invaded_salesperson": "S-BJ",
        "advisory": False,
        "policy": policy,
    }
    args.update(changes)
    return case_transfer(**args)  # type: ignore[arg-type]


def test_a_case_is_worth_its_cartons_values_summed() -> None:
    assert case_value([12_000, 12_000, 9_950]) == 33_950
    assert case_value([]) == 0


def test_each_move_says_who_pays_whom(policy: Policy) -> None:
    plan = transfer(policy)
    assert plan.moves == (
        Move(
            36_000,
            Leg(PartyType.DISTRIBUTOR, "D-SD", -36_000, LegRole.DIVERTING_DISTRIBUTOR),
            Leg(PartyType.DISTRIBUTOR, "D-BJ", 36_000, LegRole.INVADED_DISTRIBUTOR),
        ),
        Move(
            36_000,
            Leg(PartyType.SALESPERSON, "S-SD", -36_000, LegRole.DIVERTING_SALESPERSON),
            Leg(PartyType.SALESPERSON, "S-BJ", 36_000, LegRole.INVADED_SALESPERSON_SIDE),
        ),
    )
    # the ledger's postings: payers first, in the order the statements have always shown
    assert [leg.role for leg in plan.legs] == [
        LegRole.DIVERTING_DISTRIBUTOR,
        LegRole.DIVERTING_SALESPERSON,
        LegRole.INVADED_DISTRIBUTOR,
        LegRole.INVADED_SALESPERSON_SIDE,
    ]
    assert (plan.rule, plan.policy_version) == ("value_transfer", policy.version)


def test_same_value_cartons_are_shown_per_carton(policy: Policy) -> None:
    assert transfer(policy).reason.startswith("3 carton(s) x 120.00 CNY = 360.00 CNY moved")


def test_a_mixed_value_case_moves_its_total_as_one_line(policy: Policy) -> None:
    plan = transfer(policy, value_fen=33_950)
    assert plan.value_fen == 33_950
    assert plan.reason.startswith("1 carton(s) x 339.50 CNY = 339.50 CNY moved")
    assert {m.amount_fen for m in plan.moves} == {33_950}


def test_the_salesperson_the_case_named_pays_before_the_distributors_own(policy: Policy) -> None:
    named = transfer(policy, diverting_salesperson="S-OLD")
    assert named.moves[1].payer.party_code == "S-OLD"
    assert transfer(policy).moves[1].payer.party_code == "S-SD"


def test_no_invaded_distributor_credits_the_unassigned_account(
    make_policy: PolicyFactory,
) -> None:
    policy = make_policy(transfer={"no_invaded_distributor": "credit_unassigned"})
    plan = transfer(policy, invaded_distributor=None)
    assert plan.moves[0].payee == Leg(
        PartyType.SYSTEM, SYSTEM_UNASSIGNED, 36_000, LegRole.INVADED_DISTRIBUTOR
    )
    assert "no invaded distributor" in plan.reason


def test_advisory_case_moves_nothing_but_keeps_its_value(policy: Policy) -> None:
    plan = transfer(policy, advisory=True)
    assert (plan.moves, plan.legs, plan.value_fen) == ((), (), 36_000)
    assert plan.rule == "advisory_market"


def test_a_cloned_code_charges_nobody() -> None:
    gate = chargeable(ViolationKind.CLONED, diverting_distributor_id=7)
    assert not gate.allowed
    assert gate.rule == "case.cloned_names_nobody"
    assert "no transfer and no fine" in gate.reason


def test_goods_never_delivered_charge_nobody() -> None:
    gate = chargeable(ViolationKind.DIVERSION, diverting_distributor_id=None)
    assert (gate.allowed, gate.rule) == (False, "case.nobody_to_charge")
    assert chargeable(ViolationKind.DIVERSION, diverting_distributor_id=7).allowed


@given(
    values=st.lists(st.integers(min_value=0, max_value=10**7), min_size=1, max_size=50),
    advisory=st.booleans(),
)
def test_a_case_moves_exactly_its_value_or_nothing(values: list[int], advisory: bool) -> None:
    policy = policy_variant()
    value = case_value(values)
    plan = transfer(policy, value_fen=value, cartons=len(values), advisory=advisory)
    assert plan.value_fen == value
    assert sum(leg.amount_fen for leg in plan.legs) == 0
    if plan.moves:
        assert all(m.amount_fen == value for m in plan.moves)
        assert all(m.payer.amount_fen == -value and m.payee.amount_fen == value for m in plan.moves)
    else:
        assert advisory or value == 0
