"""A stand-in for the service's `POST /api/v1/scans`, run under uvicorn on a real socket.

It keeps the contract's idempotency semantics (one stored response per key, replayed on a
retry with the same body, 409 for another body, 413 above 10,000 scans, 401/403, 422 for a
body outside the schema) and can be told to misbehave on the next requests: answer with an
error status, lose the response after storing the scans, answer late, or hang.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import socket
import threading
from collections import Counter, deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Annotated, Any

import uvicorn
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError
from starlette.types import Receive, Scope, Send

Code = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,40}$")]


class ScanIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    payload: Annotated[str, Field(min_length=1)]
    checkpoint_code: Code | None = None
    scanned_at: AwareDatetime
    lat: float | None = None
    lon: float | None = None
    observed_price: Annotated[str, Field(pattern=r"^-?\d+(\.\d+)?$")] | None = None
    device_id: str | None = None


class ScanBatchIn(BaseModel):
    scans: list[ScanIn]


@dataclass(frozen=True)
class Fail:
    """Answer with this status before looking at the body (nothing stored)."""

    status: int
    retry_after: str | None = None
    detail: str = "stand-in failure"
    body: str | None = None
    """Raw body instead of JSON (a captive portal's HTML page)."""


@dataclass(frozen=True)
class LoseResponse:
    """Store the scans, then cut the connection half-way through the response."""


@dataclass(frozen=True)
class AnswerLate:
    """Store the scans, then wait this long before answering (past the client's timeout)."""

    seconds: float


@dataclass(frozen=True)
class Hang:
    """Store the scans, then hang until the test releases `StandIn.release`."""


Action = Fail | LoseResponse | AnswerLate | Hang


@dataclass
class Logged:
    key: str | None
    status: int
    scans: int
    replay: bool = False


@dataclass
class StandIn:
    """The server's state, inspected by the tests."""

    tokens: set[str] = field(default_factory=lambda: {"good-token"})
    forbidden_tokens: set[str] = field(default_factory=lambda: {"distributor-token"})
    stored: list[dict[str, Any]] = field(default_factory=list)
    """Every scan stored, in arrival order: what the service would have counted."""
    responses: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    bodies: dict[str, set[str]] = field(default_factory=dict)
    """Idempotency-Key -> every body hash sent under it (a correct client sends one)."""
    log: list[Logged] = field(default_factory=list)
    plan: deque[Action] = field(default_factory=deque)
    hanging: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def then(self, *actions: Action) -> StandIn:
        """Queue behaviours for the next requests, one each."""
        self.plan.extend(actions)
        return self

    def payload_counts(self) -> Counter[str]:
        """How many times each payload was stored."""
        return Counter(s["payload"] for s in self.stored)

    def keys_sent(self) -> list[str | None]:
        """Idempotency-Keys in request order (repeats are retries)."""
        return [r.key for r in self.log]


def verdict_for(payload: str) -> str:
    """A fake but deterministic verdict, so a client can show it."""
    if "DIVERT" in payload:
        return "diversion"
    return "unreadable" if payload.startswith("?") else "in_region"


def build_app(state: StandIn) -> FastAPI:
    """The stand-in application."""
    app = FastAPI()

    @app.post("/api/v1/scans")
    async def post_scans(request: Request) -> Response:
        key = request.headers.get("Idempotency-Key")

        def answer(status: int, content: Any, headers: dict[str, str] | None = None) -> Response:
            state.log.append(Logged(key, status, 0))
            return JSONResponse(content, status_code=status, headers=headers)

        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else None
        if token in state.forbidden_tokens:
            return answer(403, {"detail": "role may not post scans"})
        if token not in state.tokens:
            return answer(401, {"detail": "invalid token"})
        action = state.plan.popleft() if state.plan else None
        if isinstance(action, Fail):
            headers = {"Retry-After": action.retry_after} if action.retry_after else {}
            if action.body is not None:
                state.log.append(Logged(key, action.status, 0))
                return Response(action.body, action.status, headers, media_type="text/html")
            return answer(action.status, {"detail": action.detail}, headers)
        raw = await request.body()
        try:
            batch = ScanBatchIn.model_validate_json(raw)
        except ValidationError as exc:
            return answer(422, {"detail": json.loads(exc.json(include_url=False))})
        if len(batch.scans) > 10_000:
            return answer(413, {"detail": "at most 10000 scans a request"})
        if not key:
            return answer(400, {"detail": "Idempotency-Key header required"})
        digest = hashlib.sha256(
            json.dumps(batch.model_dump(mode="json"), sort_keys=True).encode()
        ).hexdigest()
        with state.lock:
            state.bodies.setdefault(key, set()).add(digest)
            previous = state.responses.get(key)
            if previous is not None and previous[0] != digest:
                return answer(409, {"detail": "Idempotency-Key reused with another body"})
            if previous is not None:
                response = previous[1]
                state.log.append(Logged(key, 200, len(batch.scans), replay=True))
            else:
                results: list[dict[str, Any]] = []
                for scan in batch.scans:
                    state.stored.append(scan.model_dump(mode="json"))
                    results.append(
                        {
                            "payload": scan.payload,
                            "serial": f"S{len(state.stored):010d}",
                            "verdict": verdict_for(scan.payload),
                            "region_code": scan.checkpoint_code,
                            "findings": [],
                        }
                    )
                response = {"results": results}
                state.responses[key] = (digest, response)
                state.log.append(Logged(key, 200, len(batch.scans)))
        if isinstance(action, LoseResponse):
            return _CutResponse()
        if isinstance(action, AnswerLate):
            await asyncio.sleep(action.seconds)
        if isinstance(action, Hang):
            state.hanging.set()
            while not state.release.is_set():
                await asyncio.sleep(0.01)
        return JSONResponse(response)

    return app


class _CutResponse(Response):
    """Headers promising a body that never comes; uvicorn then closes the connection."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", b"1000")],
            }
        )
        await send({"type": "http.response.body", "body": b'{"results": [', "more_body": True})


@contextmanager
def serve(state: StandIn) -> Iterator[str]:
    """Run the stand-in on 127.0.0.1 on a free port in a thread; yield its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        build_app(state), log_level="critical", lifespan="off", timeout_graceful_shutdown=1
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    for _ in range(500):
        if server.started:
            break
        threading.Event().wait(0.01)
    else:
        raise RuntimeError("stand-in server did not start")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        state.release.set()
        server.should_exit = True
        thread.join(timeout=5)
        sock.close()
