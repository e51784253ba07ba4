"""GET /epcis/events: every stored scan as an ObjectEvent, in a document that GS1's EPCIS 2.0
schema and our own capture validator both accept."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from app.epcis.schemas import validate_document
from tests.conftest import Api
from tests.epcis.conftest import document, schema_errors, sighting
from tests.epcis.test_capture import CP, CST, capture
from tests.scans.conftest import issue


def all_events(api: Api, user: str = "auditor", **params: Any) -> list[dict[str, Any]]:
    """Every page of the export, each page checked against GS1's schema."""
    events: list[dict[str, Any]] = []
    url: str | None = "/epcis/events"
    query: dict[str, Any] | None = params
    while url:
        r = api.get(user, url, params=query)
        assert r.status_code == 200, r.text
        page = r.json()
        assert schema_errors(page) == []
        validate_document(page)
        events.extend(page["epcisBody"]["eventList"])
        link = r.headers.get("Link")
        url = link[1 : link.index(">")] if link else None
        query = None
    return events


def test_captured_scans_come_back_as_valid_epcis(api: Api) -> None:
    jinan = issue(api, "370100", 2)
    tampered = jinan[1]["payload"][:-1] + ("A" if jinan[1]["payload"][-1] != "A" else "B")
    seen_at = CST - timedelta(hours=2)
    doc = document(
        sighting([jinan[0]["payload"]], at=seen_at, where=f"{CP}JN-G2-N"),
        sighting([jinan[0]["payload"], tampered], at=CST, where=f"{CP}LC-G3"),
    )
    assert capture(api, doc).json()["scans_stored"] == 3
    r = api.post(
        "inspector",
        "/api/v1/scans",
        json={
            "scans": [
                {
                    "payload": "hello world",
                    "checkpoint_code": "HZ-G35",
                    "scanned_at": CST.isoformat(),
                }
            ]
        },
    )
    assert r.status_code == 200

    events = all_events(api)
    # In storage order, which within one capture is not time order.
    ours = sorted(
        (e for e in events if e.get("cg:source") == "epcis"),
        key=lambda e: (datetime.fromisoformat(e["eventTime"]), e["cg:verdict"]),
    )
    assert [(e["epcList"], e["cg:verdict"], e["readPoint"]["id"]) for e in ours] == [
        ([jinan[0]["payload"]], "in_region", f"{CP}JN-G2-N"),
        ([jinan[0]["payload"]], "diversion", f"{CP}LC-G3"),
        ([tampered], "forged", f"{CP}LC-G3"),
    ]
    first, diverted, forged = ours
    assert datetime.fromisoformat(first["eventTime"]) == seen_at
    assert first["eventTimeZoneOffset"] == "+08:00"
    assert (first["action"], first["bizStep"]) == ("OBSERVE", "inspecting")
    assert (first["cg:region"], first["cg:serial"]) == ("370100", jinan[0]["serial"])
    assert diverted["cg:region"] == "371500" and isinstance(diverted["cg:violation"], int)
    assert forged["cg:serial"] == jinan[1]["serial"] and "cg:violation" not in forged
    assert len({e["eventID"] for e in events}) == len(events)

    [garbled] = [e for e in events if e.get("cg:payload") == "hello world"]
    assert (garbled["epcList"], garbled["cg:verdict"]) == ([], "unreadable")
    # The demo's own inspections are there too, every one with a verdict.
    demo = [e for e in events if e.get("cg:source") == "demo"]
    assert demo and all(e["cg:verdict"] for e in demo)


def test_the_export_declares_its_namespace_and_the_standard_context(api: Api) -> None:
    r = api.get("admin", "/epcis/events", params={"limit": 1})
    assert r.headers["content-type"].startswith("application/ld+json")
    page = r.json()
    ctx = page["@context"]
    assert ctx[0] == "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
    assert ctx[1]["cg"].startswith("https://")
    assert (page["type"], page["schemaVersion"]) == ("EPCISDocument", "2.0")


def test_pages_follow_each_other_without_gaps_or_repeats(api: Api) -> None:
    everything = all_events(api, limit=1000)
    paged = all_events(api, limit=4)
    assert len(everything) > 8
    assert [e["eventID"] for e in paged] == [e["eventID"] for e in everything]
    r = api.get("auditor", "/epcis/events", params={"limit": 4})
    token = r.headers["GS1-Next-Page-Token"]
    nxt = api.get("auditor", "/epcis/events", params={"limit": 4, "after": token}).json()
    assert nxt["epcisBody"]["eventList"][0]["eventID"] == everything[4]["eventID"]


def test_event_time_filters(api: Api) -> None:
    everything = all_events(api)
    times = sorted(datetime.fromisoformat(e["eventTime"]) for e in everything)
    cut = times[len(times) // 2]
    later = all_events(api, GE_eventTime=cut.isoformat())
    earlier = all_events(api, LT_eventTime=cut.isoformat())
    assert len(later) + len(earlier) == len(everything)
    assert all(datetime.fromisoformat(e["eventTime"]) >= cut for e in later)
    assert all(datetime.fromisoformat(e["eventTime"]) < cut for e in earlier)
    r = api.get("auditor", "/epcis/events", params={"GE_eventTime": "2026-11-20T08:00:00"})
    assert r.status_code == 422  # a time without an offset


@pytest.mark.parametrize(
    ("user", "status"),
    [
        ("admin", 200),
        ("auditor", 200),
        ("inspector", 403),
        ("jinan-distributor", 403),
        ("jinan-sales", 403),
        (None, 401),
    ],
)
def test_the_export_is_for_hq(api: Api, user: str | None, status: int) -> None:
    assert api.get(user, "/epcis/events").status_code == status
