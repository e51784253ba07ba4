"""Racing decisions on PostgreSQL: real threads, each with its own connection and transaction."""

from __future__ import annotations

import os
import threading
from collections import Counter
from collections.abc import Callable

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from app import db
from app.audit import service as audit
from app.auth import service as auth
from app.auth.principal import Principal
from app.auth.visibility import Visibility, visibility
from app.errors import Conflict
from app.models import JournalEntry, ViolationEvent
from app.violations import service
from app.violations.schemas import Ruling
from tests.violations.market import Market

# Real concurrency needs PostgreSQL: collected only in the PostgreSQL pass (tests/conftest.py).
pytestmark = pytest.mark.postgres
N = 32


def race(market: Market, act: Callable[..., object]) -> Counter[str]:
    """Run `act(session, principal, vis)` in N threads released at once; count the outcomes."""
    # One connection per thread: the app's pool is smaller than N.
    engine = create_engine(os.environ["DATABASE_URL"], poolclass=NullPool)
    sessions = sessionmaker(engine, expire_on_commit=False)
    barrier = threading.Barrier(N, timeout=60)
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()

    def worker() -> None:
        try:
            with sessions() as s, s.begin():
                who = auth.authenticate(s, market.api.tokens["auditor"])
                vis = visibility(s, who)
                barrier.wait()
                act(s, who, vis)
            outcome = "ok"
        except Conflict:
            outcome = "conflict"
        except Exception as exc:
            outcome = f"error: {exc!r}"
        with lock:
            outcomes[outcome] += 1

    threads = [threading.Thread(target=worker) for _ in range(N)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    engine.dispose()
    return outcomes


def entries(cause_type: str, cause_key: str | None = None) -> int:
    with db.get_sessionmaker()() as s:
        stmt = select(func.count()).where(JournalEntry.cause_type == cause_type)
        if cause_key is not None:
            stmt = stmt.where(JournalEntry.cause_key == cause_key)
        return s.scalar(stmt.select_from(JournalEntry)) or 0


def test_32_concurrent_confirms_then_reverses_post_exactly_once(market: Market) -> None:
    start = market.balances()
    payload = market.stock("D-370100-2", "SP-370100", "370100", 1)[0]
    vid = market.divert(payload, "LC-G3")
    stocked = market.balances()

    confirms = race(
        market,
        lambda s, who, vis: service.decide(
            s, violation_id=vid, decision=Ruling.confirm, note="race", principal=who, vis=vis
        ),
    )
    assert confirms == Counter({"ok": 1, "conflict": N - 1})
    assert entries("violation_transfer", str(vid)) == 1
    assert entries("violation_fine", str(vid)) == 1
    assert market.moved(stocked) == {
        "D-370100-2": "-48.00",
        "SP-370100": "-48.00",
        "D-371500-1": "48.00",
        "SP-371500": "48.00",
    }

    reverses = race(
        market,
        lambda s, who, vis: service.reverse(
            s, violation_id=vid, note="race", principal=who, vis=vis
        ),
    )
    assert reverses == Counter({"ok": 1, "conflict": N - 1})
    v = market.violation(vid)
    assert v["status"] == "reversed"
    assert sorted(p["cause_type"] for p in v["postings"]) == [
        "reversal",
        "reversal",
        "violation_fine",
        "violation_transfer",
    ]
    assert market.moved(stocked) == {}
    assert market.moved(start) == {"D-370100-2": "48.00", "SP-370100": "48.00"}
    with db.get_sessionmaker()() as s:
        steps = s.scalars(
            select(ViolationEvent.to_status)
            .where(ViolationEvent.violation_id == vid)
            .order_by(ViolationEvent.id)
        ).all()
        assert steps == ["open", "confirmed", "reversed"]
        assert audit.verify(s).ok


def test_concurrent_confirms_and_dismissals_agree_on_one_outcome(market: Market) -> None:
    payload = market.stock("D-370100-2", "SP-370100", "370100", 1)[0]
    vid = market.divert(payload, "LC-G3")
    decisions = iter([Ruling.confirm, Ruling.dismiss] * (N // 2))
    lock = threading.Lock()

    def act(s: Session, who: Principal, vis: Visibility) -> None:
        with lock:
            decision = next(decisions)
        service.decide(s, violation_id=vid, decision=decision, note="", principal=who, vis=vis)

    outcomes = race(market, act)
    assert outcomes == Counter({"ok": 1, "conflict": N - 1})
    status = market.violation(vid)["status"]
    assert entries("violation_transfer", str(vid)) == (1 if status == "confirmed" else 0)
