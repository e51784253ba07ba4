"""FastAPI dependencies: who is calling, and may they call this."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from app.auth.principal import Principal
from app.auth.ratelimit import guard
from app.auth.service import cached_principal, check_bearer
from app.errors import Forbidden, Unauthorized
from app.models.user import Role

_bearer = HTTPBearer(auto_error=False, description="API token from `channelguard users create`")

AUTH_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"description": "missing, unknown or revoked bearer token"},
    429: {
        "description": "too many failed token checks from this address; see Retry-After",
        "headers": {"Retry-After": {"description": "seconds", "schema": {"type": "integer"}}},
    },
}


async def current_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("missing bearer token", headers={"WWW-Authenticate": "Bearer"})
    limiter, address = guard(request)
    # A token checked moments ago is answered on the event loop; only a database read goes to
    # the thread pool (every hop there is a thread switch under the one interpreter lock).
    token = credentials.credentials
    try:
        principal = cached_principal(token)
        if principal is None:
            principal = await run_in_threadpool(check_bearer, token)
        return principal
    except Unauthorized:
        limiter.record_failure(address)
        raise


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
