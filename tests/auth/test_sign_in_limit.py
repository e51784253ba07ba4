"""Token guessing is slowed down: after too many failed token checks from one address, that
address gets 429 with Retry-After before any token is looked up."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from app.auth.ratelimit import FailedAuthLimiter
from app.config import get_settings
from tests.conftest import Api

ME = "/api/v1/me"


@pytest.fixture
def small_limit(monkeypatch: pytest.MonkeyPatch, tokens: dict[str, str]) -> Iterator[Api]:
    from app.main import create_app

    monkeypatch.setenv("CG_AUTH_FAILURE_LIMIT", "5")
    monkeypatch.setenv("CG_AUTH_FAILURE_WINDOW", "60")
    get_settings.cache_clear()
    try:
        with TestClient(create_app()) as client:
            yield Api(client, tokens)
    finally:
        get_settings.cache_clear()


def bad(api: Api, token: str = "cg_wrong") -> int:
    return api.client.get(ME, headers={"Authorization": f"Bearer {token}"}).status_code


def test_failures_past_the_limit_get_429_with_retry_after(small_limit: Api) -> None:
    api = small_limit
    # Successes before, between and after do not count.
    for _ in range(10):
        assert api.get("admin", ME).status_code == 200
    assert [bad(api) for _ in range(5)] == [401] * 5
    r = api.client.get(ME, headers={"Authorization": "Bearer cg_wrong"})
    assert r.status_code == 429
    assert int(r.headers["Retry-After"]) in range(1, 61)
    # Blocked before the token is checked: a right guess is not told apart from a wrong one.
    assert api.get("admin", ME).status_code == 429
    # Another address is not affected.
    other = TestClient(api.client.app, client=("203.0.113.9", 5000))
    assert other.get(ME, headers=api.as_("admin")).status_code == 200


def test_revoked_tokens_count_and_successes_never_do(small_limit: Api) -> None:
    api = small_limit
    from app.auth import service as auth
    from app.db import get_sessionmaker

    with get_sessionmaker()() as s, s.begin():
        auth.revoke_user(s, username="auditor", actor="test")
    assert api.get("auditor", ME).status_code == 401  # a revoked token is a failure
    for _ in range(3):
        assert bad(api) == 401
    for _ in range(50):
        assert api.get("inspector", ME).status_code == 200
    # A missing token is not a guess: it does not count.
    assert api.client.get(ME).status_code == 401
    assert bad(api) == 401  # the fifth failure
    assert bad(api) == 429


def test_default_limit_is_twenty_a_minute(api: Api) -> None:
    assert [bad(api) for _ in range(20)] == [401] * 20
    assert bad(api) == 429


def test_window_slides() -> None:
    now = [1000.0]
    limiter = FailedAuthLimiter(limit=3, window=60, clock=lambda: now[0])
    for step in (0, 10, 20):
        now[0] = 1000 + step
        assert limiter.retry_after("a") is None
        limiter.record_failure("a")
    assert limiter.retry_after("a") == 40  # the first failure leaves the window at 1060
    assert limiter.retry_after("b") is None
    now[0] = 1060.5
    assert limiter.retry_after("a") is None
    limiter.record_failure("a")
    assert limiter.retry_after("a") == 10  # failures at 1010, 1020, 1060.5: 1010 leaves at 1070
