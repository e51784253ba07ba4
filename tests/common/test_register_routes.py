"""A register's create, read and update routes: named, typed and called as the register's own
service functions say; a patch copies what was sent; the wire form reads the entry's fields."""

from __future__ import annotations

from datetime import UTC, datetime
from types import ModuleType, SimpleNamespace
from typing import Any

from fastapi import APIRouter
from fastapi.routing import APIRoute

from app.auth.visibility import Visibility
from app.common.master import patched
from app.common.register_routes import register_routes
from app.common.wire import wire_form
from app.models import RegionKind
from app.regions.schemas import RegionIn, RegionOut, RegionPatch

NOW = datetime(2026, 1, 1, tzinfo=UTC)
ENTRY = SimpleNamespace(
    code="370100",
    name="济南",
    kind=RegionKind.CONTESTED,
    boundary=None,
    colour="#C0392B",
    created_at=NOW,
)
OUT = wire_form(RegionOut, ENTRY, parent_code=None)
calls: list[tuple[str, dict[str, Any]]] = []


def create_area(session: object, *, data: RegionIn, actor: str) -> RegionOut:
    calls.append(("create", {"data": data, "actor": actor}))
    return OUT


def get_area(session: object, *, code: str, vis: Visibility) -> RegionOut:
    calls.append(("get", {"code": code, "vis": vis}))
    return OUT


def update_area(session: object, *, code: str, data: RegionPatch, actor: str) -> RegionOut:
    calls.append(("update", {"code": code, "data": data, "actor": actor}))
    return OUT


def _routes() -> dict[str, APIRoute]:
    service = ModuleType("areas")
    vars(service).update(create_area=create_area, get_area=get_area, update_area=update_area)
    router = APIRouter(prefix="/areas")
    register_routes(router, "area", service, sees=lambda _s, _who: Visibility(everything=True))
    return {r.name: r for r in router.routes if isinstance(r, APIRoute)}


def test_routes_are_named_and_typed_after_the_service() -> None:
    routes = _routes()
    shape = {
        name: (r.path, r.methods, r.status_code, r.response_model) for name, r in routes.items()
    }
    assert shape == {
        "create_area": ("/areas", {"POST"}, 201, RegionOut),
        "get_area": ("/areas/{code}", {"GET"}, None, RegionOut),
        "update_area": ("/areas/{code}", {"PATCH"}, None, RegionOut),
    }
    bodies = {
        name: r.body_field and r.body_field.field_info.annotation for name, r in routes.items()
    }
    assert bodies == {"create_area": RegionIn, "get_area": None, "update_area": RegionPatch}


def test_routes_call_the_service_with_the_caller() -> None:
    routes = _routes()
    who = SimpleNamespace(username="ann")
    body = RegionIn(code="370100", name="济南", kind=RegionKind.CONTESTED)
    calls.clear()
    routes["create_area"].endpoint(body=body, session=None, who=who)
    routes["get_area"].endpoint(code="370100", session=None, who=who)
    routes["update_area"].endpoint(code="370100", body=RegionPatch(), session=None, who=who)
    assert calls == [
        ("create", {"data": body, "actor": "ann"}),
        ("get", {"code": "370100", "vis": Visibility(everything=True)}),
        ("update", {"code": "370100", "data": RegionPatch(), "actor": "ann"}),
    ]


def test_a_patch_keeps_what_may_not_be_empty_and_clears_what_may() -> None:
    row = SimpleNamespace(name="old", colour="#C0392B")
    changes = patched(
        row, RegionPatch(name=None, colour=None), fields=("name",), clearable=("colour",)
    )
    assert (row.name, row.colour, changes) == ("old", None, {"name": None, "colour": None})
    row = SimpleNamespace(name="old", colour="#C0392B")
    changes = patched(row, RegionPatch(name="new"), fields=("name",), clearable=("colour",))
    assert (row.name, row.colour, changes) == ("new", "#C0392B", {"name": "new"})


def test_the_wire_form_reads_the_entrys_fields_and_takes_what_is_derived() -> None:
    assert wire_form(RegionOut, ENTRY, parent_code="370000") == RegionOut(
        code="370100",
        name="济南",
        kind=RegionKind.CONTESTED,
        parent_code="370000",
        boundary=None,
        colour="#C0392B",
        created_at=NOW,
    )
