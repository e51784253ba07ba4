"""Money that bites over the API: rebates, commissions, deposits paying fines, the sanctions
ladder and a supply stop, for each role; one flow over real HTTP. Numbers are the demo's:
D-370100-1 (Jinan, agreement on file) and D-371500-1 (Liaocheng, guerrilla zone) each hold
1,920.00 of credited sales, 40 and 20 cartons; the policy's rebate cliff is at 1,900.00."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.exc import DBAPIError

from app import db
from app.ledger import money
from app.ledger import service as ledger
from app.ledger.service import LegIn
from app.models import AccountKind, JournalEntry, PartyType
from tests.conftest import Api, LiveServer

JINAN, LIAOCHENG = "D-370100-1", "D-371500-1"
LAGER = "06901234560015"


def rebates(api: Api, user: str = "auditor") -> dict[str, dict[str, Any]]:
    r = api.get(user, "/api/v1/ledger/rebates")
    assert r.status_code == 200, r.text
    return {i["distributor_code"]: i for i in r.json()["items"]}


def commissions(api: Api) -> dict[str, dict[str, Any]]:
    r = api.get("auditor", "/api/v1/ledger/commissions")
    assert r.status_code == 200, r.text
    return {i["salesperson_code"]: i for i in r.json()["items"]}


def deposits(api: Api, user: str = "auditor") -> dict[str, str]:
    r = api.get(user, "/api/v1/ledger/deposits")
    assert r.status_code == 200, r.text
    return {i["distributor_code"]: i["balance"] for i in r.json()["items"]}


def jinan_into_liaocheng(api: Api) -> list[dict[str, Any]]:
    """Jinan's one-carton diversions into Liaocheng, oldest first."""
    r = api.get("auditor", "/api/v1/violations", params={"distributor_code": JINAN})
    found = [
        v
        for v in r.json()["items"]
        if v["diverting_distributor_code"] == JINAN
        and v["invaded_distributor_code"] == LIAOCHENG
        and v["value"] == "48.00"
    ]
    return sorted(found, key=lambda v: (v["detected_at"], v["id"]))


def jinan_diversions(api: Api) -> list[dict[str, Any]]:
    r = api.get("auditor", "/api/v1/violations", params={"distributor_code": JINAN})
    found = [
        v
        for v in r.json()["items"]
        if v["diverting_distributor_code"] == JINAN and v["kind"] == "diversion"
    ]
    return sorted(found, key=lambda v: (v["detected_at"], v["id"]))


def decide(api: Api, vid: int, decision: str = "confirm") -> dict[str, Any]:
    r = api.post("auditor", f"/api/v1/violations/{vid}/decide", json={"decision": decision})
    assert r.status_code == 200, r.text
    return dict(r.json())


def test_rebates_match_balances_and_the_schedule_for_each_role(api: Api) -> None:
    everyone = rebates(api)
    assert everyone == rebates(api, "admin")
    balances = api.get("auditor", "/api/v1/ledger/balances").json()["items"]
    credited = {b["party_code"]: b["credited_sales"] for b in balances}
    for code, item in everyone.items():
        assert item["credited_sales"] == credited[code]
    assert everyone[JINAN]["credited_sales"] == "1920.00"
    assert everyone[JINAN]["rate"] == "0.03" and everyone[JINAN]["rebate"] == "57.60"
    assert everyone[JINAN]["effects"] == []
    # A distributor sees its own row only; other roles are refused.
    assert set(rebates(api, "jinan-distributor")) == {JINAN}
    assert set(rebates(api, "liaocheng-distributor")) == {LIAOCHENG}
    for user in ("inspector", "jinan-sales", "jinan-wholesaler"):
        assert api.get(user, "/api/v1/ledger/rebates").status_code == 403, user
    assert api.get(None, "/api/v1/ledger/rebates").status_code == 401
    assert api.get("auditor", "/api/v1/ledger/rebates?period=2026-13").status_code == 422
    # Commissions: staff and the salesperson itself.
    assert (
        api.get("jinan-sales", "/api/v1/ledger/commissions").json()["items"][0]["salesperson_code"]
        == "SP-370100"
    )
    assert api.get("jinan-distributor", "/api/v1/ledger/commissions").status_code == 403


def test_deposits_lodge_top_up_refund_for_each_role(api: Api) -> None:
    body = {"distributor_code": JINAN, "amount": "100.00"}
    for user in ("auditor", "jinan-distributor", "inspector", "jinan-sales"):
        assert api.post(user, "/api/v1/deposits", json=body).status_code == 403, user
    r = api.post("admin", "/api/v1/deposits", json=body)
    assert r.status_code == 201 and r.json() == {"distributor_code": JINAN, "balance": "100.00"}
    api.post("admin", "/api/v1/deposits", json={"distributor_code": LIAOCHENG, "amount": "5.00"})
    r = api.post("admin", "/api/v1/deposits", json={**body, "amount": "20.50"})  # top-up
    assert r.json()["balance"] == "120.50"
    assert deposits(api) == {JINAN: "120.50", LIAOCHENG: "5.00"}
    assert deposits(api, "admin") == deposits(api)
    assert deposits(api, "jinan-distributor") == {JINAN: "120.50"}
    for user in ("inspector", "jinan-sales"):
        assert api.get(user, "/api/v1/ledger/deposits").status_code == 403
    # Bad amounts are the client's mistake; refunding more than is held is a conflict.
    for amount in ("0", "-1", "1.001", "abc"):
        r = api.post("admin", "/api/v1/deposits", json={**body, "amount": amount})
        assert r.status_code == 422, amount
    r = api.post("admin", "/api/v1/deposits", json={"distributor_code": "NOPE", "amount": "1"})
    assert r.status_code == 404
    refund = "/api/v1/deposits/refund"
    assert api.post("admin", refund, json={**body, "amount": "500.00"}).status_code == 409
    assert api.post("auditor", refund, json=body).status_code == 403
    assert api.post("admin", refund, json={**body, "amount": "20.50"}).json()["balance"] == "100.00"
    assert api.post("admin", refund, json={"distributor_code": LIAOCHENG}).json()["balance"] == (
        "0.00"
    )
    assert api.post("admin", refund, json={"distributor_code": LIAOCHENG}).status_code == 422


def test_the_database_keeps_a_deposit_from_going_negative(demo_url: str) -> None:
    """Whatever the service computes, the database refuses a line that overdraws a deposit."""
    with db.get_sessionmaker()() as s, s.begin():
        money.lodge(s, code=JINAN, amount_fen=100, actor="test")
    overdraw = [
        LegIn(PartyType.DISTRIBUTOR, JINAN, AccountKind.deposit, -101, "overdraw"),
        LegIn(PartyType.SYSTEM, money.DEPOSITS_HELD, AccountKind.system, 101, "overdraw"),
    ]
    with (
        pytest.raises(DBAPIError, match="deposit may not go below zero"),
        db.get_sessionmaker()() as s,
        s.begin(),
    ):
        ledger.post_entry(
            s,
            cause_type="test",
            cause_key="overdraw",
            legs=overdraw,
            rule="test",
            policy_version="test",
            memo="",
            actor="test",
        )
    with db.get_sessionmaker()() as s:
        assert money.deposit_fen(s, JINAN) == 100


def test_a_confirmed_diversion_costs_rebate_and_commission_and_leaves_the_deposit(
    api: Api,
) -> None:
    open_ = jinan_into_liaocheng(api)[0]
    assert open_["fine"] == "0.00"  # carried before confirmation too
    api.post("admin", "/api/v1/deposits", json={"distributor_code": JINAN, "amount": "100.00"})
    before_c = commissions(api)
    v = decide(api, open_["id"])
    # Liaocheng is a guerrilla zone: 50.00 a carton, from the first offence, out of the deposit.
    assert v["fine"] == "50.00" and "from the deposit" in v["fine_reason"]
    assert deposits(api)[JINAN] == "50.00"
    assert [s["step"] for s in v["sanctions"]] == ["warning"]
    after = rebates(api)
    assert after[JINAN]["credited_sales"] == "1872.00"
    assert (after[JINAN]["rate"], after[JINAN]["rebate"]) == ("0.02", "37.44")
    assert after[JINAN]["effects"] == [
        {
            "violation_id": v["id"],
            "credited_change": "-48.00",
            "pay_change": "-20.16",
            "note": f"violation {v['id']} cost you ¥20.16 of rebate",
        }
    ]
    assert after[LIAOCHENG]["rebate"] == "59.04"
    assert after[LIAOCHENG]["effects"][0]["pay_change"] == "1.44"
    c = commissions(api)
    assert before_c["SP-370100"]["commission"] == "19.20"
    assert c["SP-370100"]["commission"] == "9.36"
    assert c["SP-371500"]["commission"] == "19.68"
    assert c["SP-370100"]["effects"][0]["pay_change"] == "-9.84"
    assert c["SP-371500"]["effects"][0]["pay_change"] == "0.48"
    # The invaded side sees no fine; the diverting distributor sees its own.
    assert api.get("liaocheng-distributor", f"/api/v1/violations/{v['id']}").json()["fine"] is None
    assert api.get("jinan-distributor", f"/api/v1/violations/{v['id']}").json()["fine"] == "50.00"
    # Reversal returns the deposit and restores both rebates exactly.
    r = api.post("auditor", f"/api/v1/violations/{v['id']}/reverse", json={"note": "wrong"})
    assert r.status_code == 200, r.text
    assert deposits(api)[JINAN] == "100.00"
    restored = rebates(api)
    assert restored[JINAN]["rebate"] == "57.60" and restored[JINAN]["effects"] == []
    assert restored[LIAOCHENG]["rebate"] == "57.60"
    assert r.json()["sanctions"][0]["in_force"] is False


def test_what_the_deposit_cannot_cover_stays_owed(api: Api) -> None:
    api.post("admin", "/api/v1/deposits", json={"distributor_code": JINAN, "amount": "30.00"})
    v = decide(api, jinan_into_liaocheng(api)[0]["id"])
    assert (
        v["fine"] == "50.00"
        and "20.00 CNY the deposit cannot cover stays owed" in (v["fine_reason"])
    )
    assert deposits(api)[JINAN] == "0.00"
    fines = api.get(
        "auditor", f"/api/v1/ledger/statements/distributor/{JINAN}", params={"kind": "fines"}
    ).json()
    assert fines["closing_balance"] == "-20.00"
    # No agreement on file (Liaocheng): no fine, nothing from its deposit, no ladder.
    api.post("admin", "/api/v1/deposits", json={"distributor_code": LIAOCHENG, "amount": "9.00"})
    r = api.get("auditor", "/api/v1/violations", params={"distributor_code": LIAOCHENG})
    theirs = [
        i
        for i in r.json()["items"]
        if i["diverting_distributor_code"] == LIAOCHENG and i["kind"] == "diversion"
    ]
    w = decide(api, theirs[0]["id"])
    assert w["fine"] == "0.00" and w["sanctions"] == []
    assert deposits(api)[LIAOCHENG] == "9.00"


def waybill(api: Api, number: str) -> httpx.Response:
    batch = api.post(
        "admin",
        "/api/v1/code-batches",
        json={"gtin": LAGER, "region_code": "370100", "quantity": 1},
    )
    assert batch.status_code == 201, batch.text
    now = datetime.now(UTC)
    return api.post(
        "admin",
        "/api/v1/waybills",
        json={
            "number": number,
            "vehicle_plate": "鲁A12345",
            "dispatched_at": now.isoformat(),
            "expected_arrival": (now + timedelta(hours=5)).isoformat(),
            "destination_distributor_code": JINAN,
            "route_region_codes": ["370100"],
            "issuer": "test",
            "salesperson_code": "SP-370100",
            "carton_payloads": [batch.json()["codes"][0]["payload"]],
        },
    )


def test_repeat_offences_climb_the_ladder_to_a_supply_stop_until_hq_lifts_it(api: Api) -> None:
    api.post("admin", "/api/v1/deposits", json={"distributor_code": JINAN, "amount": "2000.00"})
    ours = jinan_diversions(api)
    assert len(ours) >= 5
    for v in ours[:5]:
        decide(api, v["id"])
    r = api.get("auditor", f"/api/v1/distributors/{JINAN}/sanctions")
    assert r.status_code == 200, r.text
    body = r.json()
    steps = [s["step"] for s in body["items"]]
    assert steps == ["warning", "interview", "deposit_deduction", "rebate_cut", "supply_stop"]
    assert body["supply_stopped"] is True
    stop = body["items"][-1]
    assert stop["rests_on"] == [v["id"] for v in ours[:5]]
    assert stop["policy_version"] == "2026-12-20" and stop["rule"] == "sanctions_ladder"
    # The rebate cut halves this month's rebate; the deduction took 500.00 beyond the fines.
    row = rebates(api)[JINAN]
    assert row["cut_pct"] == 50
    assert row["payable"] == f"{float(row['rebate']) / 2:.2f}"
    # Who may see and lift.
    assert (
        api.get("jinan-distributor", f"/api/v1/distributors/{JINAN}/sanctions").status_code == 200
    )
    assert (
        api.get("liaocheng-distributor", f"/api/v1/distributors/{JINAN}/sanctions").status_code
        == 404
    )
    r = waybill(api, "WB-STOPPED-1")
    assert r.status_code == 409 and "supply to D-370100-1 is stopped" in r.json()["detail"]
    lift = f"/api/v1/distributors/{JINAN}/supply-stop/lift"
    for user in ("jinan-distributor", "inspector"):
        assert api.post(user, lift).status_code == 403
    r = api.post("auditor", lift)
    assert r.status_code == 200 and r.json()["supply_stopped"] is False
    assert api.post("auditor", lift).status_code == 409
    assert waybill(api, "WB-STOPPED-2").status_code == 201


def test_closing_a_period_posts_rebates_once_and_a_later_reversal_adjusts(api: Api) -> None:
    """Postings back-dated into last month stand for a month that has ended."""
    this = ledger.period_of(datetime.now(UTC))
    last = ledger.period_of(ledger.period_bounds(this)[0] - timedelta(days=1))
    at = ledger.period_bounds(last)[0] + timedelta(days=3)
    dist, other = "D-370100-2", "D-370300-2"
    with db.get_sessionmaker()() as s, s.begin():
        for code, fen in ((dist, 190000), (other, 100000)):
            ledger.post_entry(
                s,
                cause_type="delivery",
                cause_key=f"WB-OLD-{code}",
                legs=[
                    LegIn(PartyType.DISTRIBUTOR, code, AccountKind.credited_sales, fen, "d"),
                    LegIn(PartyType.SYSTEM, "shipments", AccountKind.system, -fen, "s"),
                ],
                rule="delivery_credit",
                policy_version="2026-12-15",
                memo="back-dated",
                actor="test",
                posted_at=at,
            )
        transfer = ledger.post_entry(
            s,
            cause_type="violation_transfer",
            cause_key="990001",
            legs=[
                LegIn(PartyType.DISTRIBUTOR, dist, AccountKind.credited_sales, -4800, "out"),
                LegIn(PartyType.DISTRIBUTOR, other, AccountKind.credited_sales, 4800, "in"),
            ],
            rule="value_transfer",
            policy_version="2026-12-15",
            memo="back-dated",
            actor="test",
            posted_at=at,
        )
        assert transfer is not None
        transfer_id = transfer.id
    r = api.get("auditor", "/api/v1/ledger/rebates", params={"period": last}).json()
    row = {i["distributor_code"]: i for i in r["items"]}[dist]
    assert (row["credited_sales"], row["rate"], row["rebate"]) == ("1852.00", "0.02", "37.04")
    assert row["effects"][0]["pay_change"] == "-19.96"  # 1,900.00 x 0.03 = 57.00 without it
    close = f"/api/v1/ledger/periods/{last}/close"
    for user in ("jinan-distributor", "jinan-sales", "inspector"):
        assert api.post(user, close).status_code == 403
    assert api.post("auditor", f"/api/v1/ledger/periods/{this}/close").status_code == 409
    r = api.post("auditor", close)
    assert r.status_code == 200, r.text
    assert r.json()["entries_posted"] == 2
    assert api.post("admin", close).status_code == 409  # once
    assert api.get("auditor", "/api/v1/ledger/rebates", params={"period": last}).json()["closed"]
    statement = f"/api/v1/ledger/statements/distributor/{dist}"
    paid = api.get("auditor", statement, params={"kind": "rebates"}).json()
    assert paid["closing_balance"] == "37.04"
    # Reversing the closed month's transfer now: an adjustment in this month, never an edit.
    with db.get_sessionmaker()() as s, s.begin():
        entry = s.get_one(JournalEntry, transfer_id)
        ledger.reverse_entry(s, entry=entry, memo="reversed", actor="test")
        money.settle_closed_period(
            s,
            period=last,
            parties={(PartyType.DISTRIBUTOR, dist), (PartyType.DISTRIBUTOR, other)},
            why="test reversal",
            actor="test",
        )
    lines = api.get("auditor", statement, params={"kind": "rebates"}).json()["lines"]
    # Both are posted when they happen (this month); their cause names the month they pay for.
    assert [(ln["period"], ln["amount"], ln["cause_type"]) for ln in lines] == [
        (this, "37.04", "rebate"),
        (this, "19.96", "pay_adjustment"),
    ]
    assert all(ln["cause_key"].startswith(f"{last}:") for ln in lines)
    r = api.get("auditor", "/api/v1/ledger/rebates", params={"period": last}).json()
    assert {i["distributor_code"]: i for i in r["items"]}[dist]["rebate"] == "57.00"


@pytest.fixture
def live(live_server: LiveServer) -> Iterator[Api]:
    with httpx.Client(base_url=live_server.base_url, timeout=30) as client:
        yield Api(client, dict(live_server.tokens))  # type: ignore[arg-type]


def test_money_bites_over_real_http(live: Api) -> None:
    r = live.post("admin", "/api/v1/deposits", json={"distributor_code": JINAN, "amount": "80.00"})
    assert r.status_code == 201, r.text
    v = decide(live, jinan_into_liaocheng(live)[-1]["id"])
    assert v["fine"] == "50.00"
    assert deposits(live, "jinan-distributor") == {JINAN: "30.00"}
    mine = rebates(live, "jinan-distributor")[JINAN]
    assert (mine["credited_sales"], mine["rate"], mine["rebate"]) == ("1872.00", "0.02", "37.44")
    assert live.get("inspector", "/api/v1/ledger/rebates").status_code == 403
    assert live.get("jinan-distributor", "/api/v1/ledger/deposits").status_code == 200
