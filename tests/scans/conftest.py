"""A small world on top of the demo: Jinan cartons delivered to Jinan's leading distributor,
cartons on a waybill to Qingdao through Zibo and Weifang, and helpers to scan them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.conftest import Api

LAGER = "06901234560015"
T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


def iso(t: datetime) -> str:
    return t.isoformat()


@dataclass
class World:
    api: Api
    jinan: list[dict[str, Any]]
    """Ten cartons coded for Jinan; 0-5 delivered to D-370100-1 on waybill WB-JN."""
    to_qingdao: list[dict[str, Any]]
    """Four cartons coded for Jinan, on active waybill WB-QD to D-370200-1 via Zibo and Weifang."""

    def scan(
        self, *items: dict[str, Any], key: str | None = None, user: str = "inspector"
    ) -> httpx.Response:
        headers = {"Idempotency-Key": key} if key else {}
        return self.api.client.post(
            "/api/v1/scans",
            json={"scans": list(items)},
            headers={**self.api.as_(user), **headers},
        )

    def one(self, payload: str, where: str | None, at: datetime, **extra: Any) -> dict[str, Any]:
        item: dict[str, Any] = {"payload": payload, "scanned_at": iso(at), **extra}
        if where:
            item["checkpoint_code"] = where
        r = self.scan(item)
        assert r.status_code == 200, r.text
        result: dict[str, Any] = r.json()["results"][0]
        return result

    def scans_of(self, carton: dict[str, Any]) -> list[dict[str, Any]]:
        """The scans the server stored of `carton`, as the auditor sees them."""
        scans: list[dict[str, Any]] = self.api.get(
            "auditor", f"/api/v1/cartons/{carton['serial']}"
        ).json()["scans"]
        return scans

    def ship_the_spare(self, number: str, plate: str, *, to: str, route: list[str]) -> None:
        """The tenth Jinan carton, never shipped, on a new waybill dispatched at T0 and due five
        hours later."""
        dispatch(
            self.api,
            number,
            plate,
            dispatched=T0,
            expected=T0 + timedelta(hours=5),
            to=to,
            route=route,
            salesperson="SP-370200",
            cartons=[self.jinan[9]["payload"]],
            issuer="x",
        )


def issue(api: Api, region: str, n: int) -> list[dict[str, Any]]:
    r = api.post(
        "admin", "/api/v1/code-batches", json={"gtin": LAGER, "region_code": region, "quantity": n}
    )
    assert r.status_code == 201, r.text
    codes: list[dict[str, Any]] = r.json()["codes"]
    return codes


def dispatch(
    api: Api,
    number: str,
    plate: str,
    *,
    dispatched: datetime,
    expected: datetime,
    to: str,
    route: list[str],
    salesperson: str,
    cartons: list[str],
    issuer: str = "物流部 王",
) -> None:
    """Waybill `number` on truck `plate`, from `dispatched` to `to` by way of `route`."""
    r = api.post(
        "admin",
        "/api/v1/waybills",
        json={
            "number": number,
            "vehicle_plate": plate,
            "dispatched_at": iso(dispatched),
            "expected_arrival": iso(expected),
            "destination_distributor_code": to,
            "route_region_codes": route,
            "issuer": issuer,
            "salesperson_code": salesperson,
            "carton_payloads": cartons,
        },
    )
    assert r.status_code == 201, r.text


@pytest.fixture
def world(api: Api) -> World:
    jinan = issue(api, "370100", 10)
    dispatch(
        api,
        "WB-JN",
        "鲁A12345",
        dispatched=T0 - timedelta(days=3),
        expected=T0 - timedelta(days=2),
        to="D-370100-1",
        route=["370100"],
        salesperson="SP-370100",
        cartons=[c["payload"] for c in jinan[:6]],
    )
    assert api.post("admin", "/api/v1/waybills/WB-JN/deliver").status_code == 200
    to_qd = issue(api, "370100", 4)
    dispatch(
        api,
        "WB-QD",
        "鲁B88888",
        dispatched=T0 - timedelta(hours=2),
        expected=T0 + timedelta(hours=10),
        to="D-370200-1",
        route=["370100", "370300", "370700", "370200"],
        salesperson="SP-370200",
        cartons=[c["element_string"] for c in to_qd],
    )
    return World(api, jinan, to_qd)
