"""Reading the ledger back: an entry's legs, balances, a party's statement and the postings
of a case. Nothing here writes."""

from __future__ import annotations

from collections.abc import Sequence, Set
from dataclasses import dataclass

from sqlalchemy import Select, func, select, tuple_
from sqlalchemy.orm import Session

from app.common.types import from_fen
from app.common.wire import wire_form
from app.ledger.schemas import PostingLineOut, PostingOut, StatementLineOut, StatementOut
from app.models import (
    AccountKind,
    Distributor,
    JournalEntry,
    JournalLine,
    LedgerAccount,
    PartyType,
    Salesperson,
)


@dataclass(frozen=True)
class LegIn:
    """One leg to post: negative lowers the party's balance in that account."""

    party_type: PartyType
    party_code: str
    kind: AccountKind
    amount_fen: int
    role: str


def legs_of(session: Session, entry_id: str) -> list[LegIn]:
    """The legs an entry posted, in line order."""
    rows = session.execute(
        select(
            LedgerAccount.party_type,
            LedgerAccount.party_code,
            LedgerAccount.kind,
            JournalLine.amount_fen,
            JournalLine.role,
        )
        .join(LedgerAccount, LedgerAccount.id == JournalLine.account_id)
        .where(JournalLine.entry_id == entry_id)
        .order_by(JournalLine.id)
    )
    return [LegIn(PartyType(p), c, AccountKind(k), a, r) for p, c, k, a, r in rows]


@dataclass(frozen=True)
class Balance:
    party_type: PartyType
    party_code: str
    kind: AccountKind
    amount_fen: int


def balances(
    session: Session,
    *,
    period: str,
    kinds: Sequence[AccountKind] = (AccountKind.credited_sales,),
    parties: Set[tuple[PartyType, str]] | None = None,
) -> list[Balance]:
    """Per-account sums of the period's lines, for accounts with postings in it (None: all)."""
    stmt = (
        select(
            LedgerAccount.party_type,
            LedgerAccount.party_code,
            LedgerAccount.kind,
            func.sum(JournalLine.amount_fen),
        )
        .join(JournalLine, JournalLine.account_id == LedgerAccount.id)
        .where(JournalLine.period == period, LedgerAccount.kind.in_(list(kinds)))
        .group_by(LedgerAccount.party_type, LedgerAccount.party_code, LedgerAccount.kind)
        .order_by(LedgerAccount.party_type, LedgerAccount.party_code, LedgerAccount.kind)
    )
    if parties is not None:
        if not parties:
            return []
        stmt = stmt.where(
            tuple_(LedgerAccount.party_type, LedgerAccount.party_code).in_(list(parties))
        )
    return [
        Balance(PartyType(t), c, AccountKind(k), int(total))
        for t, c, k, total in session.execute(stmt)
    ]


def _lines_with_entries() -> Select[JournalLine, JournalEntry, LedgerAccount]:
    return (
        select(JournalLine, JournalEntry, LedgerAccount)
        .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
        .join(LedgerAccount, LedgerAccount.id == JournalLine.account_id)
    )


def party_exists(session: Session, *, party_type: PartyType, party_code: str) -> bool:
    """Whether a statement can name this party: a distributor or salesperson on file, or one of
    the company's own accounts (which exist only in the ledger)."""
    if party_type is PartyType.DISTRIBUTOR:
        stmt = select(Distributor.id).where(Distributor.code == party_code)
    elif party_type is PartyType.SALESPERSON:
        stmt = select(Salesperson.id).where(Salesperson.code == party_code)
    else:
        stmt = select(LedgerAccount.id).where(
            LedgerAccount.party_type == party_type, LedgerAccount.party_code == party_code
        )
    return session.scalar(stmt.limit(1)) is not None


def statement(
    session: Session,
    *,
    party_type: PartyType,
    party_code: str,
    kind: AccountKind,
    period: str | None,
) -> StatementOut:
    """Every line of one account (in a period, or ever) with its cause, rule and policy version."""
    account = session.scalar(
        select(LedgerAccount.id).where(
            LedgerAccount.party_type == party_type,
            LedgerAccount.party_code == party_code,
            LedgerAccount.kind == kind,
        )
    )
    opening = 0
    stmt = _lines_with_entries().where(JournalLine.account_id == account)
    if period is not None:
        # YYYY-MM strings order like the months they name.
        opening = (
            session.scalar(
                select(func.coalesce(func.sum(JournalLine.amount_fen), 0)).where(
                    JournalLine.account_id == account, JournalLine.period < period
                )
            )
            or 0
        )
        stmt = stmt.where(JournalLine.period == period)
    running = int(opening)
    lines: list[StatementLineOut] = []
    for line, entry, _acct in session.execute(
        stmt.order_by(JournalEntry.posted_at, JournalLine.id)
    ):
        running += line.amount_fen
        lines.append(
            wire_form(
                StatementLineOut,
                entry,
                entry_id=entry.id,
                amount=from_fen(line.amount_fen),
                role=line.role,
                balance_after=from_fen(running),
            )
        )
    return StatementOut(
        party_type=party_type,
        party_code=party_code,
        kind=kind,
        period=period,
        opening_balance=from_fen(int(opening)),
        closing_balance=from_fen(running),
        lines=lines,
    )


def postings(
    session: Session,
    *,
    causes: Sequence[tuple[str, str]],
    parties: Set[tuple[PartyType, str]] | None,
) -> list[PostingOut]:
    """The entries these causes posted, and their reversals, with the lines `parties` may see."""
    if not causes:
        return []
    entries = list(
        session.scalars(
            select(JournalEntry).where(
                tuple_(JournalEntry.cause_type, JournalEntry.cause_key).in_(list(causes))
            )
        )
    )
    if entries:
        entries += session.scalars(
            select(JournalEntry).where(
                JournalEntry.cause_type == "reversal",
                JournalEntry.cause_key.in_([e.id for e in entries]),
            )
        )
    out: list[PostingOut] = []
    for entry in sorted(entries, key=lambda e: (e.posted_at, e.id)):
        lines = [
            wire_form(PostingLineOut, leg, amount=from_fen(leg.amount_fen))
            for leg in legs_of(session, entry.id)
            if parties is None or (leg.party_type, leg.party_code) in parties
        ]
        out.append(wire_form(PostingOut, entry, entry_id=entry.id, lines=lines))
    return out
