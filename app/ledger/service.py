"""Posting balanced journal entries exactly once and reversing them. Reading the ledger back is
`app.ledger.reading`; its names are importable from here as before."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import insert, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.common.types import MONTH_OR_YEAR_PATTERN, MONTH_PATTERN
from app.config import get_settings
from app.db import utcnow
from app.ledger.reading import Balance as Balance
from app.ledger.reading import LegIn as LegIn
from app.ledger.reading import balances as balances
from app.ledger.reading import legs_of as legs_of
from app.ledger.reading import party_exists as party_exists
from app.ledger.reading import postings as postings
from app.ledger.reading import statement as statement
from app.models import (
    AccountKind,
    JournalEntry,
    JournalLine,
    LedgerAccount,
    PartyType,
)
from rules.policy import load_policy

PERIOD_PATTERN = MONTH_PATTERN
SHIPMENTS = "shipments"
"""System account balancing the sales credited by deliveries (the company's sales)."""
FINES_INCOME = "fines_income"
"""System account balancing the fines distributors owe."""


class UnbalancedEntry(ValueError):
    """The legs of an entry do not form a valid balanced posting."""


def period_of(at: datetime) -> str:
    """The calendar month (YYYY-MM) of a moment, in the business time zone."""
    return at.astimezone(get_settings().tz).strftime("%Y-%m")


def period_bounds(period: str) -> tuple[datetime, datetime]:
    """The [start, end) of a YYYY-MM month or YYYY year in the business time zone."""
    if not re.fullmatch(MONTH_OR_YEAR_PATTERN, period):
        raise ValueError(f"period must be YYYY-MM or YYYY, got {period!r}")
    tz = get_settings().tz
    year = int(period[:4])
    if len(period) == 4:
        return datetime(year, 1, 1, tzinfo=tz), datetime(year + 1, 1, 1, tzinfo=tz)
    month = int(period[5:])
    start = datetime(year, month, 1, tzinfo=tz)
    end = (start + timedelta(days=32)).replace(day=1)
    return start, end


def check_legs(legs: Sequence[LegIn]) -> None:
    """Refuse, before touching the database, legs that cannot form a balanced entry."""
    if len(legs) < 2:
        raise UnbalancedEntry("an entry needs at least two legs")
    for leg in legs:
        if isinstance(leg.amount_fen, bool) or not isinstance(leg.amount_fen, int):
            raise UnbalancedEntry(f"amounts are integer fen, got {leg.amount_fen!r}")
        if leg.amount_fen == 0:
            raise UnbalancedEntry(f"a leg of zero for {leg.party_code} posts nothing")
    total = sum(leg.amount_fen for leg in legs)
    if total != 0:
        raise UnbalancedEntry(f"legs sum to {total} fen, not zero")


def _find_accounts(
    session: Session, keys: set[tuple[PartyType, str, AccountKind]]
) -> dict[tuple[PartyType, str, AccountKind], int]:
    found = session.execute(
        select(
            LedgerAccount.id, LedgerAccount.party_type, LedgerAccount.party_code, LedgerAccount.kind
        ).where(
            tuple_(LedgerAccount.party_type, LedgerAccount.party_code, LedgerAccount.kind).in_(
                list(keys)
            )
        )
    )
    return {(PartyType(p), c, AccountKind(k)): i for i, p, c, k in found}


def account_ids(
    session: Session, keys: set[tuple[PartyType, str, AccountKind]]
) -> dict[tuple[PartyType, str, AccountKind], int]:
    """Ids of these accounts, creating the missing ones (safe against concurrent creators)."""
    ids = _find_accounts(session, keys)
    missing = keys - ids.keys()
    if not missing:
        return ids
    dialect = session.get_bind().dialect.name
    make_insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    # ON CONFLICT DO NOTHING waits for a concurrent creator instead of failing the transaction.
    session.execute(
        make_insert(LedgerAccount).on_conflict_do_nothing(
            index_elements=["party_type", "party_code", "kind"]
        ),
        [{"party_type": p, "party_code": c, "kind": k} for p, c, k in sorted(missing)],
    )
    return ids | _find_accounts(session, missing)


def entry_for(session: Session, *, cause_type: str, cause_key: str) -> JournalEntry | None:
    """The entry a cause posted, if any."""
    return session.scalar(
        select(JournalEntry).where(
            JournalEntry.cause_type == cause_type, JournalEntry.cause_key == cause_key
        )
    )


def post_entry(
    session: Session,
    *,
    cause_type: str,
    cause_key: str,
    legs: Sequence[LegIn],
    rule: str,
    policy_version: str,
    memo: str,
    actor: str,
    reverses_entry_id: str | None = None,
    posted_at: datetime | None = None,
) -> JournalEntry | None:
    """Post a balanced entry once per cause; None (nothing posted) if the cause already posted."""
    check_legs(legs)
    if entry_for(session, cause_type=cause_type, cause_key=cause_key) is not None:
        return None
    at = posted_at or utcnow()
    period = period_of(at)
    ids = account_ids(session, {(leg.party_type, leg.party_code, leg.kind) for leg in legs})
    entry_id = uuid.uuid4().hex
    lines = [
        {
            "entry_id": entry_id,
            "account_id": ids[(leg.party_type, leg.party_code, leg.kind)],
            "period": period,
            "amount_fen": leg.amount_fen,
            "role": leg.role,
        }
        for leg in legs
    ]
    try:
        # A savepoint: a concurrent duplicate of the cause undoes only this posting, and the
        # caller's transaction stays usable (on PostgreSQL a failed statement would poison it).
        with session.begin_nested():
            # Lines first: the entry row seals them, and the database checks they balance.
            session.execute(insert(JournalLine), lines)
            session.execute(
                insert(JournalEntry),
                {
                    "id": entry_id,
                    "posted_at": at,
                    "period": period,
                    "cause_type": cause_type,
                    "cause_key": cause_key,
                    "reverses_entry_id": reverses_entry_id,
                    "rule": rule,
                    "policy_version": policy_version,
                    "memo": memo[:300],
                    "actor": actor,
                },
            )
    except IntegrityError:
        if entry_for(session, cause_type=cause_type, cause_key=cause_key) is not None:
            return None
        raise
    audit.record(
        session,
        actor=actor,
        action="ledger.posted",
        entity_type="journal_entry",
        entity_key=entry_id,
        data={
            "cause_type": cause_type,
            "cause_key": cause_key,
            "period": period,
            "rule": rule,
            "policy_version": policy_version,
            "reverses_entry_id": reverses_entry_id,
            "legs": [
                [leg.party_type.value, leg.party_code, leg.kind.value, leg.amount_fen, leg.role]
                for leg in legs
            ],
        },
    )
    return session.get_one(JournalEntry, entry_id)


def reverse_entry(
    session: Session, *, entry: JournalEntry, memo: str, actor: str
) -> JournalEntry | None:
    """Post the compensating entry of `entry` (every leg negated) once; None if already done."""
    legs = [
        LegIn(leg.party_type, leg.party_code, leg.kind, -leg.amount_fen, leg.role)
        for leg in legs_of(session, entry.id)
    ]
    return post_entry(
        session,
        cause_type="reversal",
        cause_key=entry.id,
        legs=legs,
        rule="reversal",
        policy_version=entry.policy_version,
        memo=memo,
        actor=actor,
        reverses_entry_id=entry.id,
    )


def post_delivery(
    session: Session,
    *,
    waybill_number: str,
    distributor_code: str,
    salesperson_code: str,
    value_fen: int,
    cartons: int,
    actor: str,
) -> JournalEntry | None:
    """Credit a delivered waybill's value to its distributor's and salesperson's sales, once."""
    if value_fen < 0 or cartons < 0:
        raise ValueError("value_fen and cartons must not be negative")
    if value_fen == 0:
        return None  # nothing of value changed hands
    legs = [
        LegIn(
            PartyType.DISTRIBUTOR,
            distributor_code,
            AccountKind.credited_sales,
            value_fen,
            "destination_distributor",
        ),
        LegIn(
            PartyType.SYSTEM, SHIPMENTS, AccountKind.system, -value_fen, "shipment_to_distributor"
        ),
        LegIn(
            PartyType.SALESPERSON,
            salesperson_code,
            AccountKind.credited_sales,
            value_fen,
            "responsible_salesperson",
        ),
        LegIn(
            PartyType.SYSTEM, SHIPMENTS, AccountKind.system, -value_fen, "shipment_to_salesperson"
        ),
    ]
    return post_entry(
        session,
        cause_type="delivery",
        cause_key=waybill_number,
        legs=legs,
        rule="delivery_credit",
        policy_version=load_policy().version,
        memo=f"waybill {waybill_number}: {cartons} carton(s) delivered to {distributor_code}",
        actor=actor,
    )
