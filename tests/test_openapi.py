"""The OpenAPI document tells the truth: every error status a route can answer is declared
with its body, and request schemas carry the limits the server enforces."""

from __future__ import annotations

import re
from typing import Any

import pytest

from app.common.types import INT4_MAX, INT8_MAX
from app.main import create_app

ERRORS = {"401", "403", "404", "409", "413", "415", "422", "429"}


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return create_app().openapi()


def _operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, op)
        for path, ops in spec["paths"].items()
        for method, op in ops.items()
        if path != "/healthz"
    ]


def _param(op: dict[str, Any], name: str) -> dict[str, Any]:
    (p,) = [p for p in op["parameters"] if p["name"] == name]
    schema: dict[str, Any] = p["schema"]
    return schema


def _ref(spec: dict[str, Any], name: str) -> dict[str, Any]:
    schema: dict[str, Any] = spec["components"]["schemas"][name]
    return schema


def test_every_route_declares_every_error_with_its_body(spec: dict[str, Any]) -> None:
    ops = _operations(spec)
    assert len(ops) > 40
    for method, path, op in ops:
        missing = ERRORS - set(op["responses"])
        assert not missing, (method, path, missing)
        body = op["responses"]["404"]["content"]["application/json"]["schema"]
        assert body == {"$ref": "#/components/schemas/ErrorOut"}, (method, path)
    assert _ref(spec, "ErrorOut")["required"] == ["detail"]


def test_ids_offsets_and_cursors_are_bounded(spec: dict[str, Any]) -> None:
    paths = spec["paths"]
    vid = _param(paths["/api/v1/violations/{violation_id}"]["get"], "violation_id")
    assert (vid["minimum"], vid["maximum"]) == (1, INT4_MAX)
    bid = _param(paths["/api/v1/code-batches/{batch_id}/codes"]["get"], "batch_id")
    assert bid["maximum"] == INT4_MAX
    offset = _param(paths["/api/v1/regions"]["get"], "offset")
    assert (offset["minimum"], offset["maximum"]) == (0, INT4_MAX)
    assert _param(paths["/api/v1/audit-log"]["get"], "after_seq")["maximum"] == INT8_MAX
    assert _param(paths["/epcis/events"]["get"], "after")["maximum"] == INT8_MAX


def test_text_fields_carry_their_length_and_character_rules(spec: dict[str, Any]) -> None:
    name = _ref(spec, "RegionIn")["properties"]["name"]
    assert name["maxLength"] == 200
    assert re.fullmatch(name["pattern"], "济南 市\t(一)") is not None
    assert re.fullmatch(name["pattern"], "a\x00b") is None
    note = _ref(spec, "DecideIn")["properties"]["note"]
    assert note["maxLength"] == 2000 and "pattern" in note
    # A scan payload takes any characters: a bad one is that item's error, not a 422.
    payload = _ref(spec, "ScanIn")["properties"]["payload"]
    assert "pattern" not in payload and payload["maxLength"] == 4096
    key = _param(spec["paths"]["/api/v1/scans"]["post"], "idempotency-key")
    assert re.fullmatch(key["anyOf"][0]["pattern"], "k\x00") is None


def test_patterns_take_ascii_digits_only(spec: dict[str, Any]) -> None:
    text = str(spec)
    assert "\\\\d" not in text and "\\d" not in text
    period = _param(spec["paths"]["/api/v1/ledger/balances"]["get"], "period")
    pattern = period["anyOf"][0]["pattern"]
    assert re.fullmatch(pattern, "2026-01") and re.fullmatch(pattern, "")
    assert not re.fullmatch(pattern, "0000-01") and not re.fullmatch(pattern, "２０２６-０１")
