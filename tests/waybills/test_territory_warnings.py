"""Issuing a waybill whose cartons are coded for a region outside the destination distributor's
territory warns before it is issued (预警): a dry run names them, and the issue itself answers
201 with the same warnings (existing clients send such waybills on purpose, e.g. Jinan-coded
stock moved to Qingdao, so they are not refused)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from rules.waybills import INSIDE, NO_TERRITORY, OUTSIDE, check_coded_region
from tests.scans.conftest import T0, World, iso, issue


def body(number: str, payloads: list[str], to: str = "D-370100-1", **extra: Any) -> dict[str, Any]:
    return {
        "number": number,
        "vehicle_plate": "鲁A12345",
        "dispatched_at": iso(T0),
        "expected_arrival": iso(T0 + timedelta(hours=6)),
        "destination_distributor_code": to,
        "route_region_codes": ["370100"],
        "issuer": "物流部 王",
        "salesperson_code": "SP-370100",
        "carton_payloads": payloads,
        **extra,
    }


def test_the_rule_judges_the_coded_region_against_the_territory() -> None:
    jinan = frozenset({"370100"})
    inside = check_coded_region(coded_region_path=("370100", "370000"), destination_territory=jinan)
    assert (inside.warn, inside.rule) == (False, INSIDE)
    # A district of Jinan lies inside Jinan's territory through its ancestor.
    district = check_coded_region(
        coded_region_path=("370102", "370100", "370000"), destination_territory=jinan
    )
    assert (district.warn, district.rule) == (False, INSIDE)
    zibo = check_coded_region(coded_region_path=("370300", "370000"), destination_territory=jinan)
    assert (zibo.warn, zibo.rule) == (True, OUTSIDE)
    assert "370300" in zibo.detail and "370100" in zibo.detail
    # Coded for the whole province: its code would pass anywhere there, not only in Jinan.
    wider = check_coded_region(coded_region_path=("370000",), destination_territory=jinan)
    assert (wider.warn, wider.rule) == (True, OUTSIDE)
    nowhere = check_coded_region(coded_region_path=("370100",), destination_territory=frozenset())
    assert (nowhere.warn, nowhere.rule) == (True, NO_TERRITORY)


def test_the_dry_run_names_the_cartons_coded_elsewhere_and_writes_nothing(world: World) -> None:
    home = issue(world.api, "370100", 2)
    away = issue(world.api, "370300", 1)
    payloads = [home[0]["payload"], away[0]["element_string"], home[1]["serial"]]
    r = world.api.post("admin", "/api/v1/waybills/check", json=body("WB-CHK-1", payloads))
    assert r.status_code == 200, r.text
    assert r.json() == {
        "warnings": [
            {
                "payload": away[0]["element_string"],
                "serial": away[0]["serial"],
                "reason": OUTSIDE,
                "carton_region_code": "370300",
                "destination_territory": ["370100"],
                "detail": "coded for region 370300, outside the destination's territory (370100)",
            }
        ]
    }
    # Nothing was issued: the number is free and the cartons are on no waybill.
    assert world.api.get("admin", "/api/v1/waybills/WB-CHK-1").status_code == 404
    carton = world.api.get("admin", f"/api/v1/cartons/{away[0]['serial']}").json()
    assert carton["waybills"] == []

    clean = world.api.post(
        "admin", "/api/v1/waybills/check", json=body("WB-CHK-2", [h["payload"] for h in home])
    )
    assert clean.status_code == 200 and clean.json() == {"warnings": []}, clean.text


def test_issuing_answers_201_with_the_same_warnings(world: World) -> None:
    home = issue(world.api, "370100", 1)
    away = issue(world.api, "371500", 2)
    payloads = [home[0]["payload"], *(a["payload"] for a in away)]
    checked = world.api.post("admin", "/api/v1/waybills/check", json=body("WB-WARN", payloads))
    r = world.api.post("admin", "/api/v1/waybills", json=body("WB-WARN", payloads))
    assert r.status_code == 201, r.text
    issued = r.json()
    assert issued["warnings"] == checked.json()["warnings"]
    assert [w["serial"] for w in issued["warnings"]] == [a["serial"] for a in away]
    assert {w["carton_region_code"] for w in issued["warnings"]} == {"371500"}
    assert sorted(issued["carton_serials"]) == sorted(
        [home[0]["serial"], *(a["serial"] for a in away)]
    )
    # The warning is on record with the issue.
    entries = world.api.get(
        "auditor", "/api/v1/audit-log", params={"entity_type": "waybill", "entity_key": "WB-WARN"}
    )
    assert entries.status_code == 200, entries.text
    (issued_entry,) = [e for e in entries.json()["items"] if e["action"] == "waybill.issued"]
    assert [w["serial"] for w in issued_entry["data"]["warnings"]] == [a["serial"] for a in away]

    ok = world.api.post(
        "admin",
        "/api/v1/waybills",
        json=body("WB-OK", [issue(world.api, "370100", 1)[0]["serial"]]),
    )
    assert ok.status_code == 201 and ok.json()["warnings"] == [], ok.text


def test_the_dry_run_checks_its_input_like_the_issue(world: World) -> None:
    (carton,) = issue(world.api, "370100", 1)
    good = body("WB-CHK-BAD", [carton["payload"]])
    r = world.api.post("inspector", "/api/v1/waybills/check", json=good)
    assert r.status_code == 403, r.text
    r = world.api.post(
        "admin", "/api/v1/waybills/check", json={**good, "destination_distributor_code": "D-NOPE"}
    )
    assert r.status_code == 422 and "destination_distributor_code" in r.text, r.text
    r = world.api.post(
        "admin", "/api/v1/waybills/check", json={**good, "carton_payloads": ["NOSUCH12345"]}
    )
    assert r.status_code == 422 and "never issued" in r.text, r.text
    r = world.api.post("admin", "/api/v1/waybills/check", json={**good, "carton_payloads": []})
    assert r.status_code == 422, r.text
