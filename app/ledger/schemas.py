"""Ledger reads: balances and statements, money as decimal strings."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, PlainSerializer

from app.models import AccountKind, PartyType

SignedMoney = Annotated[Decimal, PlainSerializer(lambda d: f"{d:.2f}", return_type=str)]
"""A CNY amount that may be negative (a debit), as a decimal string ("-96.00")."""


class BalanceOut(BaseModel):
    party_type: PartyType
    party_code: str
    credited_sales: SignedMoney


class BalancesOut(BaseModel):
    period: str
    items: list[BalanceOut]


class EntryInfo(BaseModel):
    """What a journal entry says about itself: when, why, under which rule and policy."""

    entry_id: str
    posted_at: datetime
    period: str
    cause_type: str
    cause_key: str
    rule: str
    policy_version: str
    memo: str
    actor: str
    reverses_entry_id: str | None


class StatementLineOut(EntryInfo):
    """One line of a party's account with the entry that posted it and why."""

    amount: SignedMoney
    role: str
    balance_after: SignedMoney


class StatementOut(BaseModel):
    party_type: PartyType
    party_code: str
    kind: AccountKind
    period: str | None
    opening_balance: SignedMoney
    closing_balance: SignedMoney
    lines: list[StatementLineOut]


class PostingLineOut(BaseModel):
    party_type: PartyType
    party_code: str
    kind: AccountKind
    amount: SignedMoney
    role: str


class PostingOut(EntryInfo):
    """A journal entry with the lines the caller may see."""

    lines: list[PostingLineOut]


class EffectOut(BaseModel):
    """What one violation's transfer changed: "this diversion cost you ¥X of rebate"."""

    violation_id: int
    credited_change: SignedMoney
    pay_change: SignedMoney
    """Pay with the transfer minus pay without it: negative is what the diversion cost."""
    note: str


class RebateOut(BaseModel):
    distributor_code: str
    credited_sales: SignedMoney
    """Credited sales of the period; a reversal counts in the month of the entry it reverses."""
    rate: str
    """The schedule's rate for that amount, a decimal fraction ("0.02")."""
    rebate: SignedMoney
    """credited_sales x rate, rounded half up to the fen."""
    cut_pct: int
    """Percent withheld by a rebate-cut step of the sanctions ladder in the period."""
    payable: SignedMoney
    effects: list[EffectOut]


class RebatesOut(BaseModel):
    period: str
    closed: bool
    policy_version: str
    items: list[RebateOut]


class CommissionOut(BaseModel):
    salesperson_code: str
    credited_sales: SignedMoney
    rate: str
    commission: SignedMoney
    effects: list[EffectOut]


class CommissionsOut(BaseModel):
    period: str
    closed: bool
    policy_version: str
    items: list[CommissionOut]


class PeriodCloseOut(BaseModel):
    period: str
    closed_at: datetime
    actor: str
    policy_version: str
    entries_posted: int


class DepositOut(BaseModel):
    distributor_code: str
    balance: SignedMoney


class DepositsOut(BaseModel):
    items: list[DepositOut]
