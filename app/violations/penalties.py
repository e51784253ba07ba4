"""What a confirmation moves on the ledger (SPEC §2.3 transfer, fine) and how a reversal undoes it.
What moves, from whom, to whom is decided in `rules.transfers`, the fine in `rules.penalties`;
this module only gathers the facts and posts."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.ledger import money
from app.ledger import service as ledger
from app.ledger.service import LegIn
from app.models import (
    AccountKind,
    Distributor,
    PartyType,
    Salesperson,
    SubCustomer,
    Violation,
    ViolationKind,
)
from app.regions.tree import region_tree
from app.violations import price_cases, salespeople, sanctions
from app.violations.fines import (
    FINE,
    FINE_FROM_DEPOSIT,
    decided,
    own_fine,
    post_fine,
    prior_confirmed,
)
from rules.blame import sub_customer_fine
from rules.penalties import advisory_market, fine_for
from rules.policy import Policy, load_policy
from rules.transfers import case_transfer, chargeable

TRANSFER = "violation_transfer"


def causes(violation_id: int) -> list[tuple[str, str]]:
    """The ledger causes a violation may post under (each posts at most once)."""
    key = str(violation_id)
    return [
        (TRANSFER, key),
        (FINE, key),
        (FINE_FROM_DEPOSIT, key),
        (sanctions.PENALTY, key),
        (sanctions.PENALTY_FROM_DEPOSIT, key),
    ]


def _code(
    session: Session, model: type[Distributor] | type[Salesperson], pk: int | None
) -> str | None:
    if pk is None:
        return None
    return session.scalar(select(model.code).where(model.id == pk))


def _transfer_legs(
    session: Session, v: Violation, *, advisory: bool, policy: Policy
) -> tuple[list[LegIn], str, str]:
    """Gather the parties' codes; `rules.transfers` decides what moves."""
    diverting = session.get_one(Distributor, v.diverting_distributor_id)
    plan = case_transfer(
        value_fen=v.value_fen,
        cartons=v.cartons,
        diverting_distributor=diverting.code,
        diverting_salesperson=_code(session, Salesperson, v.diverting_salesperson_id),
        distributor_salesperson=_code(session, Salesperson, diverting.salesperson_id) or "",
        invaded_distributor=_code(session, Distributor, v.invaded_distributor_id),
        invaded_salesperson=_code(session, Salesperson, v.invaded_salesperson_id),
        advisory=advisory,
        policy=policy,
    )
    legs = [
        LegIn(
            PartyType(leg.party_type.value),
            leg.party_code,
            AccountKind.system if leg.party_type.value == "system" else AccountKind.credited_sales,
            leg.amount_fen,
            leg.role.value,
        )
        for leg in plan.legs
    ]
    return legs, plan.rule, plan.reason


def post_confirmation(session: Session, v: Violation, *, actor: str) -> None:
    """Post the value transfer and, with an agreement on file, the fine; record both decisions."""
    gate = chargeable(v.kind, diverting_distributor_id=v.diverting_distributor_id)
    if not gate.allowed:
        v.fine_fen = 0
        v.fine_reason = decided(gate.reason, gate.rule)  # nothing moves: say which rule held
        return
    policy = load_policy()
    if v.kind is ViolationKind.PRICE:
        price_cases.post_confirmation(session, v, policy=policy, actor=actor)
        return
    path = region_tree(session).path(v.region_id)
    # Once recorded as advisory (at detection) a violation stays so: no retroactive penalty.
    v.advisory = v.advisory or advisory_market([r.code for r in path], policy)
    legs, rule, reason = _transfer_legs(session, v, advisory=v.advisory, policy=policy)
    if legs:
        ledger.post_entry(
            session,
            cause_type=TRANSFER,
            cause_key=str(v.id),
            legs=legs,
            rule=rule,
            policy_version=policy.version,
            memo=f"violation {v.id}: {reason}",
            actor=actor,
        )
    diverting = session.get_one(Distributor, v.diverting_distributor_id)
    fine = fine_for(
        region_kind=path[0].kind.value,
        cartons=max(v.cartons, 1),
        prior_confirmed_in_lookback=prior_confirmed(session, v, policy),
        agreement_signed_at=diverting.agreement_signed_at,
        violated_at=v.detected_at,
        advisory=v.advisory,
        policy=policy,
    )
    v.fine_fen = fine.amount_fen
    v.fine_reason = f"{fine.reason} (policy {fine.policy_version})"[:300]
    _sub_customer_fine(session, v, policy=policy)
    salespeople.record_fine(session, v, policy=policy)
    post_fine(
        session,
        v,
        distributor_code=diverting.code,
        fine=fine,
        label=f"violation {v.id}",
        policy=policy,
        actor=actor,
    )
    if fine.rule == "fine_schedule":
        # The ladder, like the fine, needs the agreement on file and a market that allows it.
        sanctions.climb(session, v, policy=policy, actor=actor)
    session.flush()


def _sub_customer_fine(session: Session, v: Violation, *, policy: Policy) -> None:
    """Record what the diverting sub-customer owes under its own agreement. The ledger's parties
    are the company's contract partners (distributors, salespeople): the sub-customer's fine is
    recorded on the violation, with the rule and policy version that decided it."""
    if v.diverting_sub_customer_id is None:
        return
    sc = session.get_one(SubCustomer, v.diverting_sub_customer_id)
    v.sub_customer_fine_fen, v.sub_customer_fine_reason = own_fine(
        sub_customer_fine, v, agreement_signed_at=sc.agreement_signed_at, policy=policy
    )


def post_reversal(session: Session, v: Violation, *, actor: str, note: str) -> None:
    """Compensate every entry the confirmation posted, withdraw its ladder step, and settle a
    closed period whose rebates it changed; nothing is edited."""
    memo = f"violation {v.id} reversed: {note}" if note else f"violation {v.id} reversed"
    # Deposit payments first: the deposit gets its money back before the fine is withdrawn.
    for cause_type, cause_key in reversed(causes(v.id)):
        entry = ledger.entry_for(session, cause_type=cause_type, cause_key=cause_key)
        if entry is not None:
            ledger.reverse_entry(session, entry=entry, memo=memo, actor=actor)
    sanctions.withdraw(session, v, actor=actor)
    transfer = ledger.entry_for(session, cause_type=TRANSFER, cause_key=str(v.id))
    if transfer is not None:
        parties = {(leg.party_type, leg.party_code) for leg in ledger.legs_of(session, transfer.id)}
        if v.diverting_distributor_id is not None:
            code = session.get_one(Distributor, v.diverting_distributor_id).code
            parties.add((PartyType.DISTRIBUTOR, code))  # a withdrawn rebate cut
        money.settle_closed_period(
            session,
            period=transfer.period,
            parties=parties,
            why=f"violation {v.id} was reversed",
            actor=actor,
        )
