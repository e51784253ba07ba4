"""Rebates, commissions, deposits and the ladder as pure rules (no database)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rules.money import cut_fen, effects, fine_from_deposit, rate_for, rebate_fen, sanction_for
from rules.policy import PolicyError, load_policy, parse_policy
from rules.vocab import SanctionStep

POLICY = load_policy("2026-12-15")
TIERS = POLICY.rebates.distributor_tiers


def test_rate_is_the_highest_tier_reached_and_nothing_on_nothing() -> None:
    assert rate_for(0, TIERS) == 0 and rate_for(-500, TIERS) == 0
    assert rate_for(1, TIERS) == Decimal("0.01")
    assert rate_for(99999, TIERS) == Decimal("0.01")
    assert rate_for(100000, TIERS) == Decimal("0.02")
    assert rate_for(189999, TIERS) == Decimal("0.02")
    assert rate_for(190000, TIERS) == Decimal("0.03")
    assert rate_for(10**9, TIERS) == Decimal("0.05")
    assert rate_for(10**9, ()) == 0  # older policies pay nothing on volume


def test_rebate_rounds_half_up_to_the_fen() -> None:
    assert rebate_fen(192000, TIERS) == 5760
    assert rebate_fen(150, TIERS) == 2  # 1.5 fen rounds up
    assert rebate_fen(149, TIERS) == 1
    assert cut_fen(3745, 50) == 1873  # 18.725 -> 18.73


def test_each_violation_effect_is_pay_with_minus_pay_without() -> None:
    # The demo: Jinan 1,920.00 loses one 48.00 carton, Liaocheng gains it.
    (lost,) = effects(187200, {7: -4800}, TIERS)
    assert (lost.violation_id, lost.credited_change_fen, lost.pay_change_fen) == (7, -4800, -2016)
    (won,) = effects(196800, {7: 4800}, TIERS)
    assert won.pay_change_fen == 5904 - 5760
    assert effects(187200, {7: 0}, TIERS) == []  # a reversed transfer changes nothing


@given(st.integers(-(10**7), 10**8), st.integers(-(10**6), 10**6))
def test_removing_a_transfer_and_putting_it_back_restores_the_rebate(base: int, moved: int) -> None:
    with_it = rebate_fen(base + moved, TIERS)
    (e,) = effects(base + moved, {1: moved}, TIERS) or [None]  # type: ignore[list-item]
    if moved:
        assert e is not None and e.pay_change_fen == with_it - rebate_fen(base, TIERS)
    assert rebate_fen(base + moved - moved, TIERS) == rebate_fen(base, TIERS)
    assert rebate_fen(base, TIERS) >= 0


@given(st.integers(0, 10**7), st.integers(-100, 10**7))
def test_a_fine_takes_the_deposit_never_below_zero_and_the_rest_stays_owed(
    fine: int, deposit: int
) -> None:
    split = fine_from_deposit(fine_fen=fine, deposit_fen=deposit, policy=POLICY)
    assert split.from_deposit_fen + split.owed_fen == fine
    assert 0 <= split.from_deposit_fen <= max(deposit, 0)
    assert split.owed_fen == 0 or split.from_deposit_fen == max(deposit, 0)
    old = fine_from_deposit(fine_fen=fine, deposit_fen=deposit, policy=load_policy("2026-12-01"))
    assert old.from_deposit_fen == 0 and old.owed_fen == fine


def test_the_ladder_climbs_and_its_last_step_repeats() -> None:
    steps = [sanction_for(offence_number=n, policy=POLICY).step for n in range(1, 8)]
    assert steps == [
        SanctionStep.WARNING,
        SanctionStep.INTERVIEW,
        SanctionStep.DEPOSIT_DEDUCTION,
        SanctionStep.REBATE_CUT,
        SanctionStep.SUPPLY_STOP,
        SanctionStep.SUPPLY_STOP,
        SanctionStep.SUPPLY_STOP,
    ]
    d = sanction_for(offence_number=2, policy=POLICY)
    assert (d.rule, d.policy_version) == ("sanctions_ladder", "2026-12-15")
    assert sanction_for(offence_number=3, policy=load_policy("2026-12-01")).step is None
    with pytest.raises(ValueError, match="starts at 1"):
        sanction_for(offence_number=0, policy=POLICY)


def test_the_default_policy_fines_every_region_kind_from_the_first_offence() -> None:
    assert all(fen > 0 for fen in POLICY.fines.per_carton_fen.values())
    assert all(m.from_offence >= 2 for m in POLICY.fines.repeat_multipliers)
    assert POLICY.deposits.fines_from_deposit


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ('[rebates]\ndistributor_tiers = [{ from_fen = 5, rate = "0.01" }]', "from_fen = 0"),
        (
            '[rebates]\ndistributor_tiers = [{ from_fen = 0, rate = "0.02" }, '
            '{ from_fen = 10, rate = "0.01" }]',
            "non-decreasing",
        ),
        ("[rebates]\ndistributor_tiers = [{ from_fen = 0, rate = 0.01 }]", "decimal strings"),
        ('[rebates]\ndistributor_tiers = [{ from_fen = 0, rate = "1.5" }]', "less than 1"),
        ('[sanctions]\nladder = ["supply_stop", "warning"]', "must climb"),
        ('[sanctions]\nladder = ["fine_them"]', "ladder"),
        ("[sanctions]\nrebate_cut_pct = 150", "rebate_cut_pct"),
    ],
)
def test_bad_money_sections_are_refused_with_the_field(section: str, message: str) -> None:
    from rules.policy import POLICY_DIR

    text = (POLICY_DIR / "2026-12-01.toml").read_text(encoding="utf-8")
    with pytest.raises(PolicyError, match=message):
        parse_policy(text + "\n" + section + "\n")
