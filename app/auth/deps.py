"""FastAPI dependencies: who is calling, and may they call this."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.auth.principal import Principal
from app.auth.service import authenticate
from app.db import DbSession
from app.errors import Forbidden, Unauthorized
from app.models.user import Role

_bearer = HTTPBearer(auto_error=False, description="API token from `channelguard users create`")


def current_principal(
    session: DbSession,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("missing bearer token", headers={"WWW-Authenticate": "Bearer"})
    return authenticate(session, credentials.credentials)


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require(*roles: Role) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency that lets only the given roles through."""
    allowed = frozenset(roles)

    # async: a pure check, so FastAPI need not hop to the thread pool for it.
    async def _check(principal: CurrentPrincipal) -> Principal:
        if principal.role not in allowed:
            names = ", ".join(sorted(r.value for r in allowed))
            raise Forbidden(f"role {principal.role.value} may not do this (needs {names})")
        return principal

    return _check


ANY_ROLE = tuple(Role)
Admin = Annotated[Principal, Depends(require(Role.admin))]
Staff = Annotated[Principal, Depends(require(Role.admin, Role.hq_auditor))]
Anyone = Annotated[Principal, Depends(require(*ANY_ROLE))]
