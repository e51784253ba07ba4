"""Over real HTTP: anti-diversion squads, who sees them, and HQ's report of their scans and
findings; and inbox events going out as signed webhook calls (HQ's and the parties')."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from app.config import get_settings
from app.db import make_engine
from app.inbox.webhooks import relay
from app.models import WebhookDelivery
from app.waybills.webhooks import (
    deliver_due,
    distributor_webhook_secret,
    hq_webhook_secret,
    verify_signature,
)
from tests.conftest import LiveServer
from tests.transport.test_transport_http import LAGER, Http

IN_PERIOD = datetime(2025, 3, 15, 9, 0, tzinfo=UTC)  # a month the demo has no activity in


@pytest.fixture(scope="module")
def http(live_server: LiveServer) -> Http:
    return Http(live_server)


SQUAD = {
    "code": "SQ-JN",
    "name": "济南反窜货行动组",
    "region_code": "370100",
    "leader_distributor_code": "D-370100-1",
    "salesperson_codes": ["SP-370100"],
    "checkpoint_codes": ["JN-G2-N", "JN-G20-E"],
    "inspector_usernames": ["inspector"],
}


def test_squads_report_scans_and_findings(http: Http) -> None:
    bad = [
        ({**SQUAD, "leader_distributor_code": "D-371500-1"}, 422),  # does not hold Jinan
        ({**SQUAD, "checkpoint_codes": ["LC-G3"]}, 422),  # a Liaocheng checkpoint
        ({**SQUAD, "inspector_usernames": ["jinan-sales"]}, 422),  # not an inspector
    ]
    for body, code in bad:
        assert http("POST", "admin", "/squads", json=body).status_code == code, body
    assert http("POST", "jinan-distributor", "/squads", json=SQUAD).status_code == 403
    r = http("POST", "admin", "/squads", json=SQUAD)
    assert r.status_code == 201, r.text
    assert r.json()["leader"]["name"] and r.json()["inspectors"] == ["inspector"]
    # Pages name the inspector; the login stays beside it for the API.
    assert r.json()["inspector_people"] == [{"username": "inspector", "display_name": "王建国"}]
    again = {**SQUAD, "code": "SQ-JN2", "checkpoint_codes": [], "inspector_usernames": []}
    assert http("POST", "admin", "/squads", json=again).status_code == 409  # one per region
    lc = {
        "code": "SQ-LC",
        "name": "聊城反窜货行动组",
        "region_code": "371500",
        "leader_distributor_code": "D-371500-1",
        "checkpoint_codes": ["LC-G3"],
        "inspector_usernames": ["inspector"],  # already in Jinan's squad
    }
    assert http("POST", "admin", "/squads", json=lc).status_code == 409
    lc["inspector_usernames"] = []
    assert http("POST", "admin", "/squads", json=lc).status_code == 201

    # Each party sees its own squad only.
    assert http("GET", "jinan-distributor", "/squads/SQ-JN").status_code == 200
    assert http("GET", "liaocheng-distributor", "/squads/SQ-JN").status_code == 404
    mine = http("GET", "liaocheng-distributor", "/squads").json()
    assert [s["code"] for s in mine["items"]] == ["SQ-LC"]
    assert [s["code"] for s in http("GET", "jinan-sales", "/squads").json()["items"]] == ["SQ-JN"]
    assert [s["code"] for s in http("GET", "inspector", "/squads").json()["items"]] == ["SQ-JN"]
    assert http("GET", "jinan-distributor", "/squads/report").status_code == 403

    # Scans in the period: Jinan's inspector at a Jinan checkpoint, and Liaocheng-coded beer
    # seen by it at Jinan; nothing at Liaocheng's checkpoint.
    codes = http(
        "POST",
        "admin",
        "/code-batches",
        json={"gtin": LAGER, "region_code": "371500", "quantity": 3},
    ).json()["codes"]
    scans = [
        {"payload": c["payload"], "checkpoint_code": "JN-G2-N", "scanned_at": IN_PERIOD.isoformat()}
        for c in codes
    ] + [
        {
            "payload": "garbage-not-a-code",
            "checkpoint_code": "JN-G20-E",
            "scanned_at": IN_PERIOD.isoformat(),
        }
    ]
    r = http(
        "POST", "inspector", "/scans", json={"scans": scans}, headers={"Idempotency-Key": "sq-1"}
    )
    assert r.status_code == 200, r.text
    verdicts = [x["verdict"] for x in r.json()["results"]]

    rep = http("GET", "auditor", "/squads/report", params={"period": "2025-03"}).json()
    rows = {row["squad_code"]: row for row in rep["items"]}
    assert rows["SQ-JN"]["scans"] == 4
    assert sum(rows["SQ-JN"]["verdicts"].values()) == 4
    assert rows["SQ-JN"]["verdicts"].get("unreadable", 0) == verdicts.count("unreadable")
    assert rows["SQ-JN"]["diversions"] == verdicts.count("diversion")
    assert rows["SQ-LC"]["scans"] == 0
    other_month = http("GET", "auditor", "/squads/report", params={"period": "2025-04"}).json()
    assert all(row["scans"] == 0 for row in other_month["items"])
    assert http("GET", "auditor", "/squads/report", params={"period": "2025-13"}).status_code == 422

    r = http("GET", "auditor", "/squads/report.csv", params={"period": "2025-03"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(r.text.lstrip("\ufeff"))))
    assert table[0][1].startswith("squad_code")
    jn = next(row for row in table[1:] if row[1] == "SQ-JN")
    assert jn[0] == "2025-03" and jn[5] == "4"


def test_inbox_events_go_out_as_signed_webhooks(http: Http, live_server: LiveServer) -> None:
    """New cases and appeals to HQ, decisions to the parties, each signed with its receiver's
    secret; the relay never queues an event twice."""
    hooks = {"D-370100-1": "http://jinan.example/hook", "D-371500-1": "http://lc.example/hook"}
    for code, url in hooks.items():
        assert (
            http("PATCH", "admin", f"/distributors/{code}", json={"webhook_url": url}).status_code
            == 200
        )
    cases = http("GET", "auditor", "/violations", params={"status": "open"}).json()["items"]
    case = next(
        v
        for v in cases
        if v["diverting_distributor_code"] == "D-370100-1"
        and v["invaded_distributor_code"] == "D-371500-1"
    )
    r = http(
        "POST",
        "auditor",
        f"/violations/{case['id']}/decide",
        json={"decision": "confirm", "note": "核实"},
    )
    assert r.status_code == 200, r.text

    settings = get_settings().model_copy(update={"hq_webhook_url": "http://hq.example/hook"})
    engine = make_engine(live_server.database_url)
    sessions = sessionmaker(engine, expire_on_commit=False)
    with sessions() as s, s.begin():
        queued = relay(s, settings=settings)
    with sessions() as s, s.begin():
        assert relay(s, settings=settings) == 0  # nothing new: nothing queued twice
        rows = s.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)).all()
        events = [(d.url, d.event, json.loads(d.body).get("violation_id")) for d in rows]
    assert queued > 0
    assert ("http://hq.example/hook", "violation.opened", case["id"]) in events
    for url in hooks.values():
        assert (url, "violation.confirmed", case["id"]) in events
    assert ("http://hq.example/hook", "violation.confirmed", case["id"]) not in events

    seen: list[httpx.Request] = []

    def receiver(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    with httpx.Client(transport=httpx.MockTransport(receiver)) as client:
        report = deliver_due(sessions, client=client, limit=10_000)
    engine.dispose()
    assert report.delivered == len(rows) and report.failed == 0
    root = get_settings().webhook_secret
    secrets = {
        "http://hq.example/hook": hq_webhook_secret(root),
        hooks["D-370100-1"]: distributor_webhook_secret(root, "D-370100-1"),
        hooks["D-371500-1"]: distributor_webhook_secret(root, "D-371500-1"),
    }
    for req in seen:
        header = req.headers["ChannelGuard-Signature"]
        own = secrets[str(req.url)]
        assert verify_signature(own, header, req.content)
        assert not any(
            verify_signature(other, header, req.content)
            for u, other in secrets.items()
            if u != str(req.url)
        )
