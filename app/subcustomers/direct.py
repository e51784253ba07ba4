"""Direct retail accounts (治本, seed step 7.2): shops served by the company's office whose volume
accrues to a chosen wholesaler's reward base from a given date. A sale posts the wholesaler's
credited sales, so it feeds that wholesaler's rebate statement like any delivery."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.auth.visibility import Visibility
from app.common.lookup import invalid
from app.common.types import AwareDatetime, Code, Money, Name, Schema, from_fen, to_fen
from app.common.wire import wire_form
from app.errors import Conflict, NotFound
from app.ledger import service as ledger
from app.ledger.service import LegIn
from app.models import (
    AccountKind,
    DirectAccount,
    DirectAccountAssignment,
    Distributor,
    PartyType,
    Region,
    SubCustomerTier,
)
from rules.direct import Assignment, beneficiary
from rules.policy import load_policy

DIRECT_SALES = "direct_sales"
"""Company system account balancing the credited sales of direct accounts."""


class AssignIn(Schema):
    wholesaler_code: Code
    effective_from: AwareDatetime


class DirectAccountIn(AssignIn):
    code: Code
    name: Name
    region_code: Code
    tier: SubCustomerTier = SubCustomerTier.RETAIL


class DirectSaleIn(Schema):
    ref: Code
    """The office's invoice or delivery-note number: one sale per account and ref."""
    amount: Money
    sold_at: AwareDatetime


class AssignmentOut(BaseModel):
    wholesaler_code: str
    effective_from: datetime
    set_by: str


class DirectAccountOut(BaseModel):
    code: str
    name: str
    tier: SubCustomerTier
    region_code: str
    wholesaler_code: str | None
    """The wholesaler credited now (null before the first assignment takes effect)."""
    assignments: list[AssignmentOut]
    """Every assignment, oldest first: who was credited from when."""


class DirectSaleOut(BaseModel):
    account_code: str
    ref: str
    amount: Money
    sold_at: datetime
    wholesaler_code: str | None
    """The wholesaler credited: the one assigned at `sold_at`; null: nobody yet, not posted."""
    rule: str
    posted: bool


def _distributor(session: Session, code: str, field: str) -> Distributor:
    d = session.scalar(select(Distributor).where(Distributor.code == code))
    if d is None:
        raise invalid(field, f"unknown distributor {code!r}")
    return d


def _assignments(session: Session, account_id: int) -> list[tuple[DirectAccountAssignment, str]]:
    return [
        (a, code)
        for a, code in session.execute(
            select(DirectAccountAssignment, Distributor.code)
            .join(Distributor, Distributor.id == DirectAccountAssignment.distributor_id)
            .where(DirectAccountAssignment.account_id == account_id)
            .order_by(DirectAccountAssignment.effective_from)
        ).all()
    ]


def _out(session: Session, account: DirectAccount, now: datetime) -> DirectAccountOut:
    rows = _assignments(session, account.id)
    codes = {a.distributor_id: code for a, code in rows}
    current = beneficiary([Assignment(a.distributor_id, a.effective_from) for a, _ in rows], now)
    region = session.get_one(Region, account.region_id)
    return wire_form(
        DirectAccountOut,
        account,
        region_code=region.code,
        wholesaler_code=codes.get(current.distributor_id or 0),
        assignments=[
            AssignmentOut(wholesaler_code=code, effective_from=a.effective_from, set_by=a.set_by)
            for a, code in rows
        ],
    )


def create(
    session: Session, *, data: DirectAccountIn, actor: str, now: datetime
) -> DirectAccountOut:
    """Register a direct account with its first wholesaler."""
    if session.scalar(select(DirectAccount.id).where(DirectAccount.code == data.code)):
        raise Conflict(f"direct account {data.code!r} already exists")
    region = session.scalar(select(Region).where(Region.code == data.region_code))
    if region is None:
        raise invalid("region_code", f"unknown region {data.region_code!r}")
    wholesaler = _distributor(session, data.wholesaler_code, "wholesaler_code")
    account = DirectAccount(
        code=data.code, name=data.name, tier=data.tier, region_id=region.id, created_by=actor
    )
    session.add(account)
    session.flush()
    _assign(session, account, wholesaler, data.effective_from, actor)
    return _out(session, account, now)


def _assign(
    session: Session, account: DirectAccount, d: Distributor, effective_from: datetime, actor: str
) -> None:
    clash = session.scalar(
        select(DirectAccountAssignment.id).where(
            DirectAccountAssignment.account_id == account.id,
            DirectAccountAssignment.effective_from == effective_from,
        )
    )
    if clash is not None:
        raise Conflict(f"direct account {account.code!r} already has a wholesaler from that time")
    session.add(
        DirectAccountAssignment(
            account_id=account.id, distributor_id=d.id, effective_from=effective_from, set_by=actor
        )
    )
    session.flush()
    audit.change(
        session,
        actor,
        "direct_account.assigned",
        account.code,
        {"wholesaler": d.code, "effective_from": effective_from.isoformat()},
    )


def _account(session: Session, code: str, vis: Visibility | None = None) -> DirectAccount:
    account = session.scalar(select(DirectAccount).where(DirectAccount.code == code))
    if account is not None and vis is not None and not vis.everything:
        mine = session.scalar(
            select(DirectAccountAssignment.id).where(
                DirectAccountAssignment.account_id == account.id,
                DirectAccountAssignment.distributor_id.in_(vis.distributor_ids),
            )
        )
        account = account if mine is not None else None
    if account is None:
        raise NotFound(f"direct account {code!r} not found")
    return account


def assign(
    session: Session, *, code: str, data: AssignIn, actor: str, now: datetime
) -> DirectAccountOut:
    """From `effective_from` on, the account's sales go to another wholesaler."""
    account = _account(session, code)
    _assign(
        session,
        account,
        _distributor(session, data.wholesaler_code, "wholesaler_code"),
        data.effective_from,
        actor,
    )
    return _out(session, account, now)


def get(session: Session, *, code: str, vis: Visibility, now: datetime) -> DirectAccountOut:
    return _out(session, _account(session, code, vis), now)


def list_accounts(session: Session, *, vis: Visibility, now: datetime) -> list[DirectAccountOut]:
    """Every account (staff), or those ever credited to the caller's distributor."""
    stmt = select(DirectAccount).order_by(DirectAccount.code)
    if not vis.everything:
        stmt = stmt.where(
            DirectAccount.id.in_(
                select(DirectAccountAssignment.account_id).where(
                    DirectAccountAssignment.distributor_id.in_(vis.distributor_ids)
                )
            )
        )
    return [_out(session, a, now) for a in session.scalars(stmt)]


def record_sale(session: Session, *, code: str, data: DirectSaleIn, actor: str) -> DirectSaleOut:
    """Credit a direct sale to the wholesaler assigned at the time of the sale."""
    account = _account(session, code)
    rows = _assignments(session, account.id)
    who = beneficiary(
        [Assignment(a.distributor_id, a.effective_from) for a, _ in rows], data.sold_at
    )
    wholesaler = {a.distributor_id: c for a, c in rows}.get(who.distributor_id or 0)
    amount_fen = to_fen(data.amount)
    cause_key = f"{account.code}/{data.ref}"
    if ledger.entry_for(session, cause_type="direct_sale", cause_key=cause_key) is not None:
        raise Conflict(f"sale {data.ref!r} of direct account {code!r} is already recorded")
    posted = False
    if wholesaler is not None and amount_fen > 0:
        posted = (
            ledger.post_entry(
                session,
                cause_type="direct_sale",
                cause_key=cause_key,
                legs=[
                    LegIn(
                        PartyType.DISTRIBUTOR,
                        wholesaler,
                        AccountKind.credited_sales,
                        amount_fen,
                        "direct_account_wholesaler",
                    ),
                    LegIn(
                        PartyType.SYSTEM,
                        DIRECT_SALES,
                        AccountKind.system,
                        -amount_fen,
                        "direct_account_sale",
                    ),
                ],
                rule=who.rule,
                policy_version=load_policy().version,
                memo=f"direct account {account.code} ({account.name}) sale {data.ref}: "
                f"reward base of {wholesaler}",
                actor=actor,
            )
            is not None
        )
    audit.change(
        session,
        actor,
        "direct_account.sale",
        account.code,
        {
            "ref": data.ref,
            "amount_fen": amount_fen,
            "sold_at": data.sold_at.isoformat(),
            "wholesaler": wholesaler,
            "rule": who.rule,
        },
    )
    return DirectSaleOut(
        account_code=account.code,
        ref=data.ref,
        amount=from_fen(amount_fen),
        sold_at=data.sold_at,
        wholesaler_code=wholesaler,
        rule=who.rule,
        posted=posted,
    )
