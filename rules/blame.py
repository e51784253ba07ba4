"""Blame where it belongs (SPEC §2.11, §2.12): who answers for diverted goods, and what a
diverting sub-customer bears itself. Pure functions over frozen facts."""

from __future__ import annotations

from dataclasses import dataclass

from rules.agreements import OwnFine, OwnFineRules, own_fine_rule
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


SubCustomerFine = OwnFine

SUB_CUSTOMER_FINE = OwnFineRules(
    rate=lambda p: p.sub_customers.fine_per_carton_fen,
    advisory="advisory_market",
    no_agreement="no_agreement",
    no_agreement_reason="the sub-customer signed no agreement before the diversion",
    none_in_policy="no_sub_customer_fine",
    none_in_policy_reason="the policy fines no sub-customer",
    schedule="sub_customer_fine",
)


sub_customer_fine = own_fine_rule(SUB_CUSTOMER_FINE)
"""The diverting sub-customer's own fine at confirmation: only under its own signed agreement
(SPEC §2.2), never in an advisory market."""
