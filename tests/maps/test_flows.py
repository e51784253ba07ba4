"""HQ's diversion map data: value flowing from the diverting region to the invaded one."""

from __future__ import annotations

from typing import Any

from app.ledger.service import period_of
from tests.violations.market import Market, now


def flows(market: Market, user: str = "auditor", **params: str) -> Any:
    r = market.api.get(user, "/api/v1/reports/diversion-flows", params=params)
    assert r.status_code == 200, r.text
    return r.json()


def flow(body: dict[str, Any], a: str, b: str, layer: str = "diversions") -> dict[str, Any] | None:
    return next(
        (f for f in body[layer] if f["from_region_code"] == a and f["to_region_code"] == b), None
    )


def test_a_diversion_adds_its_cartons_and_value_to_the_flow_between_the_two_regions(
    market: Market,
) -> None:
    before = flow(flows(market), "370200", "371700") or {"count": 0, "cartons": 0, "value": "0"}
    payloads = market.stock("D-370200-1", "SP-370200", "370200", 3)
    vid = market.divert(payloads[0], "HZ-G35")
    market.divert(payloads[1], "HZ-G35")  # joins or opens: either way two more cartons
    after = flow(flows(market, period=period_of(now())), "370200", "371700")
    assert after is not None
    assert after["cartons"] - (before["cartons"] if before["count"] else 0) >= 2
    # The whole-history view holds at least what this month holds.
    total = flow(flows(market), "370200", "371700")
    assert total is not None and total["cartons"] >= after["cartons"]
    # Dismissed cases leave the map.
    r = market.api.post(
        "auditor", f"/api/v1/violations/{vid}/decide", json={"decision": "dismiss", "note": "x"}
    )
    assert r.status_code == 200, r.text
    later = flow(flows(market, period=period_of(now())), "370200", "371700")
    assert later is None or later["cartons"] < after["cartons"]


def test_the_demo_shows_jinan_goods_flowing_to_liaocheng_and_into_zibo(
    market: Market,
) -> None:
    body = flows(market)
    jn_lc = flow(body, "370100", "371500")
    assert jn_lc is not None and jn_lc["cartons"] >= 4
    assert jn_lc["value"] == f"{48 * jn_lc['cartons']:.2f}"
    # The logistics-park 二批 dumped Jinan's goods in Zibo: its distributor's region gives.
    assert flow(body, "370100", "370300") is not None
    # No flow from a region into itself (the demo's hand-offs all stay inside Jinan).
    for layer in ("diversions", "hand_offs"):
        assert all(f["from_region_code"] != f["to_region_code"] for f in body[layer])


def test_only_hq_staff_see_the_map_and_a_bad_period_is_refused(market: Market) -> None:
    for user in ("jinan-distributor", "jinan-sales", "inspector"):
        assert market.api.get(user, "/api/v1/reports/diversion-flows").status_code == 403, user
    assert market.api.get("admin", "/api/v1/reports/diversion-flows").status_code == 200
    bad = market.api.get("auditor", "/api/v1/reports/diversion-flows", params={"period": "2026-13"})
    assert bad.status_code == 422


def test_consumer_sightings_are_counted_in_the_region_they_were_placed(market: Market) -> None:
    import json as _json

    from tests.verify.helpers import issue, pack, path_of

    api = market.api

    def counts() -> dict[str, dict[str, int]]:
        return {s["region_code"]: s for s in flows(market)["sightings"]}

    before = counts().get("370200", {"verifications": 0, "signals": 0})
    (carton,) = issue(api, 1)
    (bottle,) = issue(api, 1, level="item")
    pack(api, carton["serial"], [bottle["payload"]])
    page = api.client.get(path_of(bottle["payload"])).text
    start = page.index("var P=") + len("var P=")
    token = _json.loads(page[start : page.index(";</script>", start)])
    url = path_of(bottle["payload"]).split("?")[0] + "/place"
    r = api.client.post(url, json={**token, "city": "370200"})
    assert r.status_code == 200, r.text
    after = counts()["370200"]
    assert after["verifications"] == before["verifications"] + 1
    # A Jinan bottle seen in Qingdao: an out-of-region signal there.
    assert after["signals"] >= before["signals"] + 1
