"""Blame where it belongs (SPEC §2.11, §2.12): who answers for diverted goods, and what a
diverting sub-customer bears itself. Pure functions over frozen facts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rules.policy import Policy


@dataclass(frozen=True)
class Custody:
    """What the record says of a diverted carton."""

    delivered_distributor_id: int | None
    """The distributor the company's waybill delivered it to."""
    custodian_kind: str | None
    """`distributor` or `sub_customer`: the last custodian of record; None before delivery."""
    custodian_id: int | None
    custodian_distributor_id: int | None
    """The custodian's supply line: itself, or the sub-customer's distributor."""


@dataclass(frozen=True)
class Blame:
    diverting_distributor_id: int | None
    diverting_sub_customer_id: int | None
    rule: str
    policy_version: str


def blame(custody: Custody, policy: Policy) -> Blame:
    """The diverting parties: the last custodian of record; a sub-customer with its distributor
    jointly (the distributor is the company's contract partner and bears the transfer)."""
    if custody.custodian_kind == "sub_customer" and custody.custodian_id is not None:
        return Blame(
            custody.custodian_distributor_id,
            custody.custodian_id,
            "sub_customer_custodian",
            policy.version,
        )
    if custody.custodian_kind == "distributor" and custody.custodian_id is not None:
        return Blame(custody.custodian_id, None, "distributor_custodian", policy.version)
    if custody.delivered_distributor_id is not None:
        return Blame(
            custody.delivered_distributor_id, None, "delivered_distributor", policy.version
        )
    return Blame(None, None, "never_delivered", policy.version)


@dataclass(frozen=True)
class SubCustomerFine:
    amount_fen: int
    rule: str
    policy_version: str
    reason: str


def sub_customer_fine(
    *,
    cartons: int,
    agreement_signed_at: datetime | None,
    violated_at: datetime,
    advisory: bool,
    policy: Policy,
) -> SubCustomerFine:
    """The diverting sub-customer's own fine at confirmation: only under its own signed
    agreement (SPEC §2.2), never in an advisory market."""
    if cartons < 1:
        raise ValueError("cartons must be >= 1")

    def fine(amount: int, rule: str, reason: str) -> SubCustomerFine:
        return SubCustomerFine(amount, rule, policy.version, reason)

    if advisory:
        return fine(0, "advisory_market", "advisory market: no fine imposed")
    if agreement_signed_at is None or agreement_signed_at > violated_at:
        return fine(0, "no_agreement", "the sub-customer signed no agreement before the diversion")
    per_carton = policy.sub_customers.fine_per_carton_fen
    if per_carton == 0:
        return fine(0, "no_sub_customer_fine", "the policy fines no sub-customer")
    amount = per_carton * cartons
    return fine(
        amount,
        "sub_customer_fine",
        f"{cartons} carton(s) x {per_carton / 100:.2f} CNY = {amount / 100:.2f} CNY",
    )
