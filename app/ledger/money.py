"""What credited sales pay (rebates, commissions), closing a period, and deposits.

A period's pay is computed from its credited sales, where a reversal counts in the month of the
entry it reverses: so reversing a violation restores that month's rebate exactly, and a month
already closed is settled by an adjustment posted now, never by an edit.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Set
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from app.common.locks import lock_key
from app.db import utcnow
from app.errors import Conflict, NotFound, Unprocessable
from app.ledger import service as ledger
from app.ledger.service import LegIn
from app.models import (
    AccountKind,
    Distributor,
    JournalEntry,
    JournalLine,
    LedgerAccount,
    PartyType,
    PeriodClose,
    Sanction,
    SanctionStep,
)
from rules.money import Effect, cut_fen, effects, rate_for, rebate_fen
from rules.policy import Policy, RateSchedule, load_policy

TRANSFER = "violation_transfer"
REBATE = "rebate"
COMMISSION = "commission"
PAY_ADJUSTMENT = "pay_adjustment"
DEPOSIT_LODGED = "deposit_lodged"
DEPOSIT_REFUND = "deposit_refund"
REBATES_EXPENSE = "rebates_expense"
"""System account balancing the rebates and commissions payable."""
DEPOSITS_HELD = "deposits_held"
"""System account balancing the deposits the company holds."""


@dataclass
class Pay:
    """One party's pay for a period: credited sales, rate, amount, what cuts it, and what each
    violation's transfer changed in it."""

    party_type: PartyType
    party_code: str
    credited_fen: int
    rate_text: str
    amount_fen: int
    cut_pct: int = 0
    cut_fen: int = 0
    effects: list[Effect] = field(default_factory=list)

    @property
    def payable_fen(self) -> int:
        return self.amount_fen - self.cut_fen


def _schedule(party_type: PartyType, policy: Policy) -> RateSchedule:
    if party_type is PartyType.DISTRIBUTOR:
        return policy.rebates.distributor_tiers
    return policy.rebates.salesperson_tiers


def _credited_by_origin(
    session: Session, *, period: str, party_type: PartyType, codes: Set[str] | None
) -> tuple[dict[str, int], dict[str, dict[int, int]]]:
    """Per party: credited sales of the period, and the part each violation's transfer moved."""
    reversed_ = aliased(JournalEntry)
    origin_period = func.coalesce(reversed_.period, JournalLine.period)
    cause_type = func.coalesce(reversed_.cause_type, JournalEntry.cause_type)
    cause_key = func.coalesce(reversed_.cause_key, JournalEntry.cause_key)
    stmt = (
        select(LedgerAccount.party_code, cause_type, cause_key, func.sum(JournalLine.amount_fen))
        .join(JournalLine, JournalLine.account_id == LedgerAccount.id)
        .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
        .outerjoin(reversed_, reversed_.id == JournalEntry.reverses_entry_id)
        .where(
            LedgerAccount.kind == AccountKind.credited_sales,
            LedgerAccount.party_type == party_type,
            origin_period == period,
        )
        .group_by(LedgerAccount.party_code, cause_type, cause_key)
    )
    if codes is not None:
        if not codes:
            return {}, {}
        stmt = stmt.where(LedgerAccount.party_code.in_(list(codes)))
    totals: dict[str, int] = defaultdict(int)
    moved: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for code, ctype, key, amount in session.execute(stmt):
        totals[code] += int(amount)
        if ctype == TRANSFER:
            moved[code][int(key)] += int(amount)
    return dict(totals), {c: dict(m) for c, m in moved.items()}


def _rebate_cuts(session: Session, *, period: str) -> dict[str, int]:
    """Distributors whose ladder reached a rebate cut in the period, with the cut (percent)."""
    rows = session.execute(
        select(Distributor.code, Sanction.policy_version)
        .join(Sanction, Sanction.distributor_id == Distributor.id)
        .where(
            Sanction.step == SanctionStep.REBATE_CUT,
            Sanction.period == period,
            Sanction.withdrawn_at.is_(None),
        )
    )
    return {code: load_policy(version).sanctions.rebate_cut_pct for code, version in rows}


def pay(
    session: Session,
    *,
    period: str,
    party_type: PartyType,
    codes: Set[str] | None = None,
    policy: Policy | None = None,
) -> list[Pay]:
    """Each party's rebate (distributors) or commission (salespeople) for a period."""
    policy = policy or load_policy()
    tiers = _schedule(party_type, policy)
    totals, moved = _credited_by_origin(session, period=period, party_type=party_type, codes=codes)
    cuts = _rebate_cuts(session, period=period) if party_type is PartyType.DISTRIBUTOR else {}
    out = []
    for code in sorted(totals):
        credited = totals[code]
        amount = rebate_fen(credited, tiers)
        pct = cuts.get(code, 0)
        out.append(
            Pay(
                party_type=party_type,
                party_code=code,
                credited_fen=credited,
                rate_text=str(rate_for(credited, tiers)),
                amount_fen=amount,
                cut_pct=pct,
                cut_fen=cut_fen(amount, pct),
                effects=effects(credited, moved.get(code, {}), tiers),
            )
        )
    return out


def closed(session: Session, period: str) -> PeriodClose | None:
    return session.get(PeriodClose, period)


def _pay_legs(p: Pay, amount_fen: int) -> list[LegIn]:
    kind = AccountKind.rebates if p.party_type is PartyType.DISTRIBUTOR else AccountKind.commissions
    role = "rebate_payable" if p.party_type is PartyType.DISTRIBUTOR else "commission_payable"
    return [
        LegIn(p.party_type, p.party_code, kind, amount_fen, role),
        LegIn(
            PartyType.SYSTEM, REBATES_EXPENSE, AccountKind.system, -amount_fen, f"{role}_expense"
        ),
    ]


def _describe(p: Pay, period: str) -> str:
    text = f"{period}: credited {p.credited_fen / 100:.2f} x {p.rate_text}"
    text += f" = {p.amount_fen / 100:.2f}"
    if p.cut_fen:
        text += f", less a {p.cut_pct}% rebate cut ({p.cut_fen / 100:.2f})"
    return text


def close_period(session: Session, *, period: str, actor: str, now: datetime | None = None) -> int:
    """Post the rebates and commissions payable for an ended month, once; the entries posted."""
    _start, end = ledger.period_bounds(period)
    if (now or utcnow()) < end:
        raise Conflict(f"period {period} has not ended: it can be closed from {end.date()}")
    lock_key(session, "ledger.close", period)  # one closer of a period at a time
    if closed(session, period) is not None:
        raise Conflict(f"period {period} is already closed")
    policy = load_policy()
    posted = 0
    for party_type, cause in ((PartyType.DISTRIBUTOR, REBATE), (PartyType.SALESPERSON, COMMISSION)):
        for p in pay(session, period=period, party_type=party_type, policy=policy):
            if p.payable_fen == 0:
                continue
            entry = ledger.post_entry(
                session,
                cause_type=cause,
                cause_key=f"{period}:{p.party_code}",
                legs=_pay_legs(p, p.payable_fen),
                rule=f"{cause}_schedule",
                policy_version=policy.version,
                memo=f"{cause} {_describe(p, period)}",
                actor=actor,
            )
            posted += entry is not None
    session.add(PeriodClose(period=period, actor=actor, policy_version=policy.version))
    session.flush()
    return posted


def paid_for(session: Session, *, party_type: PartyType, code: str, period: str) -> int:
    """What was posted as payable to a party for a period (its closing and later adjustments)."""
    kind = AccountKind.rebates if party_type is PartyType.DISTRIBUTOR else AccountKind.commissions
    total = session.scalar(
        select(func.coalesce(func.sum(JournalLine.amount_fen), 0))
        .join(LedgerAccount, LedgerAccount.id == JournalLine.account_id)
        .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
        .where(
            LedgerAccount.party_type == party_type,
            LedgerAccount.party_code == code,
            LedgerAccount.kind == kind,
            JournalEntry.cause_key.startswith(f"{period}:"),
        )
    )
    return int(total or 0)


def settle_closed_period(
    session: Session, *, period: str, parties: Set[tuple[PartyType, str]], why: str, actor: str
) -> None:
    """After a closed period changed (a reversal), post the difference between what its parties
    should now be paid and what was posted, in the current period."""
    if closed(session, period) is None:
        return  # an open period is paid on what it holds when it closes
    policy = load_policy()
    tag = uuid.uuid4().hex[:16]
    for party_type, code in sorted(parties):
        if party_type not in (PartyType.DISTRIBUTOR, PartyType.SALESPERSON):
            continue
        rows = pay(session, period=period, party_type=party_type, codes={code}, policy=policy)
        due = rows[0].payable_fen if rows else 0
        diff = due - paid_for(session, party_type=party_type, code=code, period=period)
        if diff == 0:
            continue
        p = rows[0] if rows else Pay(party_type, code, 0, "0", 0)
        ledger.post_entry(
            session,
            cause_type=PAY_ADJUSTMENT,
            cause_key=f"{period}:{tag}:{code}",
            legs=_pay_legs(p, diff),
            rule="closed_period_adjustment",
            policy_version=policy.version,
            memo=f"adjusts closed {_describe(p, period)} after {why}"[:300],
            actor=actor,
        )


# --- deposits ------------------------------------------------------------------------------


def distributor_code(session: Session, code: str) -> str:
    found = session.scalar(select(Distributor.code).where(Distributor.code == code))
    if found is None:
        raise NotFound(f"distributor {code!r} not found")
    return found


def deposit_fen(session: Session, code: str) -> int:
    """What a distributor's deposit holds now."""
    total = session.scalar(
        select(func.coalesce(func.sum(JournalLine.amount_fen), 0))
        .join(LedgerAccount, LedgerAccount.id == JournalLine.account_id)
        .where(
            LedgerAccount.party_type == PartyType.DISTRIBUTOR,
            LedgerAccount.party_code == code,
            LedgerAccount.kind == AccountKind.deposit,
        )
    )
    return int(total or 0)


def deposits(session: Session, *, codes: Set[str] | None) -> list[tuple[str, int]]:
    """Every distributor's deposit balance (those who ever lodged one)."""
    stmt = (
        select(LedgerAccount.party_code, func.coalesce(func.sum(JournalLine.amount_fen), 0))
        .outerjoin(JournalLine, JournalLine.account_id == LedgerAccount.id)
        .where(
            LedgerAccount.party_type == PartyType.DISTRIBUTOR,
            LedgerAccount.kind == AccountKind.deposit,
        )
        .group_by(LedgerAccount.party_code)
        .order_by(LedgerAccount.party_code)
    )
    if codes is not None:
        if not codes:
            return []
        stmt = stmt.where(LedgerAccount.party_code.in_(list(codes)))
    return [(code, int(total)) for code, total in session.execute(stmt)]


def _positive(amount_fen: int) -> None:
    if amount_fen <= 0:
        raise Unprocessable(
            [{"loc": ["body", "amount"], "msg": "must be more than 0", "type": "value_error"}]
        )


def lodge(session: Session, *, code: str, amount_fen: int, actor: str) -> int:
    """Lodge (or top up) a distributor's deposit; its new balance."""
    code = distributor_code(session, code)
    _positive(amount_fen)
    ledger.post_entry(
        session,
        cause_type=DEPOSIT_LODGED,
        cause_key=uuid.uuid4().hex,
        legs=[
            LegIn(PartyType.DISTRIBUTOR, code, AccountKind.deposit, amount_fen, "deposit_lodged"),
            LegIn(PartyType.SYSTEM, DEPOSITS_HELD, AccountKind.system, -amount_fen, "deposit_held"),
        ],
        rule="deposit_lodged",
        policy_version=load_policy().version,
        memo=f"deposit of {amount_fen / 100:.2f} lodged by {code}",
        actor=actor,
    )
    return deposit_fen(session, code)


def refund(session: Session, *, code: str, amount_fen: int | None, actor: str) -> int:
    """Refund part (or, without an amount, all) of a deposit; its new balance."""
    code = distributor_code(session, code)
    lock_key(session, "ledger.deposit", code)  # the balance read here is the one it leaves
    held = deposit_fen(session, code)
    amount = held if amount_fen is None else amount_fen
    _positive(amount)
    if amount > held:
        raise Conflict(f"the deposit of {code} holds {held / 100:.2f}: cannot refund more")
    ledger.post_entry(
        session,
        cause_type=DEPOSIT_REFUND,
        cause_key=uuid.uuid4().hex,
        legs=[
            LegIn(PartyType.DISTRIBUTOR, code, AccountKind.deposit, -amount, "deposit_refunded"),
            LegIn(PartyType.SYSTEM, DEPOSITS_HELD, AccountKind.system, amount, "deposit_released"),
        ],
        rule="deposit_refund",
        policy_version=load_policy().version,
        memo=f"deposit of {code}: {amount / 100:.2f} refunded",
        actor=actor,
    )
    return deposit_fen(session, code)


def take_from_deposit(
    session: Session,
    *,
    cause_type: str,
    cause_key: str,
    code: str,
    amount_fen: int,
    rule: str,
    policy_version: str,
    memo: str,
    actor: str,
) -> None:
    """Pay `amount_fen` of what a distributor owes (its fines account) from its deposit."""
    if amount_fen <= 0:
        return
    ledger.post_entry(
        session,
        cause_type=cause_type,
        cause_key=cause_key,
        legs=[
            LegIn(PartyType.DISTRIBUTOR, code, AccountKind.deposit, -amount_fen, "from_deposit"),
            LegIn(PartyType.DISTRIBUTOR, code, AccountKind.fines, amount_fen, "from_deposit"),
        ],
        rule=rule,
        policy_version=policy_version,
        memo=memo,
        actor=actor,
    )
