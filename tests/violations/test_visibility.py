"""Who sees which violations and ledger rows: each role against the same three violations."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from app.ledger import service as ledger
from app.models import Role
from tests.violations.market import Market, now

JINAN, LIAOCHENG, QINGDAO = "D-370100-1", "D-371500-1", "D-370200-1"


@dataclass
class Three:
    jinan_in_liaocheng: int
    liaocheng_in_jinan: int
    qingdao_in_zibo: int


@pytest.fixture
def three(market: Market) -> Three:
    """Three confirmed diversions: Jinan's goods in Liaocheng, Liaocheng's in Jinan, and
    Qingdao's in Zibo (which concerns neither Jinan nor Liaocheng)."""
    a = market.divert(market.stock(JINAN, "SP-370100", "370100", 1)[0], "LC-G3")
    b = market.divert(market.stock(LIAOCHENG, "SP-371500", "371500", 1)[0], "JN-G2-N")
    c = market.divert(market.stock(QINGDAO, "SP-370200", "370200", 1)[0], "ZB-G20")
    for vid in (a, b, c):
        r = market.api.post(
            "auditor", f"/api/v1/violations/{vid}/decide", json={"decision": "confirm"}
        )
        assert r.status_code == 200, r.text
    market.user("qingdao-distributor", Role.distributor, distributor=QINGDAO)
    return Three(a, b, c)


def rows(market: Market, user: str, **params: Any) -> list[dict[str, Any]]:
    r = market.api.get(user, "/api/v1/violations", params={"limit": 500, **params})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total"] == len(body["items"])
    items: list[dict[str, Any]] = body["items"]
    return items


def listed(market: Market, user: str, three: Three, **params: Any) -> set[int]:
    """Which of the three violations the user lists (the demo has others of its own)."""
    mine = {three.jinan_in_liaocheng, three.liaocheng_in_jinan, three.qingdao_in_zibo}
    return {item["id"] for item in rows(market, user, **params)} & mine


def test_each_role_lists_only_its_violations(market: Market, three: Three) -> None:
    everything = {three.jinan_in_liaocheng, three.liaocheng_in_jinan, three.qingdao_in_zibo}
    assert listed(market, "auditor", three) == everything
    assert listed(market, "admin", three) == everything
    # A distributor: where it diverted or was invaded.
    assert listed(market, "jinan-distributor", three) == {
        three.jinan_in_liaocheng,
        three.liaocheng_in_jinan,
    }
    assert listed(market, "liaocheng-distributor", three) == {
        three.jinan_in_liaocheng,
        three.liaocheng_in_jinan,
    }
    assert listed(market, "qingdao-distributor", three) == {three.qingdao_in_zibo}
    # Jinan's salesperson: its customers' diversions and what was found in its region.
    assert listed(market, "jinan-sales", three) == {
        three.jinan_in_liaocheng,
        three.liaocheng_in_jinan,
    }
    # Inspectors get verdicts at scan time; they read no party's violations.
    assert rows(market, "inspector") == []
    # Whatever else is on file, a distributor lists nothing it is not a party to.
    for user, code in [("jinan-distributor", JINAN), ("qingdao-distributor", QINGDAO)]:
        for item in rows(market, user):
            assert code in (item["diverting_distributor_code"], item["invaded_distributor_code"])


def test_filters_stay_inside_what_the_caller_may_see(market: Market, three: Three) -> None:
    assert listed(market, "auditor", three, distributor_code=QINGDAO) == {three.qingdao_in_zibo}
    assert listed(market, "jinan-distributor", three, distributor_code=QINGDAO) == set()
    assert listed(market, "auditor", three, status="open") == set()
    # Blank filters, as clients send them, filter nothing; an unknown status is a client bug.
    assert listed(market, "auditor", three, status="", distributor_code="") == listed(
        market, "auditor", three
    )
    r = market.api.get("auditor", "/api/v1/violations", params={"status": "closed"})
    assert r.status_code == 422
    assert listed(market, "auditor", three, status="confirmed", region_code="370300") == {
        three.qingdao_in_zibo
    }


def test_another_partys_violation_is_404(market: Market, three: Three) -> None:
    for user in ("jinan-distributor", "liaocheng-distributor", "jinan-sales", "inspector"):
        r = market.api.get(user, f"/api/v1/violations/{three.qingdao_in_zibo}")
        assert r.status_code == 404, user
    r = market.api.get("qingdao-distributor", f"/api/v1/violations/{three.qingdao_in_zibo}")
    assert r.status_code == 200


def test_the_invaded_side_sees_neither_the_fine_nor_the_other_sides_lines(
    market: Market, three: Three
) -> None:
    diverter = market.violation(three.jinan_in_liaocheng, "jinan-distributor")
    invaded = market.violation(three.jinan_in_liaocheng, "liaocheng-distributor")
    assert diverter["fine"] == "50.00"
    assert invaded["fine"] is None and invaded["fine_reason"] is None

    def lines(v: dict[str, Any]) -> set[tuple[str, str]]:
        return {(ln["party_code"], ln["amount"]) for p in v["postings"] for ln in p["lines"]}

    assert lines(diverter) == {(JINAN, "-48.00"), (JINAN, "-50.00")}
    assert lines(invaded) == {(LIAOCHENG, "48.00")}
    assert len(lines(market.violation(three.jinan_in_liaocheng))) == 6  # HQ sees every line


def test_ledger_balances_show_each_party_only_its_own_row(market: Market, three: Three) -> None:
    everyone = market.balances("auditor")
    assert {JINAN, LIAOCHENG, QINGDAO, "SP-370100", "SP-371500", "SP-370200"} <= set(everyone)
    assert market.balances("admin") == everyone
    assert market.balances("jinan-distributor") == {JINAN: everyone[JINAN]}
    assert market.balances("liaocheng-distributor") == {LIAOCHENG: everyone[LIAOCHENG]}
    assert market.balances("jinan-sales") == {"SP-370100": everyone["SP-370100"]}
    assert market.api.get("inspector", "/api/v1/ledger/balances").status_code == 403
    r = market.api.get("auditor", "/api/v1/ledger/balances", params={"period": "2026-13"})
    assert r.status_code == 422
    r = market.api.get("auditor", "/api/v1/ledger/balances", params={"period": ""})
    assert r.status_code == 200 and r.json()["period"] == ledger.period_of(now())
    assert market.balances("auditor", period="2020-01") == {}


def test_statements_are_readable_by_their_party_only(market: Market, three: Three) -> None:
    own = market.api.get("jinan-distributor", f"/api/v1/ledger/statements/distributor/{JINAN}")
    assert own.status_code == 200
    lines = own.json()["lines"]
    mine = {str(three.jinan_in_liaocheng), str(three.liaocheng_in_jinan)}
    assert sorted(ln["amount"] for ln in lines if ln["cause_key"] in mine) == ["-48.00", "48.00"]
    assert {ln["cause_type"] for ln in lines} == {"delivery", "violation_transfer"}
    running = Decimal(own.json()["opening_balance"])
    for ln in lines:  # each line's balance follows from the one before
        running += Decimal(ln["amount"])
        assert Decimal(ln["balance_after"]) == running
    assert own.json()["closing_balance"] == f"{running:.2f}"
    for user, party in [
        ("jinan-distributor", f"distributor/{LIAOCHENG}"),
        ("jinan-sales", f"distributor/{JINAN}"),  # a customer's account is not the salesperson's
        ("liaocheng-distributor", "salesperson/SP-371500"),
    ]:
        assert market.api.get(user, f"/api/v1/ledger/statements/{party}").status_code == 404
    r = market.api.get("jinan-sales", "/api/v1/ledger/statements/salesperson/SP-370100")
    assert r.status_code == 200
