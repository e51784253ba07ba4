"""Issuing carton and item codes and packing them, over the API, for the consumer tests."""

from __future__ import annotations

from typing import Any

from tests.conftest import Api

LAGER = "06901234560015"
DRAFT = "06901234560022"


def issue(
    api: Api, n: int, *, level: str = "carton", region: str = "370100", gtin: str = LAGER
) -> list[dict[str, Any]]:
    r = api.post(
        "admin",
        "/api/v1/code-batches",
        json={"gtin": gtin, "region_code": region, "quantity": n, "level": level},
    )
    assert r.status_code == 201, r.text
    assert r.json()["level"] == level
    codes: list[dict[str, Any]] = r.json()["codes"]
    return codes


def pack(api: Api, carton: str, items: list[str], user: str = "admin") -> Any:
    return api.post(user, f"/api/v1/cartons/{carton}/items", json={"payloads": items})


def path_of(payload: str) -> str:
    """The Digital Link URI's path and query, as a phone's browser requests it."""
    return "/" + payload.split("://", 1)[1].split("/", 1)[1]


JSON = {"Accept": "application/json"}
