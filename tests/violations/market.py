"""A market on top of the demo, driven through the real API: codes issued for a region, waybills
delivered to distributors, inspectors scanning cartons at checkpoints."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import count
from typing import Any

from app import db
from app.auth import service as auth
from app.models import Role
from tests.conftest import Api

LAGER = "06901234560015"
"""青岛风格淡爽啤酒 500ml×12, carton value 48.00 CNY."""


def now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Market:
    api: Api
    _numbers: count[int] = field(default_factory=lambda: count(1))

    def issue(self, region: str, n: int) -> list[str]:
        r = self.api.post(
            "admin",
            "/api/v1/code-batches",
            json={"gtin": LAGER, "region_code": region, "quantity": n},
        )
        assert r.status_code == 201, r.text
        return [c["payload"] for c in r.json()["codes"]]

    def deliver(
        self, distributor: str, salesperson: str, payloads: list[str], route: list[str]
    ) -> str:
        number = f"WB-{next(self._numbers)}"
        r = self.api.post(
            "admin",
            "/api/v1/waybills",
            json={
                "number": number,
                "vehicle_plate": "鲁A12345",
                "dispatched_at": (now() - timedelta(days=2)).isoformat(),
                "expected_arrival": (now() - timedelta(days=1)).isoformat(),
                "destination_distributor_code": distributor,
                "route_region_codes": route,
                "issuer": "物流部 王",
                "salesperson_code": salesperson,
                "carton_payloads": payloads,
            },
        )
        assert r.status_code == 201, r.text
        r = self.api.post("admin", f"/api/v1/waybills/{number}/deliver")
        assert r.status_code == 200, r.text
        return number

    def stock(self, distributor: str, salesperson: str, region: str, n: int) -> list[str]:
        """n cartons coded for `region` and delivered to `distributor`."""
        payloads = self.issue(region, n)
        self.deliver(distributor, salesperson, payloads, [region])
        return payloads

    def scan(self, payload: str, checkpoint: str, **extra: Any) -> dict[str, Any]:
        item = {"payload": payload, "checkpoint_code": checkpoint, "scanned_at": now().isoformat()}
        r = self.api.post("inspector", "/api/v1/scans", json={"scans": [{**item, **extra}]})
        assert r.status_code == 200, r.text
        result: dict[str, Any] = r.json()["results"][0]
        return result

    def divert(self, payload: str, checkpoint: str) -> int:
        """Scan a carton where it does not belong; the violation it opened or joined."""
        result = self.scan(payload, checkpoint)
        assert result["verdict"] == "diversion", result
        violation_id: int = result["violation_id"]
        return violation_id

    def balances(self, user: str = "auditor", period: str | None = None) -> dict[str, str]:
        params = {"period": period} if period else {}
        r = self.api.get(user, "/api/v1/ledger/balances", params=params)
        assert r.status_code == 200, r.text
        return {i["party_code"]: i["credited_sales"] for i in r.json()["items"]}

    def moved(self, before: dict[str, str], user: str = "auditor") -> dict[str, str]:
        """How credited sales changed since `before` (parties whose balance moved)."""
        after = self.balances(user)
        out = {}
        for party in before.keys() | after.keys():
            diff = Decimal(after.get(party, "0")) - Decimal(before.get(party, "0"))
            if diff:
                out[party] = f"{diff:.2f}"
        return out

    def violation(self, violation_id: int, user: str = "auditor") -> dict[str, Any]:
        r = self.api.get(user, f"/api/v1/violations/{violation_id}")
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body

    def user(
        self,
        username: str,
        role: Role,
        *,
        distributor: str | None = None,
        salesperson: str | None = None,
    ) -> str:
        """A new user; its token is added to the API client's tokens."""
        with db.get_sessionmaker()() as s, s.begin():
            _u, token = auth.create_user(
                s,
                username=username,
                role=role,
                distributor_code=distributor,
                salesperson_code=salesperson,
                actor="test",
            )
        self.api.tokens[username] = token
        return username
