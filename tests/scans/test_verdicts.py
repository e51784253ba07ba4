"""Every verdict and finding through POST /api/v1/scans, and the precedence between them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.codes import gs1
from app.common.signing import SigningKeys
from tests.scans.conftest import T0, World, iso

GS = "\x1d"


def fnc1(element_string: str) -> str:
    """The raw form a GS1-128 reader sends: no brackets, GS after variable-length fields."""
    body = element_string.replace("(01)", "01").replace("(21)", "21")
    return body.replace("(91)", GS + "91").replace("(92)", GS + "92")


def test_in_region_for_a_delivered_carton_in_its_distributors_territory(world: World) -> None:
    res = world.one(world.jinan[0]["payload"], "JN-G2-N", T0)
    assert res["verdict"] == "in_region"
    assert res["serial"] == world.jinan[0]["serial"]
    assert res["region_code"] == "370100"
    assert res["rule"] == "inside_territory"
    assert res["violation_id"] is None


@pytest.mark.parametrize("form", ["hri", "no_parens", "fnc1_c1", "fnc1_d2", "crlf", "link"])
def test_every_reader_form_reads_the_same_carton(world: World, form: str) -> None:
    code = world.jinan[1]
    payload = {
        "hri": code["element_string"],
        "no_parens": fnc1(code["element_string"]),
        "fnc1_c1": "]C1" + fnc1(code["element_string"]),
        "fnc1_d2": "]d2" + fnc1(code["element_string"]),
        "crlf": code["element_string"] + "\r\n",
        "link": code["payload"],
    }[form]
    res = world.one(payload, "JN-G20-E", T0)
    assert (res["verdict"], res["serial"]) == ("in_region", code["serial"])


def test_diversion_opens_a_violation_and_a_second_scan_joins_it(world: World) -> None:
    code = world.jinan[2]
    first = world.one(code["payload"], "LC-G3", T0 + timedelta(hours=5))
    assert first["verdict"] == "diversion"
    assert first["violation_id"] is not None
    again = world.one(code["payload"], "LC-G3", T0 + timedelta(hours=6))
    assert again["verdict"] == "diversion"
    assert again["violation_id"] == first["violation_id"]
    v = world.api.get("auditor", f"/api/v1/violations/{first['violation_id']}")
    assert v.status_code == 200, v.text
    body = v.json()
    assert body["diverting_distributor_code"] == "D-370100-1"
    assert body["invaded_distributor_code"] == "D-371500-1"
    assert body["carton_serials"] == [code["serial"]]
    assert body["value"] == "48.00"
    assert body["status"] == "open"


def test_in_transit_on_the_route_inside_the_window_then_diversion_off_route(world: World) -> None:
    code = world.to_qingdao[0]
    on_route = world.one(code["payload"], "ZB-G20", T0 + timedelta(hours=1))
    assert (on_route["verdict"], on_route["rule"]) == ("in_transit", "covered_by_waybill")
    other = world.to_qingdao[1]
    off_route = world.one(other["payload"], "HZ-G35", T0 + timedelta(hours=3))
    assert off_route["verdict"] == "diversion"


def test_in_transit_only_inside_the_waybill_window(world: World) -> None:
    code = world.to_qingdao[2]
    before_dispatch = T0 - timedelta(hours=5)
    assert world.one(code["payload"], "WF-G20", before_dispatch)["verdict"] == "diversion"


def test_undelivered_carton_is_judged_against_its_coded_region(world: World) -> None:
    code = world.jinan[8]
    assert world.one(code["payload"], "JN-G2-N", T0)["verdict"] == "in_region"
    assert world.one(code["payload"], "ZZ-G30", T0 + timedelta(days=2))["verdict"] == "diversion"


def test_impossible_travel_is_cloned_and_blames_nobody(world: World) -> None:
    code = world.jinan[3]
    assert world.one(code["payload"], "JN-G2-N", T0)["verdict"] == "in_region"
    res = world.one(code["payload"], "QD-G20-W", T0 + timedelta(minutes=20))
    assert res["verdict"] == "cloned"
    v = world.api.get("auditor", f"/api/v1/violations/{res['violation_id']}")
    assert v.status_code == 200, v.text
    assert v.json()["diverting_distributor_code"] is None


def test_voided_beats_everything_after_the_signature(world: World) -> None:
    code = world.jinan[4]
    r = world.api.post(
        "admin", f"/api/v1/cartons/{code['serial']}/void", json={"reason": "破损销毁"}
    )
    assert r.status_code == 200
    # Voided even where it would otherwise be a diversion.
    assert world.one(code["payload"], "LC-G3", T0)["verdict"] == "voided"


def test_forged_unknown_and_unreadable(world: World) -> None:
    code = world.jinan[5]["element_string"]
    tampered = code[:-1] + ("A" if code[-1] != "A" else "B")
    assert world.one(tampered, "JN-G2-N", T0)["verdict"] == "forged"
    swapped = code.replace("(91)370100", "(91)370200")
    assert world.one(swapped, "JN-G2-N", T0)["verdict"] == "forged"
    other_key = SigningKeys(keys={"ZZ": b"k" * 32}, current="ZZ")
    foreign = gs1.issue_code(gtin="06901234560015", region_code="370100", keys=other_key)
    assert world.one(foreign.element_string, "JN-G2-N", T0)["verdict"] == "unknown"
    from app.config import get_settings

    never = gs1.issue_code(gtin="06901234560015", region_code="370100", keys=get_settings().signing)
    res = world.one(never.element_string, "JN-G2-N", T0)
    assert res["verdict"] == "unknown"
    assert "never issued" in res["detail"]
    res = world.one("hello world", "JN-G2-N", T0)
    assert (res["verdict"], res["serial"]) == ("unreadable", None)


def test_price_below_the_buyers_tier_floor_is_a_finding(world: World) -> None:
    code = world.jinan[0]["payload"]
    cheap = world.one(code, "JN-G2-N", T0, observed_price="3.10")
    assert cheap["verdict"] == "in_region"
    assert cheap["findings"] == ["price_violation"]
    fair = world.one(code, "JN-G2-N", T0 + timedelta(hours=1), observed_price="3.60")
    assert fair["findings"] == []


def test_gps_position_places_the_scan_in_the_region_holding_it(world: World) -> None:
    code = world.jinan[0]["payload"]
    r = world.scan({"payload": code, "scanned_at": iso(T0), "lat": 36.45, "lon": 115.9})
    assert r.json()["results"][0]["region_code"] == "371500"
    assert r.json()["results"][0]["verdict"] == "diversion"
    r = world.scan(
        {"payload": code, "scanned_at": iso(T0 + timedelta(hours=9)), "lat": 10.0, "lon": 10.0}
    )
    assert "inside no region" in r.json()["results"][0]["error"]


def test_one_bad_item_never_sinks_the_batch(world: World) -> None:
    good = world.jinan[1]["payload"]
    r = world.scan(
        {"payload": good, "scanned_at": iso(T0), "checkpoint_code": "NOPE"},
        {"payload": good, "scanned_at": iso(T0)},
        {"payload": "garbage", "scanned_at": iso(T0), "checkpoint_code": "JN-G2-N"},
        {"payload": good, "scanned_at": iso(T0), "checkpoint_code": "JN-G2-N"},
    )
    assert r.status_code == 200
    results = r.json()["results"]
    assert [x["payload"] for x in results] == [good, good, "garbage", good]
    assert "unknown checkpoint" in results[0]["error"]
    assert "checkpoint_code" in results[1]["error"]
    assert results[2]["verdict"] == "unreadable"
    assert results[3]["verdict"] == "in_region"
    history = world.api.get("inspector", f"/api/v1/cartons/{world.jinan[1]['serial']}").json()
    assert len(history["scans"]) == 1


def test_pallet_scan_covers_its_cartons(world: World) -> None:
    payloads = [c["payload"] for c in world.jinan[6:8]]
    r = world.api.post("admin", "/api/v1/pallets", json={"carton_payloads": payloads})
    assert r.status_code == 201, r.text
    sscc = r.json()["sscc"]
    res = world.one(f"(00){sscc}", "LC-G3", T0)
    assert (res["verdict"], res["cartons"]) == ("diversion", 2)
    for c in world.jinan[6:8]:
        scans = world.scans_of(c)
        assert [s["verdict"] for s in scans] == ["diversion"]
        assert scans[0]["violation_id"] == res["violation_id"]


def test_carton_history_lists_every_scan_in_time_order(world: World) -> None:
    code = world.jinan[0]
    world.one(code["payload"], "JN-G20-E", T0 + timedelta(hours=2))
    world.one(code["payload"], "JN-G2-N", T0)
    h = world.api.get("inspector", f"/api/v1/cartons/{code['serial']}").json()
    assert [s["scanned_at"] for s in h["scans"]] == [
        iso(T0).replace("+00:00", "Z"),
        iso(T0 + timedelta(hours=2)).replace("+00:00", "Z"),
    ]
    assert h["distributor_code"] == "D-370100-1"
    assert h["territory_region_codes"] == ["370100"]
    assert [w["number"] for w in h["waybills"]] == ["WB-JN"]
    assert (
        world.api.get("jinan-distributor", f"/api/v1/cartons/{code['serial']}").status_code == 403
    )
