"""A row as an answer puts it on the wire: the response model (or a report's dataclass) takes
each field off the row under its own name, and only what is derived or converted is said."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any, TypeVar, cast

from pydantic import BaseModel

T = TypeVar("T")


def wire_form(out: type[T], row: object, **derived: Any) -> T:
    """`out` built from the row's same-named fields, but those `derived` from related rows or
    converted (a parent's code, yuan from fen). A pydantic model validates the values as its
    fields say (an enum field's member, a str field's enum value); a dataclass takes them as
    given."""
    if issubclass(out, BaseModel):
        return cast(T, out.model_validate(_values(out.model_fields, row, derived)))
    if dataclasses.is_dataclass(out):
        names = [f.name for f in dataclasses.fields(out) if f.init]
        return out(**_values(names, row, derived))
    raise TypeError(f"{out.__name__} is neither a pydantic model nor a dataclass")


def _values(names: Iterable[str], row: object, derived: dict[str, Any]) -> dict[str, Any]:
    return {name: derived[name] if name in derived else getattr(row, name) for name in names}
