"""Bearer tokens already checked, remembered for a few seconds so that a busy client's requests
do not each need a database read (CG_TOKEN_CACHE_SECONDS; 0 turns it off).

Entries are keyed by the token's SHA-256, never the token, and hold the principal and the
session's expiry, so an expired session is refused from the cache as from the database. Every
change this process makes to a user or a token through the ORM (revoke, disable, role or party)
evicts that user's entries when it is flushed and again when it commits; another process's
change is seen within the TTL. Only successful checks are cached."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.db import utcnow
from app.models import ApiToken, User


@dataclass(frozen=True, slots=True)
class _Entry:
    principal: Principal
    fresh_until: float
    """time.monotonic() after which the database is asked again."""
    expires_at: datetime | None
    """The session's own expiry: never served past it, whatever the TTL."""


class TokenCache:
    """A thread-safe LRU of token hash -> principal with a TTL."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._generation = 0

    def generation(self) -> int:
        """Read before a database lookup, handed back to `put`: an eviction in between (a
        revocation committing while the lookup ran) makes `put` drop the possibly stale answer."""
        return self._generation

    def get(self, token_hash: str) -> Principal | None:
        with self._lock:
            entry = self._entries.get(token_hash)
            if entry is None:
                return None
            if entry.fresh_until <= time.monotonic() or (
                entry.expires_at is not None and entry.expires_at <= utcnow()
            ):
                del self._entries[token_hash]
                return None
            self._entries.move_to_end(token_hash)
            return entry.principal

    def put(
        self,
        token_hash: str,
        principal: Principal,
        *,
        expires_at: datetime | None,
        ttl: float,
        max_size: int,
        generation: int,
    ) -> None:
        with self._lock:
            if generation != self._generation:
                return
            self._entries[token_hash] = _Entry(principal, time.monotonic() + ttl, expires_at)
            self._entries.move_to_end(token_hash)
            while len(self._entries) > max_size:
                self._entries.popitem(last=False)

    def evict(self, *, token_hashes: set[str], user_ids: set[int]) -> None:
        with self._lock:
            self._generation += 1
            for h in token_hashes:
                self._entries.pop(h, None)
            if user_ids:
                for h in [h for h, e in self._entries.items() if e.principal.user_id in user_ids]:
                    del self._entries[h]

    def clear(self) -> None:
        with self._lock:
            self._generation += 1
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


_caches: dict[str, TokenCache] = {}
_caches_lock = threading.Lock()


def cache_for(bind: Any) -> TokenCache:
    """The cache of the database `bind` (an engine or connection) reads: one per database, so
    that a process that opens several (the tests do) never mixes their users."""
    engine: Engine = bind.engine
    key = engine.url.render_as_string(hide_password=True)
    cache = _caches.get(key)
    if cache is None:
        with _caches_lock:
            cache = _caches.setdefault(key, TokenCache())
    return cache


def clear_all() -> None:
    """Forget every cached token of every database (what another process's revocation looks
    like once the TTL has passed)."""
    with _caches_lock:
        for cache in _caches.values():
            cache.clear()


_PENDING = "cg_token_evictions"


def _changed(session: Session) -> tuple[set[str], set[int]]:
    hashes: set[str] = set()
    users: set[int] = set()
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, ApiToken):
            hashes.add(obj.token_hash)
            users.add(obj.user_id)
        elif isinstance(obj, User) and obj.id is not None:
            users.add(obj.id)
    return hashes, users


@event.listens_for(Session, "before_flush")
def _evict_on_flush(session: Session, _ctx: Any, _instances: Any) -> None:
    hashes, users = _changed(session)
    if hashes or users:
        evict(session, token_hashes=hashes, user_ids=users)


def evict(session: Session, *, token_hashes: set[str], user_ids: set[int]) -> None:
    """Forget these tokens and users' tokens now and again when `session` commits: for a
    change the ORM does not see as dirty (a conditional UPDATE statement)."""
    hashes, users = token_hashes, user_ids
    # Now, so that later requests of this process are refused at once; and again at commit,
    # since until then other requests still read the old rows and might cache them anew.
    cache_for(session.get_bind()).evict(token_hashes=hashes, user_ids=users)
    pending: tuple[set[str], set[int]] = session.info.setdefault(_PENDING, (set(), set()))
    pending[0].update(hashes)
    pending[1].update(users)


@event.listens_for(Session, "after_commit")
def _evict_on_commit(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if pending is not None:
        cache_for(session.get_bind()).evict(token_hashes=pending[0], user_ids=pending[1])
