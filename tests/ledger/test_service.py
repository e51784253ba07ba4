from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from app import db
from app.audit import service as audit
from app.ledger import service as ledger
from app.ledger.service import LegIn, UnbalancedEntry
from app.models import AccountKind, AuditEntry, JournalEntry, JournalLine, PartyType
from rules.policy import load_policy

D, S, SYS = PartyType.DISTRIBUTOR, PartyType.SALESPERSON, PartyType.SYSTEM
SALES = AccountKind.credited_sales


def deliver(session: Session, number: str = "WB-1", value: int = 96_000) -> JournalEntry | None:
    return ledger.post_delivery(
        session,
        waybill_number=number,
        distributor_code="D-1",
        salesperson_code="SP-1",
        value_fen=value,
        cartons=10,
        actor="tester",
    )


def sales_balances(session: Session, period: str) -> dict[tuple[PartyType, str], int]:
    return {
        (b.party_type, b.party_code): b.amount_fen for b in ledger.balances(session, period=period)
    }


def test_delivery_credits_distributor_and_salesperson_once(session: Session) -> None:
    entry = deliver(session)
    assert entry is not None
    assert entry.cause_type == "delivery" and entry.cause_key == "WB-1"
    assert entry.policy_version == load_policy().version
    assert deliver(session) is None  # a retried delivery posts nothing
    assert sales_balances(session, entry.period) == {(D, "D-1"): 96_000, (S, "SP-1"): 96_000}
    system = ledger.balances(session, period=entry.period, kinds=[AccountKind.system])
    assert [(b.party_code, b.amount_fen) for b in system] == [("shipments", -192_000)]
    assert session.scalar(select(func.count()).select_from(JournalEntry)) == 1
    assert session.scalar(select(func.count()).select_from(JournalLine)) == 4
    posted = session.scalars(select(AuditEntry).where(AuditEntry.action == "ledger.posted")).all()
    assert [a.entity_key for a in posted] == [entry.id]


def test_zero_value_delivery_posts_nothing(session: Session) -> None:
    assert deliver(session, value=0) is None
    assert session.scalar(select(func.count()).select_from(JournalLine)) == 0


@pytest.mark.parametrize(
    "legs",
    [
        [LegIn(D, "D-1", SALES, 100, "a"), LegIn(S, "SP-1", SALES, -99, "b")],
        [LegIn(D, "D-1", SALES, 0, "a"), LegIn(S, "SP-1", SALES, 0, "b")],
        [LegIn(D, "D-1", SALES, 0, "a")],
        [LegIn(D, "D-1", SALES, 1.5, "a"), LegIn(S, "SP-1", SALES, -1.5, "b")],  # type: ignore[arg-type]
    ],
)
def test_invalid_legs_are_refused_before_the_database(session: Session, legs: list[LegIn]) -> None:
    with pytest.raises(UnbalancedEntry):
        ledger.post_entry(
            session,
            cause_type="test",
            cause_key="1",
            legs=legs,
            rule="r",
            policy_version="v",
            memo="m",
            actor="tester",
        )
    assert session.scalar(select(func.count()).select_from(JournalLine)) == 0


def test_reversal_negates_every_leg_once(session: Session) -> None:
    entry = deliver(session)
    assert entry is not None
    reversal = ledger.reverse_entry(session, entry=entry, memo="wrong truck", actor="auditor")
    assert reversal is not None
    assert reversal.reverses_entry_id == entry.id and reversal.cause_key == entry.id
    assert ledger.reverse_entry(session, entry=entry, memo="again", actor="auditor") is None
    original = {
        (leg.party_code, leg.role): leg.amount_fen for leg in ledger.legs_of(session, entry.id)
    }
    negated = {
        (leg.party_code, leg.role): -leg.amount_fen for leg in ledger.legs_of(session, reversal.id)
    }
    assert original == negated
    assert set(sales_balances(session, entry.period).values()) == {0}


def test_period_is_the_month_in_the_business_time_zone(session: Session) -> None:
    # 17:30 UTC on 30 November is 01:30 on 1 December in Shanghai.
    entry = ledger.post_entry(
        session,
        cause_type="test",
        cause_key="tz",
        legs=[LegIn(D, "D-1", SALES, 5, "a"), LegIn(SYS, "x", AccountKind.system, -5, "b")],
        rule="r",
        policy_version="v",
        memo="m",
        actor="tester",
        posted_at=datetime(2026, 11, 30, 17, 30, tzinfo=UTC),
    )
    assert entry is not None and entry.period == "2026-12"
    assert sales_balances(session, "2026-12") == {(D, "D-1"): 5}
    assert sales_balances(session, "2026-11") == {}
    start, end = ledger.period_bounds("2026-12")
    assert start == datetime(2026, 11, 30, 16, 0, tzinfo=UTC)
    assert end == datetime(2026, 12, 31, 16, 0, tzinfo=UTC)


def test_balances_filter_by_party(session: Session) -> None:
    entry = deliver(session)
    assert entry is not None
    only = ledger.balances(session, period=entry.period, parties={(S, "SP-1")})
    assert [(b.party_code, b.amount_fen) for b in only] == [("SP-1", 96_000)]
    assert ledger.balances(session, period=entry.period, parties=set()) == []


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE journal_line SET amount_fen = amount_fen + 1",
        "DELETE FROM journal_line",
        "UPDATE journal_entry SET memo = 'edited'",
        "DELETE FROM journal_entry",
        "UPDATE audit_entry SET actor = 'someone else'",
        "DELETE FROM audit_entry",
    ],
)
def test_database_refuses_rewriting_ledger_and_audit_rows(db_url: str, statement: str) -> None:
    with db.get_sessionmaker()() as s, s.begin():
        deliver(s)
    with pytest.raises(DBAPIError, match="append-only"), db.get_engine().begin() as conn:
        conn.execute(text(statement))
    with db.get_sessionmaker()() as s:
        assert s.scalar(select(func.sum(JournalLine.amount_fen))) == 0
        assert s.scalar(select(func.count()).select_from(JournalLine)) == 4
        assert audit.verify(s).ok


def test_database_refuses_an_unbalanced_entry_and_lines_for_a_sealed_one(db_url: str) -> None:
    with db.get_sessionmaker()() as s, s.begin():
        entry = deliver(s)
        assert entry is not None
        account = s.scalar(select(JournalLine.account_id).limit(1))
        entry_id = entry.id
    with pytest.raises(DBAPIError, match="sealed"), db.get_engine().begin() as conn:
        conn.execute(
            insert(JournalLine).values(
                entry_id=entry_id, account_id=account, period="2026-11", amount_fen=1, role="x"
            )
        )
    with db.get_engine().connect() as conn:  # never committed: closing rolls back
        for amount in (100, -99):
            conn.execute(
                insert(JournalLine).values(
                    entry_id="f" * 32,
                    account_id=account,
                    period="2026-11",
                    amount_fen=amount,
                    role="x",
                )
            )
        seal = insert(JournalEntry).values(
            id="f" * 32,
            posted_at=datetime.now(UTC),
            period="2026-11",
            cause_type="t",
            cause_key="k",
            rule="r",
            policy_version="v",
            memo="m",
            actor="a",
        )
        with pytest.raises(DBAPIError, match="balance"):
            conn.execute(seal)


@pytest.mark.postgres
def test_concurrent_postings_of_one_cause_post_once(db_url: str) -> None:
    n = 32
    barrier = threading.Barrier(n)
    results: list[bool] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            with db.get_sessionmaker()() as s, s.begin():
                barrier.wait()
                results.append(deliver(s, number="WB-RACE") is not None)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(results) == [False] * (n - 1) + [True]
    with db.get_sessionmaker()() as s:
        assert s.scalar(select(func.count()).select_from(JournalEntry)) == 1
        assert s.scalar(select(func.count()).select_from(JournalLine)) == 4
        assert audit.verify(s).ok
