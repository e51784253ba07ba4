"""Slows down token guessing: too many failed bearer-token checks from one client address within
a window, and that address gets 429 with Retry-After before any token is looked up.

In memory and per process (per app instance): with several workers an address may fail up to
workers x the limit before every worker refuses it. That still turns guessing a 256-bit token
into nothing, needs no shared store, and forgets everything on restart."""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable

from fastapi import FastAPI, Request

from app.config import Settings, get_settings
from app.errors import TooManyRequests

# Addresses remembered at most; past this, addresses with no failure in the window are dropped
# (a client rotating addresses must not grow the table without end).
MAX_ADDRESSES = 100_000


class FailedAuthLimiter:
    def __init__(
        self, *, limit: int, window: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}
        # Sync dependencies run on a thread pool: several threads may touch one address at once.
        self._lock = threading.Lock()

    def _recent(self, address: str, now: float) -> deque[float] | None:
        times = self._failures.get(address)
        if times is None:
            return None
        while times and times[0] <= now - self.window:
            times.popleft()
        if not times:
            del self._failures[address]
            return None
        return times

    def retry_after(self, address: str) -> int | None:
        """Seconds until `address` may try again, or None if it may try now."""
        with self._lock:
            now = self._clock()
            times = self._recent(address, now)
            if times is None or len(times) < self.limit:
                return None
            # Allowed again once enough failures have left the window.
            oldest_that_counts = times[len(times) - self.limit]
            return max(1, math.ceil(oldest_that_counts + self.window - now))

    def refuse_if_blocked(self, address: str, what: str) -> None:
        """429 with Retry-After for an address past its limit: "too many {what} from this
        address"."""
        wait = self.retry_after(address)
        if wait is not None:
            raise TooManyRequests(
                f"too many {what} from this address; retry in {wait} s",
                headers={"Retry-After": str(wait)},
            )

    def record_failure(self, address: str) -> None:
        with self._lock:
            now = self._clock()
            times = self._recent(address, now)
            if times is None:
                if len(self._failures) >= MAX_ADDRESSES:
                    self._sweep(now)
                times = self._failures.setdefault(address, deque())
            times.append(now)
            # Only the last `limit` failures ever matter.
            while len(times) > self.limit:
                times.popleft()

    def _sweep(self, now: float) -> None:
        for address in list(self._failures):
            self._recent(address, now)
        while len(self._failures) >= MAX_ADDRESSES:
            # Still full of active addresses: forget the one that has been around longest.
            del self._failures[next(iter(self._failures))]


_create_lock = threading.Lock()


def limiter_for(app: FastAPI, settings: Settings) -> FailedAuthLimiter:
    """The app's limiter, made on first use (one per app, so test apps do not share one)."""
    limiter = getattr(app.state, "failed_auth_limiter", None)
    if limiter is None:
        with _create_lock:
            limiter = getattr(app.state, "failed_auth_limiter", None)
            if limiter is None:
                limiter = FailedAuthLimiter(
                    limit=settings.auth_failure_limit, window=settings.auth_failure_window
                )
                app.state.failed_auth_limiter = limiter
    assert isinstance(limiter, FailedAuthLimiter)
    return limiter


def guard(request: Request) -> tuple[FailedAuthLimiter, str]:
    """The limiter and the caller's address, after refusing (429) an address that failed too
    often. Checked before any secret is looked up: a blocked guesser learns nothing, right or
    wrong. The caller records its own failure with `limiter.record_failure(address)`."""
    limiter = limiter_for(request.app, get_settings())
    address = address_of(request)
    limiter.refuse_if_blocked(address, "failed sign-ins")
    return limiter, address


def address_of(request: Request) -> str:
    """The caller's address, as every limiter counts it."""
    return request.client.host if request.client else "unknown"
