"""Documents that are JSON but not an EPCIS document in odd ways: a 400 or 422 with the
reason, never a 500."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from tests.conftest import Api
from tests.epcis.conftest import document, sighting

NOT_DOCUMENTS = [
    None,
    5,
    "EPCISDocument",
    [],
    [{"type": "EPCISDocument"}],
    {},
    {"type": "EPCISDocument", "epcisBody": None},
    {"type": "EPCISDocument", "epcisBody": 5},
    {"type": "EPCISDocument", "epcisBody": []},
    {"type": "EPCISDocument", "epcisBody": {"eventList": 5}},
    {"type": "EPCISDocument", "epcisBody": {"eventList": None}},
    {"type": "EPCISDocument", "epcisBody": {"eventList": "x"}},
    {"type": "EPCISDocument", "epcisBody": {"eventList": [None, 5, "x", []]}},
    {"type": ["EPCISDocument"], "epcisBody": {"eventList": []}},
    {"type": {"a": 1}},
]


def post(api: Api, raw: str | bytes) -> int:
    r = api.client.post(
        "/epcis/capture",
        content=raw,
        headers={"Content-Type": "application/json", **api.as_("inspector")},
    )
    assert r.status_code in (400, 422), (raw[:200], r.status_code, r.text)
    assert "detail" in r.json()
    return r.status_code


def test_wrongly_typed_top_level_fields_are_4xx(api: Api) -> None:
    for doc in NOT_DOCUMENTS:
        post(api, json.dumps(doc))
    whole = document(sighting(["x"], at=datetime(2026, 11, 20, tzinfo=UTC), where=None))
    for key in ("@context", "schemaVersion", "creationDate", "epcisBody", "epcisHeader"):
        for value in (None, 5, "x", [], {}):
            post_or_ok(api, {**whole, key: value})


def post_or_ok(api: Api, doc: object) -> None:
    r = api.client.post(
        "/epcis/capture",
        content=json.dumps(doc),
        headers={"Content-Type": "application/json", **api.as_("inspector")},
    )
    assert r.status_code in (200, 201, 400, 422), (doc, r.text)


def test_non_finite_numbers_and_surrogates_are_4xx(api: Api) -> None:
    base = json.dumps(document())
    assert post(api, base[:-1] + ', "cg:x": NaN}') == 400
    assert post(api, base[:-1] + ', "cg:x": 1e400}') == 400
    assert post(api, base[:-1] + ', "cg:x": -Infinity}') == 400
    post(api, base[:-1] + ', "type": "\\ud800"}')


def test_control_characters_in_identifiers_are_4xx_or_an_item_error(api: Api) -> None:
    at = datetime(2026, 11, 20, tzinfo=UTC)
    for epc in [
        "urn:epc:id:sgtin:0690123.456001.A\x00",
        "\x00",
        "https://id.channelguard.example/01/06901234560015/21/A\x00",
    ]:
        doc = document(sighting([epc], at=at, where="urn:channelguard:checkpoint:JN-G2-N"))
        r = api.client.post(
            "/epcis/capture",
            content=json.dumps(doc),
            headers={"Content-Type": "application/json", **api.as_("inspector")},
        )
        assert r.status_code in (200, 201, 400, 422), r.text
    doc = document(
        sighting(["urn:epc:id:sgtin:0690123.456001.A1"], at=at, where=None), **{"cg:note": "a\x00b"}
    )
    r = api.client.post(
        "/epcis/capture",
        content=json.dumps(doc),
        headers={
            "Content-Type": "application/json",
            "Idempotency-Key": "k1",
            **api.as_("inspector"),
        },
    )
    assert r.status_code in (200, 201, 400, 422), r.text


def test_event_times_out_of_range_are_422(api: Api) -> None:
    for at in ["0001-01-01T00:00:00+08:00", "9999-12-31T23:59:59-14:00", "0000-01-01T00:00:00Z"]:
        event = sighting(["x"], at=datetime(2026, 11, 20, tzinfo=UTC), where=None)
        event["eventTime"] = at
        assert post(api, json.dumps(document(event))) == 422
