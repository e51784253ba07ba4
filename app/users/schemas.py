from __future__ import annotations

from pydantic import BaseModel

from app.common.types import CursorPage


class UserOut(BaseModel):
    username: str
    display_name: str
    """What a person is called on the pages: the bound party's name, else the username."""
    role: str
    party_type: str | None
    """`distributor`, `salesperson` or `sub_customer` for a user bound to one, else null."""
    party_code: str | None
    party_name: str | None


class UserPage(CursorPage[UserOut]):
    """Users in username order; pass `next` back as `after` for the following page."""
