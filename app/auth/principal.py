from __future__ import annotations

from dataclasses import dataclass

from app.models.user import Role


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the user, their role and, for distributors, salespeople and sub-customers,
    their party."""

    user_id: int
    username: str
    role: Role
    distributor_id: int | None = None
    salesperson_id: int | None = None
    sub_customer_id: int | None = None
    token_id: int | None = None
    """The bearer token this call came with (None for the command line): signing out ends it."""

    @property
    def is_staff(self) -> bool:
        """HQ-side roles that see every party's data."""
        return self.role in (Role.admin, Role.hq_auditor)
