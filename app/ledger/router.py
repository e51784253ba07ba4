from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from app.auth.deps import require
from app.auth.principal import Principal
from app.auth.visibility import ledger_parties
from app.common.types import MONTH_PATTERN, from_fen
from app.db import DbSession, utcnow
from app.errors import NotFound
from app.ledger import service
from app.ledger.schemas import BalanceOut, BalancesOut, StatementOut
from app.models import AccountKind, PartyType, Role

router = APIRouter(prefix="/ledger", tags=["ledger"])

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
            if b.party_type is not PartyType.system
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
    return service.statement(
        session, party_type=party_type, party_code=party_code, kind=kind, period=period or None
    )
