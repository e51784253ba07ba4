"""The capture validator against GS1's own EPCIS 2.0 JSON Schema: the sample documents, and
mutations of them, are judged the same way by both, apart from a short list of documented
places where real tools (and EPCIS 2.0.1) are more lenient than the 2.0.0 schema."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from app.epcis import vocab
from app.epcis.schemas import DocumentError, validate_document
from app.epcis.service import checkpoint_candidates
from tests.epcis.conftest import EPCIS, INVALID, VALID, document, load, schema_errors

# Valid samples that the 2.0.0 schema refuses, and exactly why.
LENIENT = {
    "AggregationEvent_with_persistentDisposition.json": {
        r"eventList\[1\]$": "'persistentDisposition' is not valid under any of the given schemas",
    },
    "SensorData_with_combined_events.json": {
        r"sensorReport\[\d\]\.type$": "'(Molar_concentration|EffectiveDoseRate)' is not valid",
        r"sensorReport\[\d\]$": "'type' is a required property",
    },
    "TransactionEvent_with_userExtensions.json": {
        r"sensorReport\[0\]\.type$": "'EffectiveDoseRate' is not valid",
    },
}


def ours(doc: Any) -> list[dict[str, Any]]:
    """Our validator's errors for a document ([] when it is accepted)."""
    try:
        validate_document(doc)
    except DocumentError as exc:
        return exc.errors
    return []


def test_the_sample_documents_are_all_there() -> None:
    assert (len(VALID), len(INVALID)) == (38, 15)
    assert (EPCIS / "schema" / "EPCIS-JSON-Schema-root.json").is_file()


@pytest.mark.parametrize("path", VALID + INVALID, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_each_sample_is_judged_as_gs1s_schema_judges_it(path: Path) -> None:
    doc = load(path)
    mine, theirs = ours(doc), schema_errors(doc)
    if path.parent.name == "invalid":
        assert mine and theirs
    elif path.name in LENIENT:
        assert not mine
        allowed = LENIENT[path.name]
        assert theirs
        for json_path, message in theirs:
            assert any(
                re.search(p, json_path) and re.match(m, message) for p, m in allowed.items()
            ), (json_path, message)
    else:
        assert not mine, mine
        assert not theirs, theirs


# (event index, field) of every error; None for the event as a whole or the document.
EXPECTED = {
    "Combination_of_events_with_missing_mandatory_fields.json": {
        (0, "action"),
        (1, "action"),
        (1, "eventTimeZoneOffset"),
    },
    "Combination_of_multiple_invalid_fields.json": {
        (0, "bizStep"),
        (1, "disposition"),
        (2, "type"),
        (3, "ilmd"),
        (4, "action"),
        (4, "eventTime"),
    },
    "Combination_of_non_standard_bizStep_and_disposition.json": {
        (0, "bizStep"),
        (1, "disposition"),
    },
    "EPCISDocument_without_context.json": {(None, "@context")},
    "ObjectEvent_with_ilmd_field_without_namespace.json": {(0, "ilmd")},
    "ObjectEvent_with_invalid_action.json": {(0, "action")},
    "ObjectEvent_with_invalid_certificationInfo.json": {(0, "certificationInfo")},
    "ObjectEvent_with_invalid_eventTime_format.json": {(0, "eventTime")},
    "ObjectEvent_with_non_standard_bizStep.json": {(0, "bizStep")},
    "ObjectEvent_with_non_standard_bizStep_in_second_event.json": {(1, "bizStep")},
    "ObjectEvent_with_non_standard_disposition.json": {(0, "disposition")},
    "ObjectEvent_with_quantity_as_text.json": {(0, "quantity")},
    "ObjectEvent_with_unknown_field_in_quantityList.json": {(0, "weight")},
    "ObjectEvent_without_action_and_eventTime.json": {
        (0, "action"),
        (0, "eventTime"),
        (0, "eventTimeZoneOffset"),
    },
    "ObjectEvent_without_identifier_list.json": {(0, None)},
}


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.name)
def test_errors_name_the_event_and_the_field(path: Path) -> None:
    errors = ours(load(path))
    found = {
        (e.get("event"), e["loc"][-1] if isinstance(e["loc"][-1], str) else None) for e in errors
    }
    assert found == EXPECTED[path.name]
    assert all(e["msg"] for e in errors)


def test_messages_say_what_is_wrong() -> None:
    def msg(name: str) -> str:
        return " ".join(e["msg"] for e in ours(load(EPCIS / "invalid" / name)))

    assert "'transforming'" in msg("ObjectEvent_with_non_standard_bizStep.json")
    assert "'twenty' is not a number" in msg("ObjectEvent_with_quantity_as_text.json")
    assert "'materialType' is not namespaced" in msg(
        "ObjectEvent_with_ilmd_field_without_namespace.json"
    )
    assert "RFC 3339" in msg("ObjectEvent_with_invalid_eventTime_format.json")
    assert "epcList or quantityList" in msg("ObjectEvent_without_identifier_list.json")


Mutation = Callable[[dict[str, Any], dict[str, Any]], None]


def _set(key: str, value: Any) -> Mutation:
    def mutate(doc: dict[str, Any], event: dict[str, Any]) -> None:
        event[key] = value

    return mutate


def _drop(key: str) -> Mutation:
    def mutate(doc: dict[str, Any], event: dict[str, Any]) -> None:
        event.pop(key, None)

    return mutate


def _doc(key: str, value: Any) -> Mutation:
    def mutate(doc: dict[str, Any], event: dict[str, Any]) -> None:
        if value is None:
            doc.pop(key, None)
        else:
            doc[key] = value

    return mutate


MUTATIONS: dict[str, Mutation] = {
    "no eventTime": _drop("eventTime"),
    "no eventTimeZoneOffset": _drop("eventTimeZoneOffset"),
    "no action": _drop("action"),
    "offset +15:00": _set("eventTimeZoneOffset", "+15:00"),
    "offset without sign": _set("eventTimeZoneOffset", "08:00"),
    "offset +14:00": _set("eventTimeZoneOffset", "+14:00"),
    "time without offset": _set("eventTime", "2026-07-22T06:45:00"),
    "time with a space": _set("eventTime", "2026-07-22 06:45:00+02:00"),
    "time as a number": _set("eventTime", 1700000000),
    "time in UTC with fraction": _set("eventTime", "2026-07-22T06:45:00.123456Z"),
    "unknown field": _set("materialType", "soil"),
    "namespaced field": _set("example:materialType", {"anything": [1, None]}),
    "URI-named field": _set("https://ns.example.com/epcis/extra", 1),
    "bizStep transforming": _set("bizStep", "transforming"),
    "bizStep own URI": _set("bizStep", "https://example.com/steps/weighing"),
    "bizStep GS1 URN non-standard": _set("bizStep", "urn:epcglobal:cbv:bizstep:weighing"),
    "bizStep null": _set("bizStep", None),
    "bizStep number": _set("bizStep", 7),
    "disposition in_transport": _set("disposition", "in_transport"),
    "disposition own URI": _set("disposition", "urn:example:disp:quarantined"),
    "action CREATE": _set("action", "CREATE"),
    "action lower case": _set("action", "observe"),
    "eventID not a URI": _set("eventID", "event 1"),
    "eventID uuid": _set("eventID", "urn:uuid:6a1f0c2e-9f7d-4d0a-9c3e-2b1f0f6f7a11"),
    "certificationInfo number": _set("certificationInfo", 5),
    "certificationInfo list": _set("certificationInfo", ["https://cert.example/1", "urn:x:2"]),
    "readPoint without id": _set("readPoint", {}),
    "readPoint id with space": _set("readPoint", {"id": "site 1"}),
    "readPoint with extension": _set("readPoint", {"id": "urn:x:1", "anything": 1}),
    "bizTransaction extra member": _set(
        "bizTransactionList", [{"bizTransaction": "urn:x:1", "note": "x"}]
    ),
    "bizTransaction type own URI": _set(
        "bizTransactionList", [{"type": "urn:example:btt:contract", "bizTransaction": "urn:x:1"}]
    ),
    "source type place": _set("sourceList", [{"type": "place", "source": "urn:x:1"}]),
    "destination without type": _set("destinationList", [{"destination": "urn:x:1"}]),
    "errorDeclaration without time": _set("errorDeclaration", {"reason": "did_not_occur"}),
    "errorDeclaration bad reason": _set(
        "errorDeclaration",
        {"declarationTime": "2026-07-22T06:45:00Z", "reason": "mistake"},
    ),
    "event @context number": _set("@context", 5),
    "type without namespace": _set("type", "MyEvent"),
    "type own URI": _set("type", "example:MyEvent"),
    "quantity as text": _set("quantityList", [{"epcClass": "urn:x:1", "quantity": "1"}]),
    "quantity true": _set("quantityList", [{"epcClass": "urn:x:1", "quantity": True}]),
    "uom lower case": _set("quantityList", [{"epcClass": "urn:x:1", "uom": "kg"}]),
    "quantity without class": _set("quantityList", [{"quantity": 1}]),
    "duplicate EPCs": _set("epcList", ["urn:x:1", "urn:x:1"]),
    "EPC not a URI": _set("epcList", ["(01)06901234560015(21)ABC"]),
    "sensorElement without report": _set("sensorElementList", [{"sensorReport": []}]),
    "sensor report bad hex": _set(
        "sensorElementList", [{"sensorReport": [{"type": "Mass", "hexBinaryValue": "xyz"}]}]
    ),
    "sensor report GS1 voc type": _set(
        "sensorElementList",
        [{"sensorReport": [{"type": "https://gs1.org/voc/MeasurementType-Mass"}]}],
    ),
    "persistentDisposition empty": _set("persistentDisposition", {}),
    "persistentDisposition extra": _set(
        "persistentDisposition", {"set": ["active"], "keep": ["active"]}
    ),
    "ilmd without namespace": _set("ilmd", {"lot": "A1"}),
    "no schemaVersion": _doc("schemaVersion", None),
    "schemaVersion two": _doc("schemaVersion", "two"),
    "creationDate yesterday": _doc("creationDate", "yesterday"),
    "document unknown field": _doc("comment", "hi"),
    "document namespaced field": _doc("example:comment", "hi"),
    "document @context number": _doc("@context", 5),
    "document @context repeated": _doc("@context", ["urn:x:ctx", "urn:x:ctx"]),
    "header unknown field": _doc("epcisHeader", {"sentBy": "me"}),
    "document id not a URI": _doc("id", "doc 1"),
}
# One sample of each event type and the samples with the most members.
BASES = [
    "ObjectEvent.json",
    "ObjectEvent_all_possible_fields.json",
    "AggregationEvent.json",
    "AssociationEvent.json",
    "TransactionEvent.json",
    "TransformationEvent.json",
    "TransformationEvent_all_possible_fields.json",
    "JumbledFieldsOrder.json",
]


@pytest.mark.parametrize("base", BASES)
def test_mutated_samples_are_judged_as_gs1s_schema_judges_them(base: str) -> None:
    original = load(EPCIS / "valid" / base)
    disagreements = []
    for name, mutate in MUTATIONS.items():
        doc = copy.deepcopy(original)
        mutate(doc, doc["epcisBody"]["eventList"][0])
        mine, theirs = bool(ours(doc)), bool(schema_errors(doc))
        if mine != theirs:
            disagreements.append((name, "we refuse" if mine else "we accept", schema_errors(doc)))
    assert not disagreements


def test_cbv_urns_from_epcis_1_xml_are_taken_where_the_schema_would_refuse_them() -> None:
    base = load(EPCIS / "valid" / "ObjectEvent.json")
    event = base["epcisBody"]["eventList"][0]
    event["bizStep"] = "urn:epcglobal:cbv:bizstep:inspecting"
    event["disposition"] = "urn:epcglobal:cbv:disp:in_transit"
    assert schema_errors(base)
    assert not ours(base)
    event["bizStep"] = "urn:epcglobal:cbv:bizstep:weighing"
    assert ours(base)


def test_capture_takes_documents_not_bare_events_or_query_results() -> None:
    event = load(EPCIS / "valid" / "ObjectEvent.json")["epcisBody"]["eventList"][0]
    bare_event = {"@context": "https://ref.gs1.org/standards/epcis/epcis-context.jsonld", **event}
    assert not schema_errors(bare_event)  # valid EPCIS, but not a document to capture
    for doc in (
        [document()],
        {"type": "EPCISQueryDocument", "@context": "urn:x:c", "epcisBody": {}},
        bare_event,
    ):
        errors = ours(doc)
        assert errors and errors[0]["loc"] in ([], ["type"])
    assert not ours(document())


@pytest.mark.parametrize(
    ("spelling", "word"),
    [
        ("inspecting", "inspecting"),
        ("urn:epcglobal:cbv:bizstep:receiving", "receiving"),
        ("https://ref.gs1.org/cbv/BizStep-arriving", "arriving"),
        ("cbv:BizStep-shipping", "shipping"),
        ("https://example.com/bizStep/inspecting", None),
        ("urn:epcglobal:cbv:bizstep:weighing", None),
        (None, None),
    ],
)
def test_business_step_spellings(spelling: str | None, word: str | None) -> None:
    assert vocab.standard_step(spelling) == word


@pytest.mark.parametrize(
    ("place", "codes"),
    [
        ("urn:channelguard:checkpoint:JN-G2-N", ["JN-G2-N"]),
        ("urn:channelguard:checkpoint:bad code", []),
        ("https://sites.example.com/checkpoints/LC-G3", ["LC-G3"]),
        ("https://sites.example.com/checkpoints/LC-G3/", ["LC-G3"]),
        ("https://id.gs1.org/414/4012345000115", ["4012345000115"]),
        # SGLN company prefix 4012345 + location 00011 -> GLN 401234500011 + check digit 5.
        ("urn:epc:id:sgln:4012345.00011.0", ["4012345000115"]),
        ("urn:epc:id:sgln:4012345.00011.1234", ["4012345000115"]),
        ("urn:epc:id:sgln:0614141.07346", []),
    ],
)
def test_read_points_name_checkpoints(place: str, codes: list[str]) -> None:
    assert checkpoint_candidates(place) == codes
