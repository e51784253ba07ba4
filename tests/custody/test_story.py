"""The full story of the channel below the distributor (SPEC §2.10-§2.12)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from rules.policy import load_policy
from tests.conftest import Api, LiveServer
from tests.custody.channel import JINAN, ZIBO, Channel


def story(ch: Channel) -> None:
    """Jinan's 二批 receives beer from Jinan, tries to ship it on to a Zibo shop (refused), the
    beer turns up in Zibo anyway, and the inspector's finding names the 二批 and Jinan."""
    wholesaler = ch.approved(f"JN-W2-{next(ch._keys)}")
    shop = ch.approved(
        f"ZB-SHOP-{next(ch._keys)}", region="370300", distributor=ZIBO, tier="retail"
    )
    w_user = ch.login(wholesaler)
    (payload,) = ch.market.stock(JINAN, "SP-370100", "370100", 1)
    shipped = ch.ship("jinan-distributor", payload, wholesaler)
    serial = shipped["serial"]
    assert shipped["outcome"] == "accepted" and serial and serial in payload, shipped
    held = ch.carton(serial)
    # Shipped, not yet received: still in Jinan's custody.
    assert held["custodian"] == {"party_type": "distributor", "party_code": JINAN}

    received = ch.receive(w_user, payload)
    assert received["outcome"] == "accepted" and received.get("reason") is None, received
    assert ch.carton(serial)["custodian"] == {
        "party_type": "sub_customer",
        "party_code": wholesaler,
    }

    onward = ch.ship(w_user, payload, shop)
    assert (onward["outcome"], onward["reason"]) == ("refused", "outside_territory"), onward
    after = ch.carton(serial)
    assert after["custodian"] == {"party_type": "sub_customer", "party_code": wholesaler}
    assert [(e["kind"], e["from_party_code"], e["to_party_code"]) for e in after["custody"]] == [
        ("deliver", None, JINAN),
        ("ship", JINAN, wholesaler),
        ("receive", JINAN, wholesaler),
    ]

    # The beer reaches Zibo through an unscanned channel; the inspector finds it there.
    found = ch.market.scan(payload, "ZB-G20")
    assert found["verdict"] == "diversion"
    v = ch.market.violation(found["violation_id"])
    assert v["diverting_sub_customer_code"] == wholesaler
    assert v["diverting_distributor_code"] == JINAN
    assert v["invaded_distributor_code"] == ZIBO
    assert v["blame_rule"] == "sub_customer_custodian"

    # The 二批 sees the case that names it, read-only; Jinan appeals on its behalf.
    assert ch.api.get(w_user, f"/api/v1/violations/{v['id']}").status_code == 200
    listed = ch.api.get(w_user, "/api/v1/violations").json()["items"]
    assert [i["id"] for i in listed] == [v["id"]]
    r = ch.api.post(w_user, f"/api/v1/violations/{v['id']}/appeal", json={"reason": "not us"})
    assert r.status_code == 403
    r = ch.api.post(
        "jinan-distributor", f"/api/v1/violations/{v['id']}/appeal", json={"reason": "ours?"}
    )
    assert r.status_code == 200 and r.json()["status"] == "appealed", r.text

    # HQ confirms: the transfer stays between distributors, the 二批 pays its own fine and
    # loses credit.
    r = ch.api.post("auditor", f"/api/v1/violations/{v['id']}/decide", json={"decision": "confirm"})
    assert r.status_code == 200, r.text
    confirmed = r.json()
    assert confirmed["sub_customer_fine"] == "50.00", confirmed
    assert f"policy {load_policy().version}" in confirmed["sub_customer_fine_reason"]
    mine = ch.api.get("jinan-distributor", f"/api/v1/sub-customers/{wholesaler}").json()
    assert mine["credit_score"] < 100 and mine["violations"] == 1 and mine["cartons_held"] == 1


def test_story_in_process(channel: Channel) -> None:
    story(channel)


@pytest.fixture
def live_channel(live_server: LiveServer) -> Iterator[Channel]:
    with httpx.Client(base_url=live_server.base_url, timeout=30) as client:
        yield Channel(Api(client, dict(live_server.tokens)), live_server.database_url)  # type: ignore[arg-type]


def test_story_over_http(live_channel: Channel) -> None:
    story(live_channel)
