from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, Enum, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utcnow
from rules.vocab import PartyType, values


class AccountKind(enum.StrEnum):
    credited_sales = "credited_sales"
    """Sales credited to a party: what targets and rewards are measured against."""
    fines = "fines"
    """Money a distributor owes for violations: its own account, never credited sales."""
    system = "system"
    """The company's own balancing accounts (shipments, fines income, unassigned)."""
    rebates = "rebates"
    """Volume rebates payable to a distributor for closed periods: never credited sales."""
    commissions = "commissions"
    """Commissions payable to a salesperson for closed periods: never credited sales."""
    deposit = "deposit"
    """The deposit (保证金) a distributor holds with the company; the database keeps it >= 0."""


class LedgerAccount(Base):
    __tablename__ = "ledger_account"
    __table_args__ = (UniqueConstraint("party_type", "party_code", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    party_type: Mapped[PartyType] = mapped_column(
        Enum(PartyType, native_enum=False, values_callable=values, length=12)
    )
    party_code: Mapped[str] = mapped_column(String(40))
    kind: Mapped[AccountKind] = mapped_column(Enum(AccountKind, native_enum=False, length=16))


class JournalEntry(Base):
    """A balanced posting. Its lines are inserted first and the entry row last: the database
    checks, when the entry row arrives, that its lines exist and sum to zero, and refuses
    lines for an entry that is already sealed. Nothing here is ever updated or deleted."""

    __tablename__ = "journal_entry"
    __table_args__ = (UniqueConstraint("cause_type", "cause_key"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    posted_at: Mapped[datetime] = mapped_column(default=utcnow)
    period: Mapped[str] = mapped_column(String(7), index=True)
    """Calendar month of `posted_at` in the business time zone, YYYY-MM."""
    cause_type: Mapped[str] = mapped_column(String(30))
    """delivery, violation_transfer, violation_fine, violation_reversal, ..."""
    cause_key: Mapped[str] = mapped_column(String(80))
    """What caused it (a waybill number, a violation id): unique with cause_type, so the same
    cause can never post twice."""
    reverses_entry_id: Mapped[str | None] = mapped_column(String(32))
    rule: Mapped[str] = mapped_column(String(60))
    policy_version: Mapped[str] = mapped_column(String(40))
    memo: Mapped[str] = mapped_column(String(300))
    actor: Mapped[str] = mapped_column(String(80))


class JournalLine(Base):
    """One leg of a journal entry. The legs of an entry always sum to zero."""

    __tablename__ = "journal_line"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    entry_id: Mapped[str] = mapped_column(
        ForeignKey("journal_entry.id", deferrable=True, initially="DEFERRED"), index=True
    )
    account_id: Mapped[int] = mapped_column(ForeignKey("ledger_account.id"), index=True)
    period: Mapped[str] = mapped_column(String(7))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    """Signed, in fen (0.01 CNY): negative lowers the party's balance."""
    role: Mapped[str] = mapped_column(String(40))
    """Why this party is on the entry (diverting_distributor, invaded_salesperson, ...)."""


class PeriodClose(Base):
    """A period whose rebates and commissions were posted. Closing happens once; what changes
    the period afterwards (a reversal) posts an adjustment in a later period, never an edit."""

    __tablename__ = "period_close"

    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    closed_at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(80))
    policy_version: Mapped[str] = mapped_column(String(40))
