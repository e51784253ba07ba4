"""Deposits (保证金) on the wire: lodging, topping up and refunding (admin)."""

from __future__ import annotations

from fastapi import APIRouter, status

from app.auth.deps import Admin
from app.common.types import Code, Money, Schema, from_fen, to_fen
from app.db import DbSession
from app.ledger import money
from app.ledger.schemas import DepositOut

router = APIRouter(prefix="/deposits", tags=["ledger"])


class DepositIn(Schema):
    distributor_code: Code
    amount: Money


class RefundIn(Schema):
    distributor_code: Code
    amount: Money | None = None
    """Omitted: the whole balance."""


@router.post("", status_code=status.HTTP_201_CREATED)
def lodge_deposit(body: DepositIn, session: DbSession, who: Admin) -> DepositOut:
    """Lodge a distributor's deposit, or top it up; answers with the new balance."""
    balance = money.lodge(
        session, code=body.distributor_code, amount_fen=to_fen(body.amount), actor=who.username
    )
    return DepositOut(distributor_code=body.distributor_code, balance=from_fen(balance))


@router.post("/refund")
def refund_deposit(body: RefundIn, session: DbSession, who: Admin) -> DepositOut:
    """Refund part or all of a deposit; never more than it holds (409)."""
    balance = money.refund(
        session,
        code=body.distributor_code,
        amount_fen=None if body.amount is None else to_fen(body.amount),
        actor=who.username,
    )
    return DepositOut(distributor_code=body.distributor_code, balance=from_fen(balance))
