"""The public verify page at every QR's Digital Link path: no sign-in, genuine or not, the same
answer for forged, unknown and voided codes, a count of earlier verifications, a rate limit,
and sightings that reach HQ as weak signals."""

from __future__ import annotations

from app.codes import gs1
from app.config import get_settings
from tests.conftest import Api
from tests.verify.helpers import JSON, issue, pack, path_of

NOT_GENUINE = {"genuine": False, "verifications": 0}


def _verify(api: Api, payload: str) -> dict[str, object]:
    r = api.client.get(path_of(payload), headers=JSON)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    body: dict[str, object] = r.json()
    return body


def test_a_genuine_item_code_answers_its_product_region_and_count(api: Api) -> None:
    (carton,) = issue(api, 1)
    (bottle,) = issue(api, 1, level="item")
    pack(api, carton["serial"], [bottle["payload"]])
    first = _verify(api, bottle["payload"])
    assert first == {
        "genuine": True,
        "product_name": first["product_name"],
        "region_name": "济南市",
        "verifications": 0,
    }
    assert first["product_name"]
    second = _verify(api, bottle["payload"])
    assert second["verifications"] == 1 and "first_verified_at" in second
    third = _verify(api, bottle["payload"])
    assert third["verifications"] == 2
    assert third["first_verified_at"] == second["first_verified_at"]
    # A carton's own code verifies too, counted apart from its bottles.
    assert _verify(api, carton["payload"])["verifications"] == 0
    # Nothing private: no distributor, price, custody.
    text = str(third).lower()
    for word in ("distributor", "price", "custod", "d-370100"):
        assert word not in text


def test_forged_unknown_and_voided_codes_answer_exactly_alike_however_often(api: Api) -> None:
    (carton,) = issue(api, 1)
    bottle, voided = issue(api, 2, level="item")
    pack(api, carton["serial"], [bottle["payload"], voided["payload"]])
    assert _verify(api, voided["payload"])["genuine"] is True  # verified once while live
    r = api.post("admin", f"/api/v1/cartons/{voided['serial']}/void", json={"reason": "broken"})
    assert r.status_code == 200
    settings = get_settings()
    forged = bottle["payload"].replace("&92=D1-", "&92=D1-A")[:-1]
    assert forged != bottle["payload"]
    unknown = gs1.issue_code(
        gtin="06901234560015", region_code="370100", keys=settings.signing
    ).digital_link(settings.digital_link_base)
    wrong_region = bottle["payload"].replace("?91=370100", "?91=371500")
    truncated = bottle["payload"].split("?")[0]
    for payload in (forged, unknown, voided["payload"], wrong_region, truncated):
        for _ in range(4):
            assert _verify(api, payload) == NOT_GENUINE, payload
    # Garbage in the path is not genuine either, never a 500.
    for path in ("/01/x/21/y", "/01/06901234560015/21/" + "A" * 30 + "?91=%00&92=-"):
        r = api.client.get(path, headers=JSON)
        assert r.status_code == 200 and r.json() == NOT_GENUINE


def test_the_page_is_light_chinese_with_english_one_tap_away(api: Api) -> None:
    (carton,) = issue(api, 1)
    (bottle,) = issue(api, 1, level="item")
    pack(api, carton["serial"], [bottle["payload"]])
    r = api.client.get(path_of(bottle["payload"]), headers={"Accept": "text/html,*/*"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    page = r.text
    assert 'lang="zh-CN"' in page and "正品" in page and "专供济南市地区销售" in page
    assert "lang=en" in page and len(page.encode()) < 8000
    assert "http://" not in page and "https://" not in page  # no external requests
    again = api.client.get(path_of(bottle["payload"]) + "&lang=en").text
    assert "Genuine" in again and "verified 1 times before" in again
    fake = api.client.get(path_of(bottle["payload"]).replace("?91=370100", "?91=371500")).text
    assert "非正品" in fake and "专供" not in fake


def test_more_than_the_limit_a_minute_from_one_address_is_429(api: Api) -> None:
    (code,) = issue(api, 1)
    path = path_of(code["payload"])
    limit = get_settings().public_verify_per_minute
    statuses = [api.client.get(path, headers=JSON).status_code for _ in range(limit)]
    assert set(statuses) == {200}
    r = api.client.get(path, headers=JSON)
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
    # Headers do not change who is asking: the client address counts.
    assert api.client.get(path, headers={**JSON, "X-Test": "1"}).status_code == 429


def _place(api: Api, payload: str, **where: object) -> dict[str, object]:
    page = api.client.get(path_of(payload)).text
    start = page.index("var P=") + len("var P=")
    import json

    token = json.loads(page[start : page.index(";</script>", start)])
    r = api.client.post(path_of(payload).split("?")[0] + "/place", json={**token, **where})
    assert r.status_code == 200, r.text
    body: dict[str, object] = r.json()
    return body


def test_sightings_raise_clone_and_diversion_signals_for_hq_not_violations(api: Api) -> None:
    (carton,) = issue(api, 1)
    bottle, other = issue(api, 2, level="item")
    pack(api, carton["serial"], [bottle["payload"], other["payload"]])
    violations = api.get("auditor", "/api/v1/violations").json()["total"]
    home = _place(api, bottle["payload"], lat=36.65123, lon=117.12345)
    assert (home["lat"], home["lon"]) == (36.65, 117.12)
    assert api.get("auditor", "/api/v1/consumer-signals").json()["items"] == []
    # Minutes later in Qingdao, 300 km away: a copy; and outside Jinan: diverted.
    _place(api, bottle["payload"], city="370200")
    signals = api.get("auditor", "/api/v1/consumer-signals").json()["items"]
    assert sorted(s["kind"] for s in signals) == ["clone_suspected", "out_of_region"]
    for s in signals:
        assert s["serial"] == carton["serial"] and s["item_serial"] == bottle["serial"]
        assert s["code_region_code"] == "370100" and s["place_region_code"] == "370200"
    clones = api.get("auditor", "/api/v1/consumer-signals?kind=clone_suspected").json()["items"]
    assert len(clones) == 1 and clones[0]["rule"] == "consumer_impossible_travel"
    # Weak signals only: no violation was opened.
    assert api.get("auditor", "/api/v1/violations").json()["total"] == violations
    for user in ("inspector", "jinan-distributor", "jinan-sales"):
        assert api.get(user, "/api/v1/consumer-signals").status_code == 403
    assert api.get(None, "/api/v1/consumer-signals").status_code == 401
    # The carton's history lists its own and its bottles' public verifications.
    history = api.get("inspector", f"/api/v1/cartons/{carton['serial']}").json()
    pv = history["public_verifications"]
    assert len(pv) == 2 and {v["item_serial"] for v in pv} == {bottle["serial"]}
    assert pv[0]["place"]["lat"] == 36.65 and pv[1]["place"]["city_code"] == "370200"


def test_a_place_is_given_once_and_only_with_the_pages_token(api: Api) -> None:
    (code,) = issue(api, 1)
    page = api.client.get(path_of(code["payload"])).text
    import json

    start = page.index("var P=") + len("var P=")
    token = json.loads(page[start : page.index(";</script>", start)])
    url = path_of(code["payload"]).split("?")[0] + "/place"
    bad = {**token, "token": "0" * 32, "lat": 36.6, "lon": 117.1}
    assert api.client.post(url, json=bad).status_code == 404
    assert api.client.post(url, json={**token, "lat": 36.6}).status_code == 422
    assert api.client.post(url, json={**token, "city": "NOPE"}).status_code == 422
    assert api.client.post(url, json={**token, "lat": 36.6, "lon": 117.1}).status_code == 200
    assert api.client.post(url, json={**token, "lat": 36.6, "lon": 117.1}).status_code == 409
