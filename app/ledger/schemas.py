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
