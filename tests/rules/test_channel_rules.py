"""The pure rules of the channel below the distributor: hand-off checks, blame, the
sub-customer's fine and the credit score."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from rules.blame import Custody, blame, sub_customer_fine
from rules.credit import Breach, credit_score
from rules.custody import (
    CartonState,
    Outcome,
    Party,
    Reason,
    decide_receive,
    decide_ship,
    inside_territory,
)
from rules.policy import Policy
from tests.rules.conftest import PolicyFactory

JINAN_PATH = ("370100", "370000")
ZIBO_PATH = ("370300", "370000")
D1 = Party("distributor", 1, 1, (JINAN_PATH,))
D2 = Party("distributor", 2, 2, (ZIBO_PATH,))
S1 = Party("sub_customer", 10, 1, (JINAN_PATH,))
S1B = Party("sub_customer", 11, 1, (JINAN_PATH,))
S2 = Party("sub_customer", 20, 2, (ZIBO_PATH,))
JINAN = frozenset({"370100"})
NOW = datetime(2026, 12, 10, tzinfo=UTC)


def held_by(party: Party | None, pending: Party | None = None, voided: bool = False) -> CartonState:
    return CartonState(
        voided=voided,
        custodian=party,
        pending_to=pending.key if pending else None,
        territory_region_codes=JINAN,
    )


def test_territory_is_hierarchy_aware() -> None:
    assert inside_territory([("370102", "370100", "370000")], JINAN)
    assert not inside_territory([ZIBO_PATH], JINAN)
    assert not inside_territory([JINAN_PATH, ZIBO_PATH], JINAN)  # every region must be inside
    assert not inside_territory([], JINAN)


@pytest.mark.parametrize(
    ("shipper", "receiver", "carton", "outcome", "reason"),
    [
        (D1, S1, held_by(D1), Outcome.ACCEPTED, None),
        (D1, D1, held_by(D1), Outcome.REFUSED, Reason.TO_SELF),
        (D1, S1, held_by(D1, voided=True), Outcome.REFUSED, Reason.VOIDED),
        (D2, S1, held_by(D1), Outcome.REFUSED, Reason.NOT_CUSTODIAN),
        (S1, S1B, held_by(None), Outcome.REFUSED, Reason.NOT_CUSTODIAN),
        (S1, S2, held_by(S1), Outcome.REFUSED, Reason.OUTSIDE_TERRITORY),
        (
            S1,
            Party("sub_customer", 12, 1, (JINAN_PATH,), authorized=False),
            held_by(S1),
            Outcome.REFUSED,
            Reason.RECEIVER_NOT_AUTHORIZED,
        ),
        (
            Party("sub_customer", 10, 1, (JINAN_PATH,), authorized=False),
            S1B,
            held_by(S1),
            Outcome.REFUSED,
            Reason.NOT_AUTHORIZED,
        ),
    ],
)
def test_ship(
    policy: Policy,
    shipper: Party,
    receiver: Party,
    carton: CartonState,
    outcome: Outcome,
    reason: Reason | None,
) -> None:
    d = decide_ship(shipper=shipper, receiver=receiver, carton=carton, policy=policy)
    assert (d.outcome, d.reason) == (outcome, reason)
    assert d.moves is (outcome is not Outcome.REFUSED)
    assert d.policy_version == policy.version and d.rule
    assert not d.opens_violation


def test_ship_outside_territory_may_warn_and_open(make_policy: PolicyFactory) -> None:
    lenient = make_policy(custody={"ship_outside_territory": "warn_and_open"})
    d = decide_ship(shipper=S1, receiver=S2, carton=held_by(S1), policy=lenient)
    assert (d.outcome, d.reason, d.moves, d.opens_violation) == (
        Outcome.WARNING,
        Reason.OUTSIDE_TERRITORY,
        True,
        True,
    )


@pytest.mark.parametrize(
    ("receiver", "carton", "outcome", "reason", "opens"),
    [
        (S1, held_by(D1, pending=S1), Outcome.ACCEPTED, None, False),
        (S1, held_by(S1), Outcome.REFUSED, Reason.ALREADY_HELD, False),
        (S1, held_by(None), Outcome.REFUSED, Reason.NOT_DELIVERED, False),
        (S1, held_by(D1, voided=True), Outcome.REFUSED, Reason.VOIDED, False),
        (S1B, held_by(S1), Outcome.WARNING, Reason.NOT_SHIPPED_TO_YOU, False),
        (S2, held_by(S1), Outcome.WARNING, Reason.OUTSIDE_SUPPLY_LINE, True),
        (S2, held_by(D1, pending=S1), Outcome.WARNING, Reason.OUTSIDE_SUPPLY_LINE, True),
        (D2, held_by(D1), Outcome.WARNING, Reason.OUTSIDE_SUPPLY_LINE, True),
        (
            Party("sub_customer", 10, 1, (JINAN_PATH,), authorized=False),
            held_by(D1, pending=S1),
            Outcome.REFUSED,
            Reason.NOT_AUTHORIZED,
            False,
        ),
    ],
)
def test_receive(
    policy: Policy,
    receiver: Party,
    carton: CartonState,
    outcome: Outcome,
    reason: Reason | None,
    opens: bool,
) -> None:
    d = decide_receive(receiver=receiver, carton=carton, policy=policy)
    assert (d.outcome, d.reason, d.opens_violation) == (outcome, reason, opens)
    assert d.moves is (outcome is not Outcome.REFUSED)


@pytest.mark.parametrize(
    ("custody", "expected"),
    [
        (Custody(1, "sub_customer", 10, 1), (1, 10, "sub_customer_custodian")),
        (Custody(1, "distributor", 2, 2), (2, None, "distributor_custodian")),
        (Custody(1, None, None, None), (1, None, "delivered_distributor")),
        (Custody(None, None, None, None), (None, None, "never_delivered")),
    ],
)
def test_blame_names_the_last_custodian(
    policy: Policy, custody: Custody, expected: tuple[int | None, int | None, str]
) -> None:
    b = blame(custody, policy)
    assert (b.diverting_distributor_id, b.diverting_sub_customer_id, b.rule) == expected
    assert b.policy_version == policy.version


def test_sub_customer_fine_needs_its_own_agreement(policy: Policy) -> None:
    signed = NOW - timedelta(days=30)
    fine = sub_customer_fine(
        cartons=3, agreement_signed_at=signed, violated_at=NOW, advisory=False, policy=policy
    )
    assert (fine.amount_fen, fine.rule) == (
        3 * policy.sub_customers.fine_per_carton_fen,
        "sub_customer_fine",
    )
    assert fine.amount_fen > 0
    for kw in (
        {"agreement_signed_at": None, "advisory": False},
        {"agreement_signed_at": NOW + timedelta(days=1), "advisory": False},
        {"agreement_signed_at": signed, "advisory": True},
    ):
        assert sub_customer_fine(cartons=3, violated_at=NOW, policy=policy, **kw).amount_fen == 0  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        sub_customer_fine(
            cartons=0, agreement_signed_at=signed, violated_at=NOW, advisory=False, policy=policy
        )


def test_credit_score_weights_decay_and_threshold(make_policy: PolicyFactory) -> None:
    policy = make_policy(
        credit={
            "start_points": 100,
            "confirmed_points": 20,
            "pending_points": 5,
            "per_carton_points": 1,
            "half_life_days": 100,
            "revocation_threshold": 60,
        }
    )
    clean = credit_score([], now=NOW, policy=policy)
    assert (clean.score, clean.revocation_recommended, clean.breaches) == (100, False, 0)
    fresh = Breach("confirmed", NOW, 1)
    assert credit_score([fresh], now=NOW, policy=policy).score == 80
    assert credit_score([Breach("confirmed", NOW, 5)], now=NOW, policy=policy).score == 76
    assert credit_score([Breach("open", NOW, 1)], now=NOW, policy=policy).score == 95
    assert credit_score([Breach("dismissed", NOW, 9)], now=NOW, policy=policy).score == 100
    old = Breach("confirmed", NOW - timedelta(days=100), 1)
    assert credit_score([old], now=NOW, policy=policy).score == 90  # halved after one half-life
    two = credit_score([fresh, fresh], now=NOW, policy=policy)
    assert (two.score, two.revocation_recommended) == (60, True)
    assert credit_score([fresh] * 9, now=NOW, policy=policy).score == 0  # never below zero


def test_credit_policy_is_validated(make_policy: PolicyFactory) -> None:
    with pytest.raises(ValueError, match="revocation_threshold"):
        make_policy(credit={"start_points": 50, "revocation_threshold": 50})
    with pytest.raises(ValueError):
        make_policy(custody={"ship_outside_territory": "shrug"})
    with pytest.raises(ValueError):
        make_policy(sub_customers={"fine_per_carton_fen": -1})
