"""Each custody call by each role, and the bad input that must never move goods or fail a batch."""

from __future__ import annotations

from typing import Any

from tests.custody.channel import JINAN, LIAOCHENG, ZIBO, Channel, at


def _stocked(ch: Channel, n: int = 1) -> list[str]:
    return ch.market.stock(JINAN, "SP-370100", "370100", n)


def test_a_batch_judges_every_item_and_never_fails_whole(channel: Channel) -> None:
    w = channel.approved("JN-W")
    p = _stocked(channel, 2)
    r = channel.hand_off(
        "ship",
        "jinan-distributor",
        {"payload": p[0], "to_party_code": w, "at": at()},
        {"payload": "garbage", "to_party_code": w, "at": at()},
        {"payload": p[1], "to_party_code": "NOBODY", "at": at()},
        {"payload": p[1], "at": at()},
        {"payload": p[1], "to_party_code": JINAN, "at": at()},
    )
    assert r.status_code == 200, r.text
    res = r.json()["results"]
    assert [x["payload"] for x in res] == [p[0], "garbage", p[1], p[1], p[1]]
    assert res[0]["outcome"] == "accepted"
    assert res[1]["error"].startswith("unreadable") and res[1]["outcome"] is None
    assert "unknown party" in res[2]["error"]
    assert "to_party_code" in res[3]["error"]
    assert (res[4]["outcome"], res[4]["reason"]) == ("refused", "to_self")


def test_retries_replay_and_a_reused_key_is_409(channel: Channel) -> None:
    w = channel.approved("JN-K")
    (p,) = _stocked(channel)
    item = {"payload": p, "to_party_code": w, "at": at()}
    first = channel.hand_off("ship", "jinan-distributor", item, key="same")
    again = channel.hand_off("ship", "jinan-distributor", item, key="same")
    assert first.status_code == again.status_code == 200 and first.json() == again.json()
    serial = first.json()["results"][0]["serial"]
    assert [e["kind"] for e in channel.carton(serial)["custody"]] == ["deliver", "ship"]
    assert (
        channel.hand_off("ship", "jinan-distributor", {**item, "at": at(5)}, key="same").status_code
        == 409
    )
    assert channel.hand_off("receive", "jinan-distributor", item, key="same").status_code == 409


def test_you_ship_only_what_you_hold(channel: Channel) -> None:
    w = channel.approved("JN-H")
    (p,) = _stocked(channel)
    res = channel.ship("liaocheng-distributor", p, w)
    assert (res["outcome"], res["reason"]) == ("refused", "not_custodian")
    me = channel.login(w)
    res = channel.ship(me, p, JINAN)
    assert (res["outcome"], res["reason"]) == ("refused", "not_custodian")
    undelivered = channel.market.issue("370100", 1)[0]
    assert channel.ship("jinan-distributor", undelivered, w)["reason"] == "not_custodian"
    assert channel.receive(me, undelivered)["reason"] == "not_delivered"


def test_no_goods_to_or_from_an_uncertified_sub_customer(channel: Channel) -> None:
    pending = channel.sub_customer("JN-P", by="jinan-distributor").json()["code"]
    revoked = channel.approved("JN-REV")
    channel.api.post("admin", f"/api/v1/sub-customers/{revoked}/revoke")
    p = _stocked(channel, 2)
    for target in (pending, revoked):
        res = channel.ship("jinan-distributor", p[0], target)
        assert (res["outcome"], res["reason"]) == ("refused", "receiver_not_authorized")
    me = channel.login(revoked)
    assert channel.receive(me, p[1])["reason"] == "not_authorized"


def test_receipt_from_outside_the_supply_line_opens_a_diversion(channel: Channel) -> None:
    jn = channel.approved("JN-S")
    lc = channel.approved("LC-S", region="371500", distributor=LIAOCHENG)
    jn_user, lc_user = channel.login(jn), channel.login(lc)
    p = _stocked(channel, 2)
    assert channel.ship("jinan-distributor", p[0], jn)["outcome"] == "accepted"
    assert channel.receive(jn_user, p[0])["outcome"] == "accepted"
    # Liaocheng's shop buys from Jinan's 二批 (从别处进货): accepted with a warning.
    res = channel.receive(lc_user, p[0])
    assert (res["outcome"], res["reason"]) == ("warning", "outside_supply_line"), res
    v = channel.market.violation(res["violation_id"])
    assert (v["diverting_distributor_code"], v["diverting_sub_customer_code"]) == (JINAN, jn)
    assert v["invaded_distributor_code"] == LIAOCHENG and v["region_code"] == "371500"
    assert channel.carton(res["serial"])["custodian"] == {
        "party_type": "sub_customer",
        "party_code": lc,
    }
    # Straight from the distributor: the distributor alone is named.
    res = channel.receive(lc_user, p[1])
    v = channel.market.violation(res["violation_id"])
    assert (v["diverting_distributor_code"], v["diverting_sub_customer_code"]) == (JINAN, None)
    # Its own supply line, not shipped to it: a warning, no violation.
    other = channel.login(channel.approved("JN-T"))
    res = channel.receive(other, _stocked(channel)[0])
    assert (res["outcome"], res["reason"], res["violation_id"]) == (
        "warning",
        "not_shipped_to_you",
        None,
    )


def test_admin_names_the_parties_and_others_may_not(channel: Channel) -> None:
    w = channel.approved("JN-ADM")
    (p,) = _stocked(channel)
    res = channel.ship("admin", p, w)
    assert "from_party_code" in res["error"]
    res = channel.ship("admin", p, w, from_party_code=JINAN)
    assert res["outcome"] == "accepted"
    assert "to_party_code" in channel.receive("admin", p)["error"]
    assert channel.receive("admin", p, to_party_code=w)["outcome"] == "accepted"
    assert "only an admin" in channel.ship("jinan-distributor", p, w, from_party_code=ZIBO)["error"]
    for user in ("inspector", "auditor", "jinan-sales"):
        r = channel.hand_off("ship", user, {"payload": p, "to_party_code": w, "at": at()})
        assert r.status_code == 403
    r = channel.hand_off("ship", "jinan-distributor", {"payload": p, "at": "yesterday"})
    assert r.status_code == 422


def test_pallet_covers_its_cartons(channel: Channel) -> None:
    w = channel.approved("JN-PAL")
    p = _stocked(channel, 3)
    r = channel.api.post("admin", "/api/v1/pallets", json={"carton_payloads": p})
    assert r.status_code == 201, r.text
    sscc: dict[str, Any] = r.json()
    res = channel.ship("jinan-distributor", sscc["element_string"], w)
    assert (res["outcome"], res["cartons"]) == ("accepted", 3), res
    held = channel.api.get("jinan-distributor", f"/api/v1/sub-customers/{w}").json()
    assert held["cartons_held"] == 0  # shipped, not yet received
    me = channel.login(w)
    assert channel.receive(me, sscc["element_string"])["cartons"] == 3
    held = channel.api.get("jinan-distributor", f"/api/v1/sub-customers/{w}").json()
    assert held["cartons_held"] == 3 and held["sell_through_hours"] is not None
