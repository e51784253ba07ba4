"""POST /epcis/capture on the demo data: every sample document, verdicts for our cartons, roles,
media types and limits."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from app.config import get_settings
from tests.conftest import Api
from tests.epcis.conftest import INVALID, VALID, document, load, sighting
from tests.scans.conftest import LAGER, issue

NOW = datetime.now(UTC).replace(microsecond=0)
CST = NOW.astimezone(ZoneInfo("Asia/Shanghai"))
CP = "urn:channelguard:checkpoint:"


def capture(
    api: Api, doc: Any, *, user: str | None = "inspector", **headers: str
) -> httpx.Response:
    return api.client.post(
        "/epcis/capture",
        content=json.dumps(doc),
        headers={"Content-Type": "application/ld+json", **api.as_(user), **headers},
    )


def history(api: Api, serial: str) -> list[dict[str, Any]]:
    r = api.get("auditor", f"/api/v1/cartons/{serial}")
    assert r.status_code == 200, r.text
    scans: list[dict[str, Any]] = r.json()["scans"]
    return scans


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.name)
def test_every_valid_sample_is_accepted(api: Api, path: Path) -> None:
    doc = load(path)
    r = capture(api, doc)
    assert r.status_code == 200, r.text
    body = r.json()
    events = doc["epcisBody"]["eventList"]
    assert body["event_count"] == len(events)
    assert [e["index"] for e in body["events"]] == list(range(len(events)))
    assert [e["type"] for e in body["events"]] == [e["type"] for e in events]
    # None of these samples carries one of our carton codes: nothing is stored, all is said.
    assert body["scans_stored"] == 0
    for event, result in zip(events, body["events"], strict=True):
        assert result["event_id"] == event.get("eventID")
        assert not result["became_scans"]
        assert result["note"] or all(s["verdict"] == "unreadable" for s in result["results"])
    assert r.headers["GS1-EPCIS-Version"] == "2.0.0"


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.name)
def test_every_invalid_sample_is_refused_with_the_reason(api: Api, path: Path) -> None:
    r = capture(api, load(path))
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    assert detail and all(e["msg"] and "loc" in e for e in detail)


def test_an_invalid_sample_names_the_event_and_field(api: Api) -> None:
    r = capture(
        api, load(INVALID[0].parent / "ObjectEvent_with_non_standard_bizStep_in_second_event.json")
    )
    assert r.status_code == 422
    [error] = r.json()["detail"]
    assert error["event"] == 1
    assert error["loc"] == ["epcisBody", "eventList", 1, "bizStep"]
    assert "'transforming'" in error["msg"]


def test_sightings_of_our_cartons_get_their_verdicts(api: Api) -> None:
    jinan = issue(api, "370100", 4)
    tampered_link = jinan[2]["payload"][:-1] + ("A" if jinan[2]["payload"][-1] != "A" else "B")
    doc = document(
        sighting(
            [jinan[0]["payload"], jinan[1]["payload"]],
            at=CST - timedelta(hours=3),
            where=f"{CP}JN-G2-N",
            eventID="urn:uuid:00000000-0000-4000-8000-000000000001",
        ),
        sighting(
            [jinan[3]["payload"]],
            at=CST - timedelta(hours=1),
            where="https://sites.example.com/checkpoints/LC-G3",
            step="urn:epcglobal:cbv:bizstep:arriving",
        ),
        sighting(
            [tampered_link, "urn:epc:id:sgtin:0690123.456001.SERIAL1"],
            at=CST - timedelta(hours=2),
            where=f"{CP}JN-G20-E",
            step="https://ref.gs1.org/cbv/BizStep-receiving",
        ),
        sighting([jinan[2]["payload"]], at=CST, where=f"{CP}JN-G2-N", step="commissioning"),
        sighting([jinan[2]["payload"]], at=CST, where="urn:epc:id:sgln:0614141.07346.1234"),
        {
            "type": "AggregationEvent",
            "eventTime": CST.isoformat(),
            "eventTimeZoneOffset": "+08:00",
            "action": "ADD",
            "bizStep": "packing",
            "parentID": "https://id.channelguard.example/00/069012340000000016",
            "childEPCs": [jinan[2]["payload"]],
        },
    )
    r = capture(api, doc)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["scans_stored"] == 4
    inspect, divert, mixed, commission, unplaced, aggregation = body["events"]

    assert inspect["event_id"] == "urn:uuid:00000000-0000-4000-8000-000000000001"
    assert (inspect["became_scans"], inspect["checkpoint_code"]) == (True, "JN-G2-N")
    assert [(s["serial"], s["verdict"]) for s in inspect["results"]] == [
        (jinan[0]["serial"], "in_region"),
        (jinan[1]["serial"], "in_region"),
    ]
    assert {s["region_code"] for s in inspect["results"]} == {"370100"}

    assert divert["checkpoint_code"] == "LC-G3"
    [diverted] = divert["results"]
    assert (diverted["verdict"], diverted["region_code"]) == ("diversion", "371500")
    assert diverted["violation_id"] is not None

    forged, urn = mixed["results"]
    assert (forged["verdict"], forged["serial"]) == ("forged", jinan[2]["serial"])
    assert urn["verdict"] == "unreadable"
    assert "AI 91" in urn["detail"] and "Not stored" in urn["detail"]

    assert not commission["became_scans"] and "'commissioning'" in commission["note"]
    assert commission["results"] == []
    assert not unplaced["became_scans"]
    assert "names no checkpoint" in unplaced["note"]
    assert unplaced["results"][0]["error"] == unplaced["note"]
    assert not aggregation["became_scans"] and "only ObjectEvents" in aggregation["note"]

    # Stored like any other scan, at the event's time, and the carton's history shows them.
    scans = history(api, jinan[3]["serial"])
    assert [(s["verdict"], s["region_code"]) for s in scans] == [("diversion", "371500")]
    assert datetime.fromisoformat(scans[0]["scanned_at"]) == CST - timedelta(hours=1)


def test_a_checkpoint_coded_by_its_gln_is_found_from_an_sgln(api: Api) -> None:
    r = api.post(
        "admin",
        "/api/v1/checkpoints",
        json={"code": "4012345000115", "name": "Gate 11", "region_code": "370100"},
    )
    assert r.status_code == 201, r.text
    [code] = issue(api, "370100", 1)
    doc = document(
        sighting([code["payload"]], at=CST, where="urn:epc:id:sgln:4012345.00011.0"),
        sighting(
            [code["payload"]],
            at=CST + timedelta(minutes=5),
            where=None,
            bizLocation={"id": "https://id.gs1.org/414/4012345000115"},
        ),
    )
    body = capture(api, doc).json()
    assert [e["checkpoint_code"] for e in body["events"]] == ["4012345000115"] * 2
    assert [e["results"][0]["verdict"] for e in body["events"]] == ["in_region"] * 2


def test_quantity_list_classes_are_read_too(api: Api) -> None:
    [code] = issue(api, "370100", 1)
    event = sighting([], at=CST, where=f"{CP}LC-G3")
    event["quantityList"] = [{"epcClass": code["payload"], "quantity": 1}]
    body = capture(api, document(event)).json()
    assert [s["verdict"] for s in body["events"][0]["results"]] == ["diversion"]


def test_retry_with_the_same_idempotency_key_stores_once(api: Api) -> None:
    [code] = issue(api, "370100", 1)
    doc = document(sighting([code["payload"]], at=CST, where=f"{CP}JN-G2-N"))
    first = capture(api, doc, **{"Idempotency-Key": "reader-7-batch-1"})
    again = capture(api, doc, **{"Idempotency-Key": "reader-7-batch-1"})
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    assert len(history(api, code["serial"])) == 1
    other = document(sighting([code["payload"]], at=CST - timedelta(hours=1), where=f"{CP}LC-G3"))
    assert capture(api, other, **{"Idempotency-Key": "reader-7-batch-1"}).status_code == 409


def test_a_valid_document_with_a_bad_scan_is_still_2xx(api: Api) -> None:
    [code] = issue(api, "370100", 1)
    later = CST + timedelta(days=3)
    doc = document(
        sighting([code["payload"]], at=later, where=f"{CP}JN-G2-N"),
        sighting([code["payload"]], at=CST, where=f"{CP}NO-SUCH-CP"),
    )
    r = capture(api, doc)
    assert r.status_code == 200
    future, unknown_cp = r.json()["events"]
    assert "future" in future["results"][0]["error"]
    assert not future["became_scans"]
    assert "names no checkpoint" in unknown_cp["note"]
    assert r.json()["scans_stored"] == 0


@pytest.mark.parametrize(
    ("user", "status"),
    [(None, 401), ("jinan-distributor", 403), ("jinan-sales", 403), ("auditor", 403)],
)
def test_capture_is_for_inspectors_and_admins(api: Api, user: str | None, status: int) -> None:
    assert capture(api, document(), user=user).status_code == status


def test_admin_may_capture_and_json_is_accepted_as_well_as_json_ld(api: Api) -> None:
    r = api.post("admin", "/epcis/capture", json=document())
    assert r.status_code == 200, r.text
    assert r.json() == {"events": [], "event_count": 0, "scans_stored": 0}


def test_other_media_types_and_broken_json_are_refused(api: Api) -> None:
    auth = api.as_("inspector")
    r = api.client.post(
        "/epcis/capture",
        content=json.dumps(document()),
        headers={**auth, "Content-Type": "text/plain"},
    )
    assert r.status_code == 415
    r = api.client.post(
        "/epcis/capture",
        content=b'{"type": "EPCISDocument",',
        headers={**auth, "Content-Type": "application/json"},
    )
    assert r.status_code == 400
    assert "not valid JSON" in r.json()["detail"]


def test_too_many_events_is_413(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CG_MAX_SCANS_PER_REQUEST", "3")
    get_settings.cache_clear()
    try:
        event = sighting(["urn:epc:id:sgtin:0614141.107346.1"], at=CST, where=f"{CP}JN-G2-N")
        assert capture(api, document(*[event] * 4)).status_code == 413
        assert capture(api, document(*[event] * 3)).status_code == 200
        many = sighting(
            [f"https://id.channelguard.example/01/{LAGER}/21/SERIAL{i:05d}" for i in range(4)],
            at=CST,
            where=f"{CP}JN-G2-N",
        )
        assert capture(api, document(many)).status_code == 413
    finally:
        monkeypatch.delenv("CG_MAX_SCANS_PER_REQUEST")
        get_settings.cache_clear()


def test_capture_is_in_the_openapi_schema(api: Api) -> None:
    spec = api.client.get("/openapi.json").json()
    body = spec["paths"]["/epcis/capture"]["post"]["requestBody"]["content"]
    assert set(body) == {"application/json", "application/ld+json"}
    assert "/epcis/events" in spec["paths"]
