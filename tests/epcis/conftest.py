"""The EPCIS samples and GS1's EPCIS 2.0 JSON Schema (kept unchanged in `tests/data/epcis`),
and helpers to build capture documents."""

from __future__ import annotations

import json
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator, FormatChecker  # type: ignore[import-untyped]
from referencing import Registry, Resource

from tests.conftest import DATA

EPCIS = DATA / "epcis"
VALID = sorted((EPCIS / "valid").glob("*.json"))
INVALID = sorted((EPCIS / "invalid").glob("*.json"))
CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"


def load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


@cache
def gs1_schema() -> Draft7Validator:
    """GS1's root EPCIS 2.0 schema, its references resolved from the local copies, with
    `format` asserted (uri, date-time) as a conforming validator must."""
    folder = EPCIS / "schema"
    registry: Registry[Any] = Registry()
    for path in [*folder.glob("*.json"), *folder.glob("schemas/*.json")]:
        contents = load(path)
        registry = registry.with_resource(contents["$id"], Resource.from_contents(contents))
    root = load(folder / "EPCIS-JSON-Schema-root.json")
    return Draft7Validator(root, registry=registry, format_checker=FormatChecker())


def schema_errors(document: Any) -> list[tuple[str, str]]:
    """(JSON path, message) of every place the document breaks GS1's schema."""
    return sorted((err.json_path, err.message) for err in gs1_schema().iter_errors(document))


def document(*events: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "@context": [CONTEXT],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2026-11-20T08:05:00+08:00",
        "epcisBody": {"eventList": list(events)},
        **extra,
    }


def sighting(
    epcs: list[str], *, at: datetime, where: str | None, step: str = "inspecting", **extra: Any
) -> dict[str, Any]:
    """An ObjectEvent observing `epcs` at `where` (a readPoint id)."""
    offset = at.strftime("%z")
    event: dict[str, Any] = {
        "type": "ObjectEvent",
        "eventTime": at.isoformat(),
        "eventTimeZoneOffset": f"{offset[:3]}:{offset[3:]}",
        "action": "OBSERVE",
        "bizStep": step,
        "epcList": epcs,
        **extra,
    }
    if where is not None:
        event["readPoint"] = {"id": where}
    return event
