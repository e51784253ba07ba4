"""How much a diversion moves, from whom, to whom (SPEC §2.3 transfer). Pure functions over
facts the service gathers; every answer names the rule that decided it.

- What a case is worth is fixed when it opens: the sum of its cartons' values then
  (`case_value`), so a later price change never rewrites a transfer.
- Only a confirmed diversion that names a diverting distributor moves anything
  (`chargeable`): a cloned code blames nobody, and goods never delivered charge nobody.
- The diverting distributor and its salesperson each give up the value; the invaded
  distributor (or a system account) and the invaded side's salesperson (or the company, or a
  system account, by policy) each receive it (`transfer_plan`, `case_transfer`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from rules.money import cny
from rules.policy import NoInvadedDistributor, Policy, SalespersonSide
from rules.vocab import PartyType, ViolationKind

SYSTEM_UNASSIGNED = "unassigned"
"""Company system account balancing whatever the policy assigns to no party."""
SYSTEM_COMPANY = "company"
"""Company system account taking the salesperson side when the policy says `company`."""


class LegRole(StrEnum):
    """Why a leg is in a transfer, for statements that show each line's cause."""

    DIVERTING_DISTRIBUTOR = "diverting_distributor"
    DIVERTING_SALESPERSON = "diverting_salesperson"
    INVADED_DISTRIBUTOR = "invaded_distributor"
    INVADED_SALESPERSON_SIDE = "invaded_salesperson_side"


@dataclass(frozen=True)
class Leg:
    """One posting of a transfer; negative lowers the party's credited sales."""

    party_type: PartyType
    party_code: str
    amount_fen: int
    role: LegRole


@dataclass(frozen=True)
class Move:
    """`amount_fen` leaves `payer` and reaches `payee`: one line of "who pays whom"."""

    amount_fen: int
    payer: Leg
    """The paying side's posting (its amount is `-amount_fen`)."""
    payee: Leg
    """The receiving side's posting (its amount is `amount_fen`)."""


@dataclass(frozen=True)
class TransferPlan:
    """The moves of a diversion's value transfer, or none with the reason."""

    moves: tuple[Move, ...]
    value_fen: int
    rule: str
    policy_version: str
    reason: str

    @property
    def legs(self) -> tuple[Leg, ...]:
        """The ledger postings (sum zero): every payer first, then every payee."""
        return tuple(m.payer for m in self.moves) + tuple(m.payee for m in self.moves)


@dataclass(frozen=True)
class Chargeable:
    """Whether a confirmed case moves money at all, and if not, why."""

    allowed: bool
    rule: str
    reason: str


def case_value(carton_values_fen: Iterable[int]) -> int:
    """What a case is worth: its cartons' values when it opens, summed."""
    return sum(carton_values_fen)


def chargeable(kind: ViolationKind, *, diverting_distributor_id: int | None) -> Chargeable:
    """A cloned code blames nobody, so it moves nothing; nor does a case with no diverting
    distributor (the goods were never delivered to one)."""
    if kind is ViolationKind.CLONED:
        return Chargeable(
            False,
            "case.cloned_names_nobody",
            "confirmed counterfeit (cloned code): no transfer and no fine",
        )
    if diverting_distributor_id is None:
        return Chargeable(
            False,
            "case.nobody_to_charge",
            "the goods were never delivered to a distributor: nobody to charge",
        )
    return Chargeable(True, "case.diverting_distributor_charged", "")


def transfer_plan(
    *,
    carton_value_fen: int,
    cartons: int,
    diverting_distributor: str,
    diverting_salesperson: str,
    invaded_distributor: str | None,
    invaded_salesperson: str | None,
    advisory: bool,
    policy: Policy,
) -> TransferPlan:
    """Plan the SPEC §2.3 transfer: the diverting side loses the value, the invaded side gains."""
    if carton_value_fen < 0 or cartons < 1:
        raise ValueError("carton_value_fen must be >= 0 and cartons >= 1")
    value = carton_value_fen * cartons

    def plan(rule: str, reason: str, moves: tuple[Move, ...] = ()) -> TransferPlan:
        return TransferPlan(moves, value, rule, policy.version, reason)

    if advisory:
        return plan("advisory_market", "advisory market: transfer recorded, not posted")
    if value == 0:
        return plan("zero_value", "carton value is zero: nothing to transfer")
    if invaded_distributor is None and (
        policy.transfer.no_invaded_distributor is NoInvadedDistributor.SKIP
    ):
        return plan("no_invaded_distributor", "no invaded distributor: policy posts no transfer")

    notes: list[str] = []
    if invaded_distributor is None:
        gainer = (PartyType.SYSTEM, SYSTEM_UNASSIGNED)
        notes.append(f"no invaded distributor: credited to system account {SYSTEM_UNASSIGNED}")
    else:
        gainer = (PartyType.DISTRIBUTOR, invaded_distributor)

    side = policy.transfer.salesperson_side
    if side is SalespersonSide.INVADED_REGION_SALESPERSON and invaded_salesperson is not None:
        receiver = (PartyType.SALESPERSON, invaded_salesperson)
    elif side is SalespersonSide.COMPANY:
        receiver = (PartyType.SYSTEM, SYSTEM_COMPANY)
        notes.append(f"salesperson side to system account {SYSTEM_COMPANY}")
    else:
        receiver = (PartyType.SYSTEM, SYSTEM_UNASSIGNED)
        why = "policy credits no salesperson"
        if side is SalespersonSide.INVADED_REGION_SALESPERSON:
            why = "invaded region has no salesperson"
        notes.append(f"{why}: salesperson side to system account {SYSTEM_UNASSIGNED}")

    moves = (
        Move(
            value,
            Leg(
                PartyType.DISTRIBUTOR, diverting_distributor, -value, LegRole.DIVERTING_DISTRIBUTOR
            ),
            Leg(*gainer, value, LegRole.INVADED_DISTRIBUTOR),
        ),
        Move(
            value,
            Leg(
                PartyType.SALESPERSON, diverting_salesperson, -value, LegRole.DIVERTING_SALESPERSON
            ),
            Leg(*receiver, value, LegRole.INVADED_SALESPERSON_SIDE),
        ),
    )
    reason = f"{cartons} carton(s) x {cny(carton_value_fen)} = {cny(value)} moved"
    return plan("value_transfer", "; ".join([reason, *notes]), moves)


def case_transfer(
    *,
    value_fen: int,
    cartons: int,
    diverting_distributor: str,
    diverting_salesperson: str | None,
    distributor_salesperson: str,
    invaded_distributor: str | None,
    invaded_salesperson: str | None,
    advisory: bool,
    policy: Policy,
) -> TransferPlan:
    """The transfer of a confirmed case, from what the case recorded when it opened: its value
    (`case_value`) and carton count. The salesperson the case named answers for it, else the
    diverting distributor's own. The value is shown per carton when the cartons share one
    value; a mixed-value case moves its total as one line."""
    if cartons and value_fen % cartons == 0:
        carton_value, count = value_fen // cartons, cartons
    else:
        carton_value, count = value_fen, 1
    return transfer_plan(
        carton_value_fen=carton_value,
        cartons=count,
        diverting_distributor=diverting_distributor,
        diverting_salesperson=diverting_salesperson or distributor_salesperson,
        invaded_distributor=invaded_distributor,
        invaded_salesperson=invaded_salesperson,
        advisory=advisory,
        policy=policy,
    )
