"""Each scan result says why, as data: the deciding rule and its facts, with region names, so
that pages can put it into a sentence in the inspector's language."""

from __future__ import annotations

from datetime import timedelta

from tests.scans.conftest import T0, World


def test_a_diversion_names_the_carton_region_and_the_place_it_was_found(world: World) -> None:
    code = world.jinan[2]
    res = world.one(code["payload"], "LC-G3", T0 + timedelta(hours=5))
    assert res["verdict"] == "diversion"
    assert res["region_name"] == "聊城市"
    reason = res["reason"]
    assert reason["code"] == "outside_territory"
    facts = reason["facts"]
    assert facts["scan_region"] == {"code": "371500", "name": "聊城市"}
    assert facts["carton_region"] == {"code": "370100", "name": "济南市"}
    assert facts["territory"] == [{"code": "370100", "name": "济南市"}]
    assert facts["waybills_checked"] == 0


def test_in_region_and_in_transit_name_the_region_and_the_waybill(world: World) -> None:
    home = world.one(world.jinan[0]["payload"], "JN-G2-N", T0)
    assert home["reason"]["code"] == "inside_territory"
    assert home["reason"]["facts"]["territory"] == {"code": "370100", "name": "济南市"}
    moving = world.one(world.to_qingdao[0]["payload"], "ZB-G20", T0 + timedelta(hours=1))
    facts = moving["reason"]["facts"]
    assert moving["reason"]["code"] == "covered_by_waybill"
    assert facts["waybill_number"] == "WB-QD"
    assert facts["route_region"]["code"] == "370300"
    assert facts["route_region"]["name"] != "370300"


def test_a_clone_gives_distance_minutes_and_speed_as_numbers(world: World) -> None:
    code = world.jinan[3]
    world.one(code["payload"], "JN-G2-N", T0)
    res = world.one(code["payload"], "QD-G20-W", T0 + timedelta(minutes=20))
    facts = res["reason"]["facts"]
    assert res["reason"]["code"] == "impossible_travel"
    assert 290 < facts["distance_km"] < 310  # Jinan north to Qingdao, as the crow flies
    assert facts["minutes"] == 20.0
    assert facts["speed_kmh"] == round(facts["distance_km"] * 3)
    assert facts["limit_kmh"] > 0


def test_codes_that_are_not_ours_still_say_where_they_were_scanned(world: World) -> None:
    res = world.one("NOT-A-CARTON", "JN-G2-N", T0)
    assert res["verdict"] == "unreadable"
    assert res["reason"]["code"] == "unreadable_code"
    assert res["reason"]["facts"]["scan_region"] == {"code": "370100", "name": "济南市"}
    assert "carton_region" not in res["reason"]["facts"]
