"""Who a violation names: the parties of a case and who may contest it. Pure functions over
facts the service gathers; each answer names the rule that decided it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rules.vocab import Tier, ViolationKind

TIER_RANK = {t: i for i, t in enumerate(Tier)}


@dataclass(frozen=True)
class Holder:
    """A distributor holding a region of the scanned region's path."""

    id: int
    tier: Tier
    code: str
    salesperson_id: int | None


@dataclass(frozen=True)
class Invaded:
    distributor_id: int | None
    salesperson_id: int | None
    rule: str


def invaded_party(
    holders_by_level: Sequence[Sequence[Holder]], salesperson_by_level: Sequence[int | None]
) -> Invaded:
    """The invaded party of a scanned region. Both sequences run from the scanned region up
    its ancestors. The nearest level held by any distributor decides, the leading tier first
    (then the code, so the choice is stable); with no distributor anywhere on the path (a
    guerrilla zone), the nearest salesperson alone."""
    for holders in holders_by_level:
        if holders:
            best = min(holders, key=lambda h: (TIER_RANK[h.tier], h.code))
            return Invaded(best.id, best.salesperson_id, "invaded.nearest_holder_leading_tier")
    for salesperson in salesperson_by_level:
        if salesperson is not None:
            return Invaded(None, salesperson, "invaded.no_distributor_nearest_salesperson")
    return Invaded(None, None, "invaded.nobody")


@dataclass(frozen=True)
class CaseParties:
    diverting_distributor_id: int | None
    diverting_salesperson_id: int | None
    diverting_sub_customer_id: int | None
    invaded_distributor_id: int | None
    invaded_salesperson_id: int | None
    rule: str


def case_parties(
    kind: ViolationKind,
    *,
    diverting_distributor_id: int | None,
    diverting_salesperson_id: int | None,
    diverting_sub_customer_id: int | None,
    invaded: Invaded,
    known_invaded_distributor_id: int | None = None,
) -> CaseParties:
    """The parties a new case names.

    - A cloned code proves nothing about who diverted: HQ reviews it and nobody is named.
    - A price case names the seller alone: nobody was invaded.
    - A case that knows its invaded distributor (a receipt from outside the supply line
      invades the receiver's distributor) names it; otherwise the scanned region decides.
    - A distributor never invades itself: goods found in its own other territory name no
      invaded distributor."""
    if kind is ViolationKind.CLONED:
        return CaseParties(None, None, None, None, None, "case.cloned_names_nobody")
    if kind is ViolationKind.PRICE:
        # Price disorder harms the market, not one neighbour's credited sales: the case names
        # the seller (and its salesperson) only, and moves no value.
        return CaseParties(
            diverting_distributor_id,
            diverting_salesperson_id,
            diverting_sub_customer_id,
            None,
            None,
            "case.price_names_the_seller",
        )
    invaded_d, rule = invaded.distributor_id, invaded.rule
    if known_invaded_distributor_id is not None:
        invaded_d, rule = known_invaded_distributor_id, "invaded.receiver_distributor"
    if invaded_d is not None and invaded_d == diverting_distributor_id:
        invaded_d, rule = None, "invaded.not_the_diverter_itself"
    return CaseParties(
        diverting_distributor_id,
        diverting_salesperson_id,
        diverting_sub_customer_id,
        invaded_d,
        invaded.salesperson_id,
        rule,
    )


@dataclass(frozen=True)
class MayAppeal:
    allowed: bool
    rule: str


def may_appeal(
    *, caller_distributor_id: int | None, diverting_distributor_id: int | None
) -> MayAppeal:
    """Only the diverting distributor contests a case, also on behalf of its sub-customer
    (the company's contract partner answers for its channel); nobody contests a case that
    names no diverting distributor."""
    if caller_distributor_id is None or diverting_distributor_id is None:
        return MayAppeal(False, "appeal.diverting_distributor_only")
    if caller_distributor_id != diverting_distributor_id:
        return MayAppeal(False, "appeal.diverting_distributor_only")
    return MayAppeal(True, "appeal.by_diverting_distributor")
