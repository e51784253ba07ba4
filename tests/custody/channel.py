"""The channel below the distributor, driven through the real API: sub-customers registered,
cartons shipped and received, inspectors finding them where they do not belong."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import Api
from tests.violations.market import Market

JINAN, ZIBO, LIAOCHENG = "D-370100-1", "D-370300-1", "D-371500-1"
SIGNED = "2026-01-05T00:00:00+00:00"
EXE = str(Path(sys.executable).parent / "channelguard")


def at(minutes: int = 0) -> str:
    return (datetime.now(UTC) + timedelta(seconds=minutes)).isoformat()


def cli_user(database_url: str, username: str, role: str, *party: str) -> str:
    """`channelguard users create`, as an operator runs it; the token is the last line."""
    r = subprocess.run(
        [EXE, "users", "create", "--username", username, "--role", role, *party],
        env={**os.environ, "DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout.strip().splitlines()[-1]


@dataclass
class Channel:
    api: Api
    database_url: str
    _keys: count[int] = field(default_factory=lambda: count(1))
    market: Market = field(init=False)

    def __post_init__(self) -> None:
        self.market = Market(self.api)

    def sub_customer(
        self,
        code: str,
        *,
        region: str = "370100",
        distributor: str = JINAN,
        tier: str = "wholesale_2",
        by: str = "admin",
        **extra: Any,
    ) -> httpx.Response:
        body = {
            "code": code,
            "name": f"{code} 商行",
            "tier": tier,
            "region_code": region,
            "distributor_code": distributor,
            **extra,
        }
        return self.api.post(by, "/api/v1/sub-customers", json=body)

    def approved(self, code: str, **kw: Any) -> str:
        r = self.sub_customer(code, agreement_signed_at=SIGNED, **kw)
        assert r.status_code == 201, r.text
        return code

    def login(self, code: str) -> str:
        """A sub_customer user bound to `code`, created with the CLI."""
        username = f"u-{code.lower()}-{uuid.uuid4().hex[:6]}"
        self.api.tokens[username] = cli_user(
            self.database_url, username, "sub_customer", "--sub-customer", code
        )
        return username

    def hand_off(
        self, direction: str, user: str, *items: dict[str, Any], key: str | None = None
    ) -> httpx.Response:
        key = key or f"k-{next(self._keys)}-{uuid.uuid4().hex[:6]}"
        return self.api.client.post(
            f"/api/v1/custody/{direction}",
            json={"items": list(items)},
            headers={**self.api.as_(user), "Idempotency-Key": key},
        )

    def ship(self, user: str, payload: str, to: str, **extra: Any) -> dict[str, Any]:
        r = self.hand_off(
            "ship", user, {"payload": payload, "to_party_code": to, "at": at(), **extra}
        )
        assert r.status_code == 200, r.text
        result: dict[str, Any] = r.json()["results"][0]
        return result

    def receive(self, user: str, payload: str, **extra: Any) -> dict[str, Any]:
        r = self.hand_off("receive", user, {"payload": payload, "at": at(1), **extra})
        assert r.status_code == 200, r.text
        result: dict[str, Any] = r.json()["results"][0]
        return result

    def carton(self, serial: str) -> dict[str, Any]:
        r = self.api.get("admin", f"/api/v1/cartons/{serial}")
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body
