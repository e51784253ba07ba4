"""Checks at the hand-off (预警, SPEC §2.11): may this carton be shipped (出库) to that party, and
what does its receipt (入库) mean. Pure functions over frozen facts; the service gathers the facts
and applies the decision."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from rules.policy import Policy, ShipOutsideTerritory


class Outcome(StrEnum):
    ACCEPTED = "accepted"
    WARNING = "warning"
    REFUSED = "refused"


class Reason(StrEnum):
    """Machine codes of a hand-off that is not simply accepted."""

    TO_SELF = "to_self"
    VOIDED = "voided"
    NOT_DELIVERED = "not_delivered"
    NOT_CUSTODIAN = "not_custodian"
    NOT_AUTHORIZED = "not_authorized"
    """The scanning sub-customer is pending or revoked: it may not move goods."""
    RECEIVER_NOT_AUTHORIZED = "receiver_not_authorized"
    """The receiving sub-customer is pending or revoked: no certificate, no goods."""
    OUTSIDE_TERRITORY = "outside_territory"
    ALREADY_HELD = "already_held"
    NOT_SHIPPED_TO_YOU = "not_shipped_to_you"
    OUTSIDE_SUPPLY_LINE = "outside_supply_line"


@dataclass(frozen=True)
class Party:
    """A party that can hold goods: a distributor, or a sub-customer under its distributor."""

    kind: str
    """`distributor` or `sub_customer`."""
    id: int
    distributor_id: int
    """Its supply line: itself for a distributor, the supplying distributor for a sub-customer."""
    region_paths: tuple[tuple[str, ...], ...] = ()
    """Each region the party sits in (a distributor may hold several), with its ancestors."""
    authorized: bool = True
    """False for a pending or revoked sub-customer."""

    @property
    def key(self) -> tuple[str, int]:
        return (self.kind, self.id)


@dataclass(frozen=True)
class CartonState:
    voided: bool
    custodian: Party | None
    """Its custodian of record; None before a waybill delivered it."""
    pending_to: tuple[str, int] | None
    """Where its custodian shipped it, until the receiver scans it in."""
    territory_region_codes: frozenset[str]


@dataclass(frozen=True)
class HandOffDecision:
    outcome: Outcome
    reason: Reason | None
    rule: str
    policy_version: str
    moves: bool
    """Whether the hand-off takes effect: a ship sets the carton's pending receiver, a receive
    makes the receiver its custodian. A refused hand-off changes nothing."""
    opens_violation: bool = False
    detail: str = ""


def inside_territory(region_paths: Sequence[Sequence[str]], territory: frozenset[str]) -> bool:
    """Every region of the party lies inside the territory (a region or one of its ancestors
    belongs to it). A party with no region is never inside."""
    return bool(region_paths) and all(
        any(code in territory for code in path) for path in region_paths
    )


def decide_ship(
    *, shipper: Party, receiver: Party, carton: CartonState, policy: Policy
) -> HandOffDecision:
    """May `shipper` ship this carton to `receiver`?"""

    def decide(
        outcome: Outcome, reason: Reason | None, rule: str, detail: str, **kw: bool
    ) -> HandOffDecision:
        moves = outcome is not Outcome.REFUSED
        return HandOffDecision(outcome, reason, rule, policy.version, moves, detail=detail, **kw)

    if receiver.key == shipper.key:
        return decide(Outcome.REFUSED, Reason.TO_SELF, "ship_to_self", "a hand-off to yourself")
    if carton.voided:
        return decide(Outcome.REFUSED, Reason.VOIDED, "voided", "the code was voided")
    if not shipper.authorized:
        return decide(
            Outcome.REFUSED,
            Reason.NOT_AUTHORIZED,
            "shipper_not_authorized",
            "your authorized-dealer certificate is pending or revoked",
        )
    if carton.custodian is None or carton.custodian.key != shipper.key:
        return decide(
            Outcome.REFUSED, Reason.NOT_CUSTODIAN, "not_custodian", "you do not hold this carton"
        )
    if not receiver.authorized:
        return decide(
            Outcome.REFUSED,
            Reason.RECEIVER_NOT_AUTHORIZED,
            "receiver_not_authorized",
            "the receiver's authorized-dealer certificate is pending or revoked",
        )
    if not inside_territory(receiver.region_paths, carton.territory_region_codes):
        territory = ", ".join(sorted(carton.territory_region_codes))
        detail = f"the receiver lies outside the carton's territory ({territory})"
        if policy.custody.ship_outside_territory is ShipOutsideTerritory.WARN_AND_OPEN:
            return decide(
                Outcome.WARNING,
                Reason.OUTSIDE_TERRITORY,
                "ship_outside_territory_warn",
                detail,
                opens_violation=True,
            )
        return decide(
            Outcome.REFUSED, Reason.OUTSIDE_TERRITORY, "ship_outside_territory_refused", detail
        )
    return decide(Outcome.ACCEPTED, None, "ship_inside_territory", "")


def decide_receive(*, receiver: Party, carton: CartonState, policy: Policy) -> HandOffDecision:
    """What `receiver` scanning this carton in (入库) means. The goods are in its hands whatever
    the record said, so every receipt that can be judged moves custody; one from outside the
    receiver's supply line is bought from elsewhere (从别处进货) and opens a diversion."""

    def decide(
        outcome: Outcome, reason: Reason | None, rule: str, detail: str, **kw: bool
    ) -> HandOffDecision:
        moves = outcome is not Outcome.REFUSED
        return HandOffDecision(outcome, reason, rule, policy.version, moves, detail=detail, **kw)

    if carton.voided:
        return decide(Outcome.REFUSED, Reason.VOIDED, "voided", "the code was voided")
    if not receiver.authorized:
        return decide(
            Outcome.REFUSED,
            Reason.NOT_AUTHORIZED,
            "receiver_not_authorized",
            "your authorized-dealer certificate is pending or revoked",
        )
    custodian = carton.custodian
    if custodian is None:
        return decide(
            Outcome.REFUSED,
            Reason.NOT_DELIVERED,
            "not_delivered",
            "the company has not delivered this carton to anyone yet",
        )
    if custodian.key == receiver.key:
        return decide(Outcome.REFUSED, Reason.ALREADY_HELD, "already_held", "you hold it already")
    if carton.pending_to == receiver.key:
        return decide(Outcome.ACCEPTED, None, "shipped_to_you", "")
    if custodian.distributor_id != receiver.distributor_id:
        return decide(
            Outcome.WARNING,
            Reason.OUTSIDE_SUPPLY_LINE,
            "received_from_outside_supply_line",
            "the carton's custodian is outside your supply line: bought from elsewhere",
            opens_violation=True,
        )
    return decide(
        Outcome.WARNING,
        Reason.NOT_SHIPPED_TO_YOU,
        "received_unshipped",
        "your supply line holds it, but it was not shipped to you",
    )
