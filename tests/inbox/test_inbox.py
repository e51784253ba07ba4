"""Every user's inbox: new violations for HQ and both parties, appeals for HQ, decisions for the
parties, route notifications, unread counts and read marks that are each reader's own."""

from __future__ import annotations

from typing import Any

from tests.violations.market import Market


def inbox(market: Market, user: str, **params: Any) -> dict[str, Any]:
    r = market.api.get(user, "/api/v1/inbox", params=params)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def items_for(market: Market, user: str, vid: int, kind: str) -> list[dict[str, Any]]:
    return [
        i
        for i in inbox(market, user, limit=200)["items"]
        if i["violation_id"] == vid and i["kind"] == kind
    ]


def jinan_goods_in_liaocheng(market: Market) -> int:
    (payload,) = market.stock("D-370100-1", "SP-370100", "370100", 1)
    return market.divert(payload, "LC-G3")


def test_a_new_violation_reaches_hq_both_parties_and_the_salesperson_not_the_inspector(
    market: Market,
) -> None:
    vid = jinan_goods_in_liaocheng(market)
    for user in ("auditor", "admin", "jinan-distributor", "liaocheng-distributor", "jinan-sales"):
        (item,) = items_for(market, user, vid, "violation.opened")
        assert item["read"] is False and item["data"]["region_code"] == "371500"
        assert item["data"]["value"] == "48.00"
    assert all(i["violation_id"] is None for i in inbox(market, "inspector")["items"])


def test_reading_an_item_is_the_readers_own_and_lowers_the_unread_count(market: Market) -> None:
    vid = jinan_goods_in_liaocheng(market)
    (item,) = items_for(market, "auditor", vid, "violation.opened")
    before = inbox(market, "auditor")["unread"]
    other_before = inbox(market, "liaocheng-distributor")["unread"]
    r = market.api.post("auditor", f"/api/v1/inbox/{item['id']}/read")
    assert r.status_code == 204
    assert market.api.post("auditor", f"/api/v1/inbox/{item['id']}/read").status_code == 204
    assert inbox(market, "auditor")["unread"] == before - 1
    assert items_for(market, "auditor", vid, "violation.opened")[0]["read"] is True
    unread_ids = [i["id"] for i in inbox(market, "auditor", unread=True, limit=200)["items"]]
    assert item["id"] not in unread_ids
    # The invaded distributor's copy is still unread.
    assert inbox(market, "liaocheng-distributor")["unread"] == other_before
    assert items_for(market, "liaocheng-distributor", vid, "violation.opened")[0]["read"] is False


def test_appeals_go_to_hq_and_decisions_to_the_parties(market: Market) -> None:
    vid = jinan_goods_in_liaocheng(market)
    r = market.api.post(
        "jinan-distributor", f"/api/v1/violations/{vid}/appeal", json={"reason": "调拨"}
    )
    assert r.status_code == 200, r.text
    assert len(items_for(market, "auditor", vid, "violation.appealed")) == 1
    assert items_for(market, "jinan-distributor", vid, "violation.appealed") == []
    r = market.api.post(
        "auditor",
        f"/api/v1/violations/{vid}/decide",
        json={"decision": "dismiss", "note": "库存调拨属实"},
    )
    assert r.status_code == 200, r.text
    for user in ("jinan-distributor", "liaocheng-distributor", "jinan-sales"):
        (decision,) = items_for(market, user, vid, "violation.dismissed")
        assert decision["data"]["note"] == "库存调拨属实"
    assert items_for(market, "auditor", vid, "violation.dismissed") == []


def test_nobody_marks_what_they_cannot_see(market: Market) -> None:
    # Qingdao goods found in Heze concern neither Jinan nor Liaocheng.
    (payload,) = market.stock("D-370200-1", "SP-370200", "370200", 1)
    vid = market.divert(payload, "HZ-G35")
    (item,) = items_for(market, "auditor", vid, "violation.opened")
    assert items_for(market, "jinan-distributor", vid, "violation.opened") == []
    for user in ("jinan-distributor", "inspector"):
        assert market.api.post(user, f"/api/v1/inbox/{item['id']}/read").status_code == 404
    for bad in ("v-999999999", "x-1", "v-", "n-abc", "v-" + "9" * 40):
        assert market.api.post("auditor", f"/api/v1/inbox/{bad}/read").status_code == 404


def test_route_notifications_are_in_the_inbox_of_those_along_the_route(market: Market) -> None:
    payloads = market.issue("371500", 1)
    number = market.deliver("D-371500-1", "SP-371500", payloads, ["370100", "371500"])
    notes = [
        i
        for i in inbox(market, "jinan-sales", limit=200)["items"]
        if i["kind"] == "waybill.issued" and i["data"]["number"] == number
    ]
    assert len(notes) == 1 and notes[0]["id"].startswith("n-")
    assert notes[0]["data"]["route_region_codes"] == ["370100", "371500"]
    before = inbox(market, "jinan-sales")["unread"]
    assert market.api.post("jinan-sales", f"/api/v1/inbox/{notes[0]['id']}/read").status_code == 204
    assert inbox(market, "jinan-sales")["unread"] == before - 1
    # Another user cannot mark it.
    assert market.api.post("auditor", f"/api/v1/inbox/{notes[0]['id']}/read").status_code == 404
