"""Plan completion against targets, the star scorecard and the dismissal recommendation."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select

from app import db
from app.ledger.service import period_of
from app.models import AuditEntry, Role
from rules.policy import load_policy
from tests.violations.market import Market, now

# Jinan's terminal wholesaler: signed, salesperson SP-370100, no history in the demo.
JN3 = "D-370100-3"


def confirm(market: Market, vid: int) -> None:
    r = market.api.post("auditor", f"/api/v1/violations/{vid}/decide", json={"decision": "confirm"})
    assert r.status_code == 200, r.text


def completion(market: Market, user: str = "auditor", **params: str) -> dict[str, dict[str, Any]]:
    r = market.api.get(user, "/api/v1/reports/plan-completion", params=params)
    assert r.status_code == 200, r.text
    return {i["party_code"]: i for i in r.json()["items"]}


def test_plan_completion_is_credited_sales_over_the_months_target(market: Market) -> None:
    month = period_of(now())
    put = market.api.client.put
    headers = market.api.as_("admin")
    r = put(
        f"/api/v1/reports/targets/distributor/{JN3}/{month}",
        json={"target": "192.00"},
        headers=headers,
    )
    assert r.status_code == 200, r.text
    assert r.json()["target"] == "192.00" and r.json()["set_by"] == "admin"
    r = put(
        f"/api/v1/reports/targets/salesperson/SP-370300/{month}",
        json={"target": "1000.00"},
        headers=headers,
    )
    assert r.status_code == 200
    market.stock(JN3, "SP-370100", "370100", 2)  # 96.00 credited
    rows = completion(market)
    assert rows[JN3]["credited_sales"] == "96.00" and rows[JN3]["target"] == "192.00"
    assert rows[JN3]["completion_pct"] == "50.00"
    assert rows["SP-370300"]["credited_sales"] == "0.00"  # a target and no sales yet
    assert rows["SP-370300"]["completion_pct"] == "0.00"
    assert rows["SP-370100"]["target"] is None and rows["SP-370100"]["completion_pct"] is None

    # Setting it again replaces the target; the audit log keeps both values.
    put(
        f"/api/v1/reports/targets/distributor/{JN3}/{month}",
        json={"target": "64.00"},
        headers=headers,
    )
    assert completion(market)[JN3]["completion_pct"] == "150.00"
    with db.get_sessionmaker()() as s:
        logged = s.scalars(select(AuditEntry.data).where(AuditEntry.action == "target.set")).all()
    assert [d["target_fen"] for d in logged] == [19200, 100000, 6400]
    assert logged[-1]["previous_fen"] == 19200
    # Another month is measured on its own.
    assert completion(market, period="2020-01") == {}


def test_targets_are_set_by_hq_and_read_by_their_party(market: Market) -> None:
    month = period_of(now())
    path = f"/api/v1/reports/targets/distributor/D-370100-1/{month}"
    put = market.api.client.put
    for user in ("jinan-distributor", "jinan-sales", "inspector"):
        assert put(path, json={"target": "1.00"}, headers=market.api.as_(user)).status_code == 403
    admin = market.api.as_("admin")
    assert put(path, json={"target": "-1.00"}, headers=admin).status_code == 422
    assert (
        put(path.replace(month, "2026-13"), json={"target": "1"}, headers=admin).status_code == 422
    )
    assert (
        put(path.replace("D-370100-1", "NOPE"), json={"target": "1"}, headers=admin).status_code
        == 404
    )
    assert put(path, json={"target": "500.00"}, headers=admin).status_code == 200
    assert (
        put(
            f"/api/v1/reports/targets/distributor/D-371500-1/{month}",
            json={"target": "9"},
            headers=admin,
        ).status_code
        == 200
    )
    assert set(completion(market, "jinan-distributor")) == {"D-370100-1"}
    assert set(completion(market, "jinan-sales")) <= {"SP-370100"}
    r = market.api.get("jinan-distributor", "/api/v1/reports/targets")
    assert [t["party_code"] for t in r.json()["items"]] == ["D-370100-1"]
    assert market.api.get("inspector", "/api/v1/reports/plan-completion").status_code == 403


def scorecard(market: Market, code: str, user: str = "auditor", **params: str) -> dict[str, Any]:
    r = market.api.get(user, f"/api/v1/reports/scorecards/{code}", params=params)
    assert r.status_code == 200, r.text
    card: dict[str, Any] = r.json()
    return card


def test_scorecard_grades_diversion_and_price_control_from_the_data(market: Market) -> None:
    cartons = market.stock(JN3, "SP-370100", "370100", 3)
    clean = scorecard(market, JN3)
    assert (clean["confirmed_diversions"], clean["priced_inspections"]) == (0, 0)
    assert clean["grades"] == {"diversion": 5, "price_control": 5} and clean["stars"] == 5

    # Terminal wholesale floor for this lager is 4.00 a bottle: one sale below, one above.
    low = market.scan(cartons[0], "JN-G2-N", observed_price="3.50")
    assert low["verdict"] == "in_region" and low["findings"] == ["price_violation"]
    assert market.scan(cartons[1], "JN-G2-N", observed_price="4.20")["findings"] == []
    confirm(market, market.divert(cartons[2], "LC-G3"))

    card = scorecard(market, JN3)
    assert (card["confirmed_diversions"], card["priced_inspections"], card["price_violations"]) == (
        1,
        2,
        1,
    )
    # One diversion: grade 4; one in two priced inspections below the floor: grade 1.
    assert card["grades"] == {"diversion": 4, "price_control": 1}
    assert (card["score_pct"], card["stars"]) == (50, 2)
    assert len(card["entered_missing"]) == 4

    r = market.api.client.put(
        f"/api/v1/reports/scorecards/{JN3}/{card['period']}/grades",
        json={
            "grades": {
                "contract_completion": 5,
                "sales_share": 5,
                "sales_growth": 5,
                "profitability": 5,
            }
        },
        headers=market.api.as_("auditor"),
    )
    assert r.status_code == 204, r.text
    card = scorecard(market, JN3)
    # 83 % earns four stars, but the confirmed diversion's fine is owed (no deposit paid it):
    # the policy caps the stars at three until it is paid.
    assert card["entered_missing"] == [] and (card["score_pct"], card["stars"]) == (83, 3)
    assert card["star_cap_rule"] == "stars.unpaid_fines_cap" and card["fines_owed"] != "0.00"
    # The year's card counts the same facts; grades entered per month do not carry over.
    year = scorecard(market, JN3, period=card["period"][:4])
    assert year["confirmed_diversions"] == 1 and len(year["entered_missing"]) == 4


def test_scorecard_entry_and_visibility_rules(market: Market) -> None:
    month = period_of(now())
    put = market.api.client.put
    path = f"/api/v1/reports/scorecards/D-370100-1/{month}/grades"
    auditor = market.api.as_("auditor")
    assert put(path, json={"grades": {"diversion": 5}}, headers=auditor).status_code == 422
    assert put(path, json={"grades": {"sales_share": 6}}, headers=auditor).status_code == 422
    assert (
        put(
            path, json={"grades": {"sales_share": 4}}, headers=market.api.as_("jinan-distributor")
        ).status_code
        == 403
    )
    assert (
        market.api.get("jinan-distributor", "/api/v1/reports/scorecards/D-371500-1").status_code
        == 404
    )
    r = market.api.get("jinan-distributor", "/api/v1/reports/scorecards")
    assert [c["distributor_code"] for c in r.json()["items"]] == ["D-370100-1"]
    r = market.api.get("jinan-sales", "/api/v1/reports/scorecards")
    assert {c["distributor_code"] for c in r.json()["items"]} == {
        "D-370100-1",
        "D-370100-2",
        "D-370100-3",
        "D-370100-4",
    }


def dismissals(market: Market, user: str = "auditor", **params: str) -> dict[str, dict[str, Any]]:
    r = market.api.get(user, "/api/v1/reports/dismissals", params=params)
    assert r.status_code == 200, r.text
    return {i["salesperson_code"]: i for i in r.json()["items"]}


def test_dismissal_is_recommended_at_the_policys_threshold(market: Market) -> None:
    cartons = market.stock(JN3, "SP-370100", "370100", 3)
    vids = [market.divert(c, "LC-G3") for c in cartons]
    for vid in vids[:2]:
        confirm(market, vid)
    row = dismissals(market)["SP-370100"]
    assert (row["confirmed_violations"], row["recommended"]) == (2, False)
    assert "below the thresholds" in row["reason"]
    assert "SP-370100" not in dismissals(market, recommended_only="true")
    confirm(market, vids[2])
    row = dismissals(market)["SP-370100"]
    assert (row["confirmed_violations"], row["value"], row["recommended"]) == (3, "144.00", True)
    assert "threshold of 3" in row["reason"] and row["policy_version"] == load_policy().version
    assert set(dismissals(market, recommended_only="true")) == {"SP-370100"}
    # A reversed confirmation no longer counts against the salesperson.
    r = market.api.post("auditor", f"/api/v1/violations/{vids[0]}/reverse", json={"note": "x"})
    assert r.status_code == 200
    assert dismissals(market)["SP-370100"]["recommended"] is False
    assert set(dismissals(market, "jinan-sales")) == {"SP-370100"}
    assert dismissals(market, "jinan-distributor") == {}
    assert market.api.get("inspector", "/api/v1/reports/dismissals").status_code == 403


def test_dismissal_names_the_violations_it_rests_on(market: Market) -> None:
    cartons = market.stock(JN3, "SP-370100", "370100", 3)
    vids = [market.divert(c, "LC-G3") for c in cartons]
    for vid in vids:
        confirm(market, vid)
    row = dismissals(market)["SP-370100"]
    assert row["recommended"] is True and row["agreement_on_file"] is True
    assert row["rests_on"] == vids and row["rule"] == "dismissal.count_threshold"
    assert all(str(v) in row["reason"] for v in vids)
    # The salesperson's own fine, under its agreement: 10.00 a carton, seen by it and HQ only.
    mine = market.violation(vids[0], "jinan-sales")
    assert mine["salesperson_fine"] == "10.00"
    assert "salesperson_fine.schedule" in mine["salesperson_fine_reason"]
    distributor = market.user("jn3-boss", Role.distributor, distributor=JN3)
    theirs = market.violation(vids[0], distributor)
    assert theirs["salesperson_fine"] is None and theirs["fine"] is not None


def test_a_salesperson_without_an_agreement_is_only_recorded(market: Market) -> None:
    api = market.api
    r = api.post(
        "admin",
        "/api/v1/salespeople",
        json={"code": "SP-NEW", "name": "新来的业务员", "region_code": "370100"},
    )
    assert r.status_code == 201, r.text
    r = api.post(
        "admin",
        "/api/v1/distributors",
        json={
            "code": "D-NEW",
            "name": "新客户商行",
            "tier": "wholesale_1",
            "region_codes": ["370100"],
            "salesperson_code": "SP-NEW",
            "agreement_signed_at": "2026-01-01T00:00:00+08:00",
        },
    )
    assert r.status_code == 201, r.text
    cartons = market.stock("D-NEW", "SP-NEW", "370100", 3)
    vids = [market.divert(c, "LC-G3") for c in cartons]
    for vid in vids:
        confirm(market, vid)
    v = market.violation(vids[0])
    assert v["diverting_salesperson_code"] == "SP-NEW"
    # The distributor signed: its fine stands; the salesperson did not: 0.00, recorded only.
    assert v["fine"] != "0.00"
    assert v["salesperson_fine"] == "0.00"
    assert "salesperson_fine.no_agreement" in v["salesperson_fine_reason"]
    row = dismissals(market)["SP-NEW"]
    assert (row["confirmed_violations"], row["recommended"]) == (3, False)
    assert row["agreement_on_file"] is False and row["rests_on"] == []
    assert row["rule"] == "dismissal.no_agreement" and "recorded only" in row["reason"]
    assert "SP-NEW" not in dismissals(market, recommended_only="true")
    # Signing the agreement now does not reach back to diversions before it.
    r = api.patch(
        "admin",
        "/api/v1/salespeople/SP-NEW",
        json={"agreement_signed_at": now().isoformat()},
    )
    assert r.status_code == 200, r.text
    row = dismissals(market)["SP-NEW"]
    assert row["recommended"] is False and row["rule"] == "dismissal.below_thresholds"


def test_scorecard_computes_plan_completion_and_growth_from_the_ledger(market: Market) -> None:
    from app.ledger import service as ledger
    from app.ledger.service import LegIn
    from app.models import AccountKind, PartyType

    month = period_of(now())
    r = market.api.client.put(
        f"/api/v1/reports/targets/distributor/{JN3}/{month}",
        json={"target": "192.00"},
        headers=market.api.as_("admin"),
    )
    assert r.status_code == 200, r.text
    market.stock(JN3, "SP-370100", "370100", 3)  # 144.00 of a 192.00 target: 75 %
    a_year_ago = now().replace(year=now().year - 1, day=min(now().day, 28))
    with db.get_sessionmaker()() as s, s.begin():
        ledger.post_entry(
            s,
            cause_type="delivery",
            cause_key="WB-LAST-YEAR",
            legs=[
                LegIn(PartyType.DISTRIBUTOR, JN3, AccountKind.credited_sales, 10000, "x"),
                LegIn(PartyType.SYSTEM, "shipments", AccountKind.system, -10000, "x"),
            ],
            rule="delivery_credit",
            policy_version=load_policy().version,
            memo="last year's sales",
            actor="test",
            posted_at=a_year_ago,
        )
    card = scorecard(market, JN3)
    assert Decimal(card["plan_completion_pct"]) == Decimal(75)
    assert Decimal(card["sales_growth_pct"]) == Decimal(44)  # 144.00 against 100.00
    # 75 % completion: grade 2 (60 % or more); 44 % growth: grade 5 (20 % or more).
    assert card["grades"]["contract_completion"] == 2 and card["grades"]["sales_growth"] == 5
    assert set(card["computed"]) == {
        "diversion",
        "price_control",
        "contract_completion",
        "sales_growth",
    }
    assert card["entered_missing"] == ["sales_share", "profitability"]
    assert card["fines_owed"] == "0.00" and card["star_cap_rule"] is None
    # An entered grade does not override what the data says.
    r = market.api.client.put(
        f"/api/v1/reports/scorecards/{JN3}/{month}/grades",
        json={"grades": {"contract_completion": 5, "sales_share": 4, "profitability": 4}},
        headers=market.api.as_("auditor"),
    )
    assert r.status_code == 204, r.text
    card = scorecard(market, JN3)
    assert card["grades"]["contract_completion"] == 2 and card["entered_missing"] == []
    # Grade points 20..100: (100 + 100 + 40 + 100 + 80 + 80) / 600 = 83 %.
    assert (card["score_pct"], card["stars"]) == (83, 4)
