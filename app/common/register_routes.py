"""The create, read and update routes of a master-data register (regions, distributors, products,
vehicles, …), served alike: create is `POST ""` (201) and update `PATCH "/{key}"` for the
register's keepers (admins unless told), read is `GET "/{key}"` for any signed-in role. Each
route keeps the register's own name, so its operation id, summary and path are the register's;
list routes filter differently per register and stay with each register.

A route calls its service function the registers' way: `create(session, data=…, actor=…)`,
`read(session, <key>=…[, vis=…])`, `update(session, <key>=…, data=…, actor=…)`. Its request and
response models are those the service function is annotated with, so the two cannot disagree."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from types import ModuleType
from typing import Any, Literal, get_type_hints

from fastapi import APIRouter, status
from pydantic import BaseModel
from sqlalchemy.orm import Session

from app.auth.deps import Admin, Anyone
from app.auth.principal import Principal
from app.auth.visibility import Visibility
from app.db import DbSession

Service = Callable[..., BaseModel]
"""A register's service function: keyword arguments in, the entry's wire form out."""

Sees = Callable[[Session, Principal], Visibility]
"""What the caller may see, for a register whose entries are not everyone's to read."""

Method = Literal["POST", "GET", "PATCH"]

VERBS: tuple[tuple[Method, str], ...] = (("POST", "create"), ("GET", "get"), ("PATCH", "update"))
"""A register's routes, each named `<verb>_<entity>` after its service function."""


def _param(name: str, annotation: object) -> inspect.Parameter:
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation)


def register_route(
    router: APIRouter,
    method: Method,
    name: str,
    service: Service,
    *,
    key: str = "code",
    who: object | None = None,
    sees: Sees | None = None,
    doc: str | None = None,
) -> None:
    """One route of a register calling `service`: `POST ""` creates an entry (201), `GET` and
    `PATCH` at `/{key}` read and change one. A service that takes `data` is a change, given the
    request body and the caller as its actor; with `sees`, an entry the caller may not see is
    not found. `who` may call it: any signed-in role to read, admins to change unless told."""
    hints = get_type_hints(service)
    writes = "data" in hints
    at = None if method == "POST" else key
    params = [_param(at, str)] if at else []
    if writes:
        params.append(_param("body", hints["data"]))
    allowed = who if who is not None else (Anyone if method == "GET" else Admin)
    params += [_param("session", DbSession), _param("who", allowed)]

    def endpoint(**values: Any) -> BaseModel:
        session, caller = values["session"], values["who"]
        args = {at: values[at]} if at else {}
        if writes:
            args |= {"data": values["body"], "actor": caller.username}
        if sees is not None:
            args["vis"] = sees(session, caller)
        return service(session, **args)

    endpoint.__name__ = endpoint.__qualname__ = name
    endpoint.__doc__ = doc
    # FastAPI reads the parameters and the response model off the signature: real types here.
    signature = inspect.Signature(params, return_annotation=hints["return"])
    vars(endpoint)["__signature__"] = signature
    router.add_api_route(
        f"/{{{at}}}" if at else "",
        endpoint,
        methods=[method],
        name=name,
        status_code=status.HTTP_201_CREATED if method == "POST" else None,
    )


def register_routes(
    router: APIRouter,
    entity: str,
    service: ModuleType,
    *,
    key: str = "code",
    sees: Sees | None = None,
) -> None:
    """`create_<entity>`, `get_<entity>` and `update_<entity>` of a register kept by admins,
    each calling the service function of the same name; `sees` limits what `get_` finds."""
    for method, verb in VERBS:
        name = f"{verb}_{entity}"
        fn: Service = getattr(service, name)
        register_route(router, method, name, fn, key=key, sees=sees if verb == "get" else None)
