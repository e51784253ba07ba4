"""Price disorder (乱价) as a case (SPEC §2.16): whether a price below the floor opens a case,
against whom, and what its confirmation costs. Pure functions over facts the service gathers;
each answer names its rule and policy version."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rules.agreements import OwnFineRules, agreed, own_fine_rule
from rules.blame import Custody, blame
from rules.penalties import multiplied, repeat_multiplier
from rules.policy import Policy
from rules.verdicts import below_floor


@dataclass(frozen=True)
class PriceCase:
    """Whether a priced scan of one carton opens (or joins) a price case, and its seller."""

    opens: bool
    seller_distributor_id: int | None
    seller_sub_customer_id: int | None
    rule: str
    policy_version: str


def price_case(
    *,
    observed_fen: int | None,
    floor_fen: int | None,
    custody: Custody,
    policy: Policy,
    genuine: bool = True,
) -> PriceCase:
    """A price below the floor is a case against the seller, diverted or not and wherever it
    was found (inside the carton's own region too): the carton's last custodian of record, a
    sub-customer together with its distributor (the company's contract partner)."""

    def case(opens: bool, rule: str, d: int | None = None, s: int | None = None) -> PriceCase:
        return PriceCase(opens, d, s, rule, policy.version)

    if not policy.price_cases.open_cases:
        return case(False, "price.cases_off")
    if not genuine:
        # A copied or voided code says nothing about who sold the goods in hand.
        return case(False, "price.not_genuine_goods")
    if observed_fen is None or floor_fen is None:
        return case(False, "price.not_priced")
    if not below_floor(observed_fen=observed_fen, floor_fen=floor_fen, policy=policy):
        return case(False, "price.at_or_above_floor")
    seller = blame(custody, policy)
    if seller.diverting_distributor_id is None:
        return case(False, "price.no_seller_of_record")
    return case(
        True,
        f"price.{seller.rule}",
        seller.diverting_distributor_id,
        seller.diverting_sub_customer_id,
    )


@dataclass(frozen=True)
class PriceFine:
    amount_fen: int
    offence_number: int
    rule: str
    policy_version: str
    reason: str


def price_fine(
    *,
    cartons: int,
    prior_confirmed_in_lookback: int,
    agreement_signed_at: datetime | None,
    violated_at: datetime,
    advisory: bool,
    policy: Policy,
) -> PriceFine:
    """The seller's distributor's fine for a confirmed price case: per carton, times the
    repeat multiplier of its price offences; none without a signed agreement (SPEC §2.2)."""
    if cartons < 1 or prior_confirmed_in_lookback < 0:
        raise ValueError("cartons must be >= 1 and prior_confirmed_in_lookback >= 0")
    offence = prior_confirmed_in_lookback + 1

    def fine(amount: int, rule: str, reason: str) -> PriceFine:
        return PriceFine(amount, offence, rule, policy.version, reason)

    if advisory:
        return fine(0, "price_fine.advisory_market", "advisory market: no fine imposed")
    if not agreed(agreement_signed_at, violated_at):
        return fine(0, "price_fine.no_agreement", "no signed agreement on file before the sale")
    per_carton = policy.price_cases.fine_per_carton_fen
    if per_carton == 0:
        return fine(0, "price_fine.none_in_policy", "the policy fines no price disorder")
    multiplier = repeat_multiplier(offence, policy)
    amount = multiplied(per_carton * cartons, multiplier)
    reason = f"{cartons} carton(s) sold below the floor x {per_carton / 100:.2f} CNY"
    if multiplier != 1:
        reason += f" x {multiplier} (price offence {offence})"
    return fine(amount, "price_fine.schedule", f"{reason} = {amount / 100:.2f} CNY")


SUB_CUSTOMER_PRICE_FINE = OwnFineRules(
    rate=lambda p: p.price_cases.sub_customer_fine_per_carton_fen,
    advisory="price_fine.advisory_market",
    no_agreement="price_fine.no_agreement",
    no_agreement_reason="the sub-customer signed no agreement",
    none_in_policy="price_fine.none_in_policy",
    none_in_policy_reason="the policy fines no sub-customer",
    schedule="price_fine.sub_customer",
)


sub_customer_price_fine = own_fine_rule(SUB_CUSTOMER_PRICE_FINE)
"""A selling sub-customer's own fine: only under its own signed agreement."""
