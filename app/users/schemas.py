from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field

from app.common.types import CursorPage, Schema
from rules.people import DISPLAY_NAME_MAX, clean_display_name

DisplayName = Annotated[
    str,
    # The schema's bound leaves room for spaces around a name: they are trimmed, then checked.
    Field(min_length=1, max_length=DISPLAY_NAME_MAX * 2),
    AfterValidator(clean_display_name),
]
"""A person's name (王建国): trimmed, 1-64 characters, one line."""


class UserOut(BaseModel):
    username: str
    display_name: str
    """What a person is called on the pages: their own name, else the bound party's name, else
    the username."""
    name: str | None = None
    """The user's own name, null when none was given."""
    role: str
    party_type: str | None
    """`distributor`, `salesperson` or `sub_customer` for a user bound to one, else null."""
    party_code: str | None
    party_name: str | None


class UserPage(CursorPage[UserOut]):
    """Users in username order; pass `next` back as `after` for the following page."""


class UserPatch(Schema):
    display_name: DisplayName | None
    """The person's own name; null takes it away (the pages then show the party's name or the
    username)."""


class Person(BaseModel):
    """Someone a page names: the login the API takes, and the name people read."""

    username: str
    display_name: str
