from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query

from app.auth.deps import require
from app.auth.principal import Principal
from app.auth.visibility import ledger_parties
from app.common.types import MONTH_PATTERN, from_fen
from app.db import DbSession, utcnow
from app.errors import Forbidden, NotFound
from app.ledger import money, service
from app.ledger.money import Pay
from app.ledger.schemas import (
    BalanceOut,
    BalancesOut,
    CommissionOut,
    CommissionsOut,
    DepositOut,
    DepositsOut,
    EffectOut,
    PeriodCloseOut,
    RebateOut,
    RebatesOut,
    StatementOut,
)
from app.models import AccountKind, PartyType, Role
from rules.policy import load_policy

router = APIRouter(prefix="/ledger", tags=["ledger"])

# Who may read credited sales and what is built on them (the ledger, the reports).
LedgerReader = Annotated[
    Principal,
    Depends(require(Role.admin, Role.hq_auditor, Role.distributor, Role.salesperson)),
]
Period = Annotated[
    str | None,
    # Blank means this month, as clients build the query string blindly.
    Query(pattern=rf"^({MONTH_PATTERN.strip('^$')})?$", description="YYYY-MM, business time zone"),
]


@router.get("/balances")
def get_balances(session: DbSession, who: LedgerReader, period: Period = None) -> BalancesOut:
    """Credited sales per party with postings in the period (default: this month)."""
    period = period or service.period_of(utcnow())
    rows = service.balances(session, period=period, parties=ledger_parties(session, who))
    return BalancesOut(
        period=period,
        items=[
            BalanceOut(
                party_type=b.party_type,
                party_code=b.party_code,
                credited_sales=from_fen(b.amount_fen),
            )
            for b in rows
            if b.party_type is not PartyType.SYSTEM
        ],
    )


@router.get("/statements/{party_type}/{party_code}")
def get_statement(
    party_type: PartyType,
    party_code: str,
    session: DbSession,
    who: LedgerReader,
    period: Period = None,
    kind: AccountKind = AccountKind.credited_sales,
) -> StatementOut:
    """Every line of a party's account, each with its cause, rule and policy version."""
    allowed = ledger_parties(session, who)
    if allowed is not None and (party_type, party_code) not in allowed:
        raise NotFound(f"no statement for {party_type.value} {party_code!r}")
    if not service.party_exists(session, party_type=party_type, party_code=party_code):
        raise NotFound(f"{party_type.value} {party_code!r} not found")
    return service.statement(
        session, party_type=party_type, party_code=party_code, kind=kind, period=period or None
    )


StaffOrDistributor = Annotated[
    Principal, Depends(require(Role.admin, Role.hq_auditor, Role.distributor))
]
StaffOrSalesperson = Annotated[
    Principal, Depends(require(Role.admin, Role.hq_auditor, Role.salesperson))
]
Closer = Annotated[Principal, Depends(require(Role.admin, Role.hq_auditor))]
ClosedPeriod = Annotated[str, Path(pattern=MONTH_PATTERN, description="YYYY-MM")]


def _own_codes(session: DbSession, who: Principal, party_type: PartyType) -> set[str] | None:
    """None for staff; otherwise the caller's own code (a distributor or salesperson)."""
    parties = ledger_parties(session, who)
    if parties is None:
        return None
    codes = {code for t, code in parties if t is party_type}
    if not codes:
        raise Forbidden(f"only staff and the {party_type.value} itself may read this")
    return codes


def _effects(p: Pay, what: str) -> list[EffectOut]:
    out = []
    for e in p.effects:
        verb = "earned you" if e.pay_change_fen >= 0 else "cost you"
        out.append(
            EffectOut(
                violation_id=e.violation_id,
                credited_change=from_fen(e.credited_change_fen),
                pay_change=from_fen(e.pay_change_fen),
                note=f"violation {e.violation_id} {verb} "
                f"¥{abs(e.pay_change_fen) / 100:.2f} of {what}",
            )
        )
    return out


def _pay_line(p: Pay, party: str, what: str) -> dict[str, Any]:
    """What a rebate line and a commission line both say of a party's pay: its code (under
    `party`), credited sales, the rate, the amount (under `what`) and each violation's effect."""
    return {
        party: p.party_code,
        "credited_sales": from_fen(p.credited_fen),
        "rate": p.rate_text,
        what: from_fen(p.amount_fen),
        "effects": _effects(p, what),
    }


def _pay(
    session: DbSession, who: Principal, party_type: PartyType, period: str | None
) -> tuple[dict[str, Any], list[Pay]]:
    """The period (default: this month) with whether it is closed and the policy in force, and
    the pay of each party of the type the caller may see: what rebates and commissions share."""
    period = period or service.period_of(utcnow())
    codes = _own_codes(session, who, party_type)
    rows = money.pay(session, period=period, party_type=party_type, codes=codes)
    head = {
        "period": period,
        "closed": money.closed(session, period) is not None,
        "policy_version": load_policy().version,
    }
    return head, rows


@router.get("/rebates")
def get_rebates(session: DbSession, who: StaffOrDistributor, period: Period = None) -> RebatesOut:
    """Each distributor's volume rebate for the period, and what each violation changed in it."""
    head, rows = _pay(session, who, PartyType.DISTRIBUTOR, period)
    return RebatesOut(
        **head,
        items=[
            RebateOut(
                **_pay_line(p, "distributor_code", "rebate"),
                cut_pct=p.cut_pct,
                payable=from_fen(p.payable_fen),
            )
            for p in rows
        ],
    )


@router.get("/commissions")
def get_commissions(
    session: DbSession, who: StaffOrSalesperson, period: Period = None
) -> CommissionsOut:
    """Each salesperson's commission for the period, and what each violation changed in it."""
    head, rows = _pay(session, who, PartyType.SALESPERSON, period)
    items = [CommissionOut(**_pay_line(p, "salesperson_code", "commission")) for p in rows]
    return CommissionsOut(**head, items=items)


@router.post("/periods/{period}/close")
def close_period(period: ClosedPeriod, session: DbSession, who: Closer) -> PeriodCloseOut:
    """Post the period's rebates and commissions payable, once."""
    posted = money.close_period(session, period=period, actor=who.username)
    record = money.closed(session, period)
    assert record is not None
    return PeriodCloseOut(
        period=period,
        closed_at=record.closed_at,
        actor=record.actor,
        policy_version=record.policy_version,
        entries_posted=posted,
    )


@router.get("/deposits")
def get_deposits(session: DbSession, who: StaffOrDistributor) -> DepositsOut:
    """What each distributor's deposit (保证金) holds now."""
    codes = _own_codes(session, who, PartyType.DISTRIBUTOR)
    return DepositsOut(
        items=[
            DepositOut(distributor_code=code, balance=from_fen(fen))
            for code, fen in money.deposits(session, codes=codes)
        ]
    )
