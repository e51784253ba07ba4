"""Price disorder (乱价) as cases (SPEC §2.16) over the API: a price below the floor opens a case
against the seller, inside its own region or beside a diversion, with the diversion's appeal,
decision, reversal, fine and audit; each role sees what concerns it. Lager's floor for a first-
tier wholesaler is 3.60 a unit; the policy fines 30.00 a carton with an agreement on file."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from tests.conftest import Api, LiveServer
from tests.violations.market import Market, now

JINAN, LIAOCHENG = "D-370100-1", "D-371500-1"


def deposits(api: Api) -> dict[str, str]:
    r = api.get("auditor", "/api/v1/ledger/deposits")
    assert r.status_code == 200, r.text
    return {i["distributor_code"]: i["balance"] for i in r.json()["items"]}


def listed(api: Api, user: str, **params: str) -> set[int]:
    r = api.get(user, "/api/v1/violations", params={"kind": "price", "limit": 500, **params})
    assert r.status_code == 200, r.text
    assert all(v["kind"] == "price" for v in r.json()["items"])
    return {v["id"] for v in r.json()["items"]}


def test_underpricing_in_its_own_region_is_a_case_against_the_seller(market: Market) -> None:
    api = market.api
    payload = market.stock(JINAN, "SP-370100", "370100", 1)[0]
    # At the floor: no case. Below it, at home in Jinan: a price case, no diversion.
    assert market.scan(payload, "JN-G2-N", observed_price="3.60")["violation_id"] is None
    result = market.scan(payload, "JN-G2-N", observed_price="3.00")
    assert result["verdict"] == "in_region" and result["findings"] == ["price_violation"]
    vid = result["price_violation_id"]
    assert vid is not None and result["violation_id"] == vid
    # The same carton underpriced again is counted once, on the same case.
    assert market.scan(payload, "JN-G2-N", observed_price="3.10")["price_violation_id"] == vid
    v = market.violation(vid)
    assert v["kind"] == "price" and v["status"] == "open"
    assert v["diverting_distributor_code"] == JINAN
    assert v["diverting_salesperson_code"] == "SP-370100"
    assert v["diverting_sub_customer_code"] is None
    assert v["invaded_distributor_code"] is None and v["region_code"] == "370100"
    assert v["blame_rule"] == "price.distributor_custodian"
    assert v["value"] == "48.00" and v["fine"] == "0.00"
    assert [e["observed_price"] for e in v["evidence"]] == ["3.00", "3.10"]
    assert v["events"][0]["note"] == "opened by a price scan"

    # Who sees it: the seller, its salesperson and HQ; not another distributor, nor an
    # inspector (who gets verdicts at scan time), nor a sub-customer it does not name.
    for user in ("auditor", "admin", "jinan-distributor", "jinan-sales"):
        assert vid in listed(api, user), user
        assert api.get(user, f"/api/v1/violations/{vid}").status_code == 200, user
    for user in ("liaocheng-distributor", "jinan-wholesaler"):
        assert vid not in listed(api, user), user
        assert api.get(user, f"/api/v1/violations/{vid}").status_code == 404, user

    # Only the seller's distributor appeals; HQ confirms, the fine leaves the deposit.
    appeal = {"reason": "促销价, 厂家批准"}
    assert (
        api.post(
            "liaocheng-distributor", f"/api/v1/violations/{vid}/appeal", json=appeal
        ).status_code
        == 404
    )
    r = api.post("jinan-distributor", f"/api/v1/violations/{vid}/appeal", json=appeal)
    assert r.status_code == 200 and r.json()["status"] == "appealed", r.text
    assert (
        api.post(
            "jinan-distributor", f"/api/v1/violations/{vid}/decide", json={"decision": "confirm"}
        ).status_code
        == 403
    )
    assert (
        api.post(
            "admin", "/api/v1/deposits", json={"distributor_code": JINAN, "amount": "100.00"}
        ).status_code
        == 201
    )
    balances = market.balances()
    r = api.post("auditor", f"/api/v1/violations/{vid}/decide", json={"decision": "confirm"})
    assert r.status_code == 200, r.text
    confirmed = r.json()
    assert confirmed["status"] == "confirmed" and confirmed["fine"] == "30.00"
    assert "price_fine.schedule" in confirmed["fine_reason"]
    assert "2026-12-20" in confirmed["fine_reason"]
    assert deposits(api)[JINAN] == "70.00"
    assert market.moved(balances) == {}  # a price case moves no credited sales
    assert {p["rule"] for p in confirmed["postings"]} >= {"price_fine.schedule"}
    assert market.violation(vid, "jinan-sales")["fine"] == "30.00"
    # A second confirmation is a conflict; a reversal gives the deposit back exactly.
    assert (
        api.post(
            "auditor", f"/api/v1/violations/{vid}/decide", json={"decision": "confirm"}
        ).status_code
        == 409
    )
    r = api.post("auditor", f"/api/v1/violations/{vid}/reverse", json={"note": "批准的促销"})
    assert r.status_code == 200 and r.json()["status"] == "reversed", r.text
    assert deposits(api)[JINAN] == "100.00"
    r = api.get("auditor", "/api/v1/audit-log/verify")
    assert r.json()["ok"] is True, r.text


def test_a_sub_customer_seller_answers_with_its_distributor(market: Market) -> None:
    api = market.api
    payload = market.stock(JINAN, "SP-370100", "370100", 1)[0]
    at = now().isoformat()
    for user, path, to in (
        ("jinan-distributor", "ship", "SC-370100-W1"),
        ("jinan-wholesaler", "receive", None),
    ):
        item = {"payload": payload, "at": at, **({"to_party_code": to} if to else {})}
        r = api.client.post(
            f"/api/v1/custody/{path}",
            json={"items": [item]},
            headers={**api.as_(user), "Idempotency-Key": f"price-{path}-{payload[-12:]}"},
        )
        assert r.status_code == 200 and r.json()["results"][0]["outcome"] == "accepted", r.text
    vid = market.scan(payload, "JN-G2-N", observed_price="2.80")["price_violation_id"]
    v = market.violation(vid)
    assert v["diverting_sub_customer_code"] == "SC-370100-W1"
    assert v["diverting_distributor_code"] == JINAN
    assert v["blame_rule"] == "price.sub_customer_custodian"
    assert vid in listed(api, "jinan-wholesaler")
    assert vid not in listed(api, "jinan-dumper")
    assert api.get("jinan-dumper", f"/api/v1/violations/{vid}").status_code == 404
    confirmed = market.api.post(
        "auditor", f"/api/v1/violations/{vid}/decide", json={"decision": "confirm"}
    ).json()
    # W1 signed its own agreement: 20.00 a carton of its own, beside its distributor's 30.00.
    assert confirmed["fine"] == "30.00" and confirmed["sub_customer_fine"] == "20.00"
    mine = market.violation(vid, "jinan-wholesaler")
    assert mine["sub_customer_fine"] == "20.00" and mine["fine"] is None


def test_underpriced_diverted_goods_are_two_cases(market: Market) -> None:
    payload = market.stock(JINAN, "SP-370100", "370100", 1)[0]
    result = market.scan(payload, "LC-G3", observed_price="3.20")
    assert result["verdict"] == "diversion"
    diversion, price = result["violation_id"], result["price_violation_id"]
    assert price is not None and diversion != price
    assert market.violation(diversion)["kind"] == "diversion"
    case = market.violation(price)
    assert case["kind"] == "price" and case["invaded_distributor_code"] is None
    assert [e["observed_price"] for e in case["evidence"]] == ["3.20"]
    # The invaded neighbour sees the diversion, not the seller's price case.
    assert (
        market.api.get("liaocheng-distributor", f"/api/v1/violations/{diversion}").status_code
        == 200
    )
    assert market.api.get("liaocheng-distributor", f"/api/v1/violations/{price}").status_code == 404


def test_no_agreement_no_fine_only_the_record(market: Market) -> None:
    payload = market.stock(LIAOCHENG, "SP-371500", "371500", 1)[0]
    vid = market.scan(payload, "LC-G3", observed_price="3.00")["price_violation_id"]
    r = market.api.post("auditor", f"/api/v1/violations/{vid}/decide", json={"decision": "confirm"})
    assert r.status_code == 200, r.text
    assert r.json()["fine"] == "0.00" and "price_fine.no_agreement" in r.json()["fine_reason"]
    assert r.json()["status"] == "confirmed"


def test_unknown_kind_is_422(market: Market) -> None:
    r = market.api.get("auditor", "/api/v1/violations", params={"kind": "pricing"})
    assert r.status_code == 422 and "price" in r.text


@pytest.fixture
def live(live_server: LiveServer) -> Iterator[Api]:
    with httpx.Client(base_url=live_server.base_url, timeout=30) as client:
        yield Api(client, dict(live_server.tokens))  # type: ignore[arg-type]


def test_price_cases_over_real_http(live: Api) -> None:
    market = Market(live)
    payload = market.stock(JINAN, "SP-370100", "370100", 1)[0]
    vid = market.scan(payload, "JN-G2-N", observed_price="3.00")["price_violation_id"]
    assert vid in listed(live, "jinan-distributor")
    assert vid not in listed(live, "liaocheng-distributor")
    assert live.get("liaocheng-distributor", f"/api/v1/violations/{vid}").status_code == 404
    r = live.post("jinan-distributor", f"/api/v1/violations/{vid}/appeal", json={"reason": "误报"})
    assert r.status_code == 200 and r.json()["status"] == "appealed"
    r = live.post("auditor", f"/api/v1/violations/{vid}/decide", json={"decision": "dismiss"})
    body: dict[str, Any] = r.json()
    assert r.status_code == 200 and body["status"] == "dismissed" and body["fine"] == "0.00"
    # Dismissed, the carton is free: underpriced again, it opens a new case.
    again = market.scan(payload, "JN-G2-N", observed_price="3.00")["price_violation_id"]
    assert again not in (None, vid)
    assert Decimal(market.violation(again)["value"]) == Decimal("48.00")
