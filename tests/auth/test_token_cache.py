"""A bearer token checked moments ago is trusted without a database read: revocations made by this
process end it at once, another process's within CG_TOKEN_CACHE_SECONDS, a session never outlives
its expiry, and the check itself never waits for a writer."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import create_engine, event, select, text

from app import db
from app.auth import service as auth
from app.auth import signin, tokencache
from app.auth.principal import Principal
from app.auth.tokencache import TokenCache, cache_for
from app.config import get_settings
from app.errors import Unauthorized
from app.models import ApiToken, Role, User
from tests.conftest import Api

ME = "/api/v1/me"


class Statements:
    """Counts the statements sent to the test database, and those that read tokens."""

    def __init__(self) -> None:
        self.all: list[str] = []

    def __call__(self, _conn: Any, _cur: Any, statement: str, *_: Any) -> None:
        self.all.append(statement)

    @property
    def token_reads(self) -> int:
        return sum(
            1 for s in self.all if "api_token" in s and s.lstrip().upper().startswith("SELECT")
        )

    def clear(self) -> None:
        self.all.clear()


@pytest.fixture
def statements(demo_url: str) -> Iterator[Statements]:
    counter = Statements()
    engine = db.get_engine()
    event.listen(engine, "before_cursor_execute", counter)
    yield counter
    event.remove(engine, "before_cursor_execute", counter)


@pytest.fixture
def cache_seconds(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    def set_to(seconds: float) -> None:
        monkeypatch.setenv("CG_TOKEN_CACHE_SECONDS", str(seconds))
        get_settings.cache_clear()

    yield set_to
    monkeypatch.delenv("CG_TOKEN_CACHE_SECONDS", raising=False)
    get_settings.cache_clear()


def _cache() -> TokenCache:
    return cache_for(db.get_engine())


def _user(username: str) -> User:
    with db.get_sessionmaker()() as s:
        user = s.scalar(select(User).where(User.username == username))
        assert user is not None
        return user


def test_a_checked_token_is_served_without_a_database_query(
    tokens: dict[str, str], statements: Statements
) -> None:
    first = auth.check_bearer(tokens["inspector"])
    assert first.username == "inspector" and first.role is Role.inspector
    assert statements.token_reads == 1
    statements.clear()
    again = auth.check_bearer(tokens["inspector"])
    assert again == first
    assert statements.all == []


def test_requests_after_the_first_do_not_read_the_token(api: Api, statements: Statements) -> None:
    assert api.get("auditor", ME).status_code == 200
    assert statements.token_reads == 1
    statements.clear()
    for _ in range(3):
        r = api.get("auditor", ME)
        assert r.status_code == 200 and r.json()["username"] == "auditor"
    assert statements.token_reads == 0


def test_the_cache_holds_hashes_never_tokens(tokens: dict[str, str]) -> None:
    auth.check_bearer(tokens["admin"])
    keys = list(_cache()._entries)
    assert keys == [auth.hash_token(tokens["admin"])]
    assert tokens["admin"] not in keys


def test_hq_revoking_a_phone_session_ends_it_at_once(api: Api) -> None:
    r = api.post("admin", "/api/v1/sign-in/tickets", json={"username": "inspector"})
    assert r.status_code == 201, r.text
    ticket = r.json()["link"].split("#ticket=", 1)[1]
    session = api.post(None, "/api/v1/sign-in/exchange", json={"ticket": ticket}).json()
    phone = {"Authorization": f"Bearer {session['token']}"}
    assert api.client.get(ME, headers=phone).status_code == 200
    assert len(_cache()) >= 2  # the admin's token and the phone's session
    listing = api.get("admin", "/api/v1/sign-in/sessions").json()["items"]
    sid = next(s["id"] for s in listing if s["username"] == "inspector")
    assert api.post("admin", f"/api/v1/sign-in/sessions/{sid}/revoke").status_code == 200
    me = api.client.get(ME, headers=phone)
    assert me.status_code == 401 and me.json()["detail"] == "session revoked"
    # The admin who revoked it is still served.
    assert api.get("admin", ME).status_code == 200


def test_disabling_a_user_or_revoking_its_tokens_ends_them_at_once(tokens: dict[str, str]) -> None:
    assert auth.check_bearer(tokens["auditor"]).username == "auditor"
    assert auth.check_bearer(tokens["inspector"]).username == "inspector"
    with db.get_sessionmaker()() as s, s.begin():
        auth.revoke_user(s, username="auditor", actor="test")
    with pytest.raises(Unauthorized, match="revoked"):
        auth.check_bearer(tokens["auditor"])
    with db.get_sessionmaker()() as s, s.begin():
        user = s.scalar(select(User).where(User.username == "inspector"))
        assert user is not None
        auth.revoke_tokens(s, user=user, actor="test")
    with pytest.raises(Unauthorized, match="revoked"):
        auth.check_bearer(tokens["inspector"])
    # Refusals are not cached: the database is asked every time, and says no.
    assert auth.hash_token(tokens["auditor"]) not in _cache()._entries


def test_a_role_change_is_seen_at_once(tokens: dict[str, str]) -> None:
    assert auth.check_bearer(tokens["auditor"]).role is Role.hq_auditor
    with db.get_sessionmaker()() as s, s.begin():
        user = s.scalar(select(User).where(User.username == "auditor"))
        assert user is not None
        user.role = Role.inspector
    assert auth.check_bearer(tokens["auditor"]).role is Role.inspector


def test_revocation_in_flight_is_not_cached_anew(tokens: dict[str, str]) -> None:
    """A lookup that read the old row while a revocation committed must not cache it."""
    cache = _cache()
    principal = auth.check_bearer(tokens["admin"])
    generation = cache.generation()
    cache.evict(token_hashes={auth.hash_token(tokens["admin"])}, user_ids=set())
    cache.put(
        auth.hash_token(tokens["admin"]),
        principal,
        expires_at=None,
        ttl=60,
        max_size=10,
        generation=generation,
    )
    assert cache.get(auth.hash_token(tokens["admin"])) is None


def test_an_expired_session_is_refused_even_when_cached(
    tokens: dict[str, str], cache_seconds: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache_seconds(300)
    with db.get_sessionmaker()() as s, s.begin():
        user = s.scalar(select(User).where(User.username == "inspector"))
        assert user is not None
        ticket = signin.issue_ticket(
            s, username="inspector", actor="admin", base_url="http://x", minutes=5
        )
        phone = signin.redeem_ticket(s, ticket=ticket.ticket, hours=1)
    assert auth.check_bearer(phone.token).username == "inspector"
    assert _cache().get(auth.hash_token(phone.token)) is not None
    later = datetime.now(UTC) + timedelta(hours=1, seconds=1)
    monkeypatch.setattr(tokencache, "utcnow", lambda: later)
    monkeypatch.setattr(auth, "utcnow", lambda: later)
    with pytest.raises(Unauthorized, match="session expired"):
        auth.check_bearer(phone.token)
    # Machines' API tokens never expire, and stay cached.
    assert auth.check_bearer(tokens["admin"]).username == "admin"


def test_ttl_zero_reads_the_database_every_time(
    tokens: dict[str, str], statements: Statements, cache_seconds: Any
) -> None:
    cache_seconds(0)
    for _ in range(3):
        assert auth.check_bearer(tokens["inspector"]).username == "inspector"
    assert statements.token_reads == 3
    assert len(_cache()) == 0


def test_another_process_revoking_is_seen_once_the_ttl_has_passed(
    tokens: dict[str, str], demo_url: str, cache_seconds: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache_seconds(5)
    assert auth.check_bearer(tokens["jinan-sales"]).username == "jinan-sales"
    # Another process: its own engine, plain SQL, nothing this process's ORM could notice.
    other = create_engine(demo_url)
    try:
        with other.begin() as conn:
            conn.execute(
                text("UPDATE api_token SET revoked_at = :t WHERE token_hash = :h"),
                {
                    "t": datetime.now(UTC).replace(tzinfo=None),
                    "h": auth.hash_token(tokens["jinan-sales"]),
                },
            )
    finally:
        other.dispose()
    # Within the TTL this process has not heard of it (the documented window)...
    assert auth.check_bearer(tokens["jinan-sales"]).username == "jinan-sales"
    # ...and once the TTL has passed it has.
    now = time.monotonic()
    monkeypatch.setattr(tokencache.time, "monotonic", lambda: now + 5.01)
    with pytest.raises(Unauthorized, match="token revoked"):
        auth.check_bearer(tokens["jinan-sales"])
    monkeypatch.undo()
    tokencache.clear_all()
    with pytest.raises(Unauthorized, match="token revoked"):
        auth.check_bearer(tokens["jinan-sales"])


def test_the_cache_keeps_the_most_recently_used() -> None:
    cache = TokenCache()
    people = [Principal(user_id=i, username=f"u{i}", role=Role.inspector) for i in range(4)]
    for i, p in enumerate(people[:3]):
        cache.put(f"h{i}", p, expires_at=None, ttl=60, max_size=3, generation=cache.generation())
    assert cache.get("h0") == people[0]  # h1 is now the least recently used
    cache.put("h3", people[3], expires_at=None, ttl=60, max_size=3, generation=cache.generation())
    assert len(cache) == 3
    assert cache.get("h1") is None
    assert [cache.get(h) for h in ("h0", "h2", "h3")] == [people[0], people[2], people[3]]
    cache.evict(token_hashes=set(), user_ids={2})
    assert cache.get("h2") is None and cache.get("h0") == people[0]


def test_a_token_check_does_not_wait_for_a_writer(
    tokens: dict[str, str], cache_seconds: Any
) -> None:
    """A transaction that has written holds SQLite's write queue until it ends; the token check
    reads beside it (on PostgreSQL nothing is locked either)."""
    cache_seconds(0)
    with db.get_sessionmaker()() as writer, writer.begin():
        user = writer.scalar(select(User).where(User.username == "jinan-distributor"))
        assert user is not None
        writer.add(ApiToken(user_id=user.id, token_hash="0" * 64, prefix="cg_x"))
        writer.flush()
        conn = writer.connection()
        if conn.dialect.name == "sqlite":
            # Everything but the token check still begins IMMEDIATE behind the queue.
            assert conn.info.get("cg_write_lock") is True
        with ThreadPoolExecutor(1) as pool:
            who = pool.submit(auth.check_bearer, tokens["jinan-distributor"]).result(timeout=10)
        assert who.username == "jinan-distributor"
