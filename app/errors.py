"""Errors that carry their HTTP status, and the handlers that render every error as a 4xx
`{"detail": ...}`: the app's own, request validation, and the database refusing a value."""

from __future__ import annotations

import json
import math
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import DataError, IntegrityError


class AppError(Exception):
    status_code = 400

    def __init__(self, detail: Any, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = headers


class BadRequest(AppError):
    status_code = 400


class Unauthorized(AppError):
    status_code = 401


class Forbidden(AppError):
    status_code = 403


class NotFound(AppError):
    status_code = 404


class Conflict(AppError):
    status_code = 409


class PayloadTooLarge(AppError):
    status_code = 413


class Unprocessable(AppError):
    status_code = 422


class TooManyRequests(AppError):
    status_code = 429


ECHO_CHARS = 200
"""A 422 echoes at most this much of the offending input: enough to recognise it."""
MAX_ERRORS = 100
"""A 10,000-item batch with every item wrong needs only the first errors to be fixed."""


def _short(text: str, limit: int = ECHO_CHARS) -> str:
    cut = text if len(text) <= limit else text[:limit] + "…"
    # Lone surrogates cannot be encoded into the UTF-8 response.
    return cut.encode("utf-8", "replace").decode("utf-8")


def _echo(value: Any) -> Any:
    """Any input value, made JSON-safe and short."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value if abs(value) < 10**15 else _short(str(value), 40)
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, str):
        return _short(value)
    if isinstance(value, bytes):
        return _short(value[: ECHO_CHARS * 4].decode("utf-8", "replace"))
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="python")
    try:
        text = json.dumps(value, default=str, ensure_ascii=False)
    except (TypeError, ValueError, RecursionError):
        text = repr(value)
    if len(text) > ECHO_CHARS:
        return _short(text)
    return json.loads(text)


def _safe_error(err: Any) -> Any:
    if not isinstance(err, dict):
        return _echo(err)
    out: dict[str, Any] = {}
    for key, value in err.items():
        if key == "url":
            continue
        if key == "loc" and isinstance(value, list | tuple):
            out[key] = [v if isinstance(v, int) else _short(str(v), 80) for v in value]
        elif key == "msg" and isinstance(value, str):
            out[key] = _short(value, 500)
        elif key == "ctx" and isinstance(value, dict):
            out[key] = {
                k: _echo(v if isinstance(v, str | int | float | None) else str(v))
                for k, v in value.items()
            }
        else:
            out[key] = _echo(value)
    return out


def safe_detail(detail: Any) -> Any:
    """An error detail that renders as JSON, whatever the input it quotes."""
    if isinstance(detail, list):
        return [_safe_error(e) for e in detail[:MAX_ERRORS]]
    if isinstance(detail, str):
        return _short(detail, 1000)
    return _safe_error(detail)


def is_unique_violation(exc: IntegrityError) -> bool:
    orig = exc.orig
    if getattr(orig, "sqlstate", None) == "23505":  # psycopg: unique_violation
        return True
    return "UNIQUE constraint failed" in str(orig)  # sqlite3


def install_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def _app_error(_request: Request, exc: AppError) -> JSONResponse:
        return JSONResponse(
            {"detail": safe_detail(exc.detail)}, status_code=exc.status_code, headers=exc.headers
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": safe_detail(list(exc.errors()))}, status_code=422)

    @app.exception_handler(IntegrityError)
    async def _integrity(_request: Request, exc: IntegrityError) -> JSONResponse:
        # Two requests creating the same natural key at once: the second meets the database's
        # unique constraint after both checked for a duplicate. Anything else is a bug.
        if not is_unique_violation(exc):
            raise exc
        return JSONResponse(
            {"detail": "already exists (created by a concurrent request); read it and retry"},
            status_code=409,
        )

    @app.exception_handler(DataError)
    async def _data_error(_request: Request, exc: DataError) -> JSONResponse:
        # The database refused a value the schema let through (NUL in a URL code on
        # PostgreSQL, a string longer than its column): the client's input, so 422.
        reason = str(exc.orig).splitlines()[0] if exc.orig is not None else "invalid value"
        return JSONResponse(
            {"detail": [{"loc": ["request"], "msg": _short(reason, 300), "type": "value_error"}]},
            status_code=422,
        )


def error_with_status(status: int, detail: Any) -> AppError:
    """An AppError for a status decided at run time (e.g. by an image decoder)."""
    err = AppError(detail)
    err.status_code = status
    return err


class ErrorOut(BaseModel):
    """Every 4xx: a message, or a list of `{loc, msg, type, input?}` naming each bad field."""

    detail: Any


ERROR_STATUSES = {
    400: "Malformed request",
    401: "Missing or unknown token",
    403: "The caller's role may not do this",
    404: "Not found (or not visible to the caller)",
    409: "Conflict with the current state or a concurrent request",
    413: "Request body or batch too large",
    415: "Unsupported media type",
    422: "The request does not fit the schema; `detail` names each field",
    429: "Too many requests; see Retry-After",
}
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorOut, "description": text} for status, text in ERROR_STATUSES.items()
}
"""Declared on every router (`APIRouter(responses=ERROR_RESPONSES)`): authentication,
visibility, body limits and validation apply to all routes alike, and the OpenAPI document
should list what the server really answers."""
