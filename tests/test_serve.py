"""Master-data contract calls over real HTTP against a running `channelguard serve`."""

from __future__ import annotations

import httpx

from tests.conftest import LiveServer


def test_health_and_openapi_need_no_token(live_server: LiveServer) -> None:
    assert httpx.get(f"{live_server.base_url}/healthz").json() == {"status": "ok"}
    schema = httpx.get(f"{live_server.base_url}/openapi.json").json()
    for path in (
        "/api/v1/regions",
        "/api/v1/salespeople",
        "/api/v1/distributors",
        "/api/v1/products",
        "/api/v1/checkpoints",
        "/api/v1/audit-log/verify",
    ):
        assert path in schema["paths"]


def test_master_data_round_trip_over_http(live_server: LiveServer) -> None:
    admin = httpx.Client(
        base_url=live_server.base_url,
        headers={"Authorization": f"Bearer {live_server.tokens['admin']}"},
    )
    calls = [
        (
            "/api/v1/regions",
            {"code": "E2E-R", "name": "测试区", "kind": "guerrilla", "parent_code": "370000"},
        ),
        ("/api/v1/salespeople", {"code": "E2E-S", "name": "测试员", "region_code": "E2E-R"}),
        (
            "/api/v1/distributors",
            {
                "code": "E2E-D",
                "name": "测试商行",
                "tier": "retail",
                "region_codes": ["E2E-R"],
                "salesperson_code": "E2E-S",
                "agreement_signed_at": "2026-02-01T00:00:00+08:00",
            },
        ),
        (
            "/api/v1/products",
            {
                "gtin": "96385074",
                "name": "测试啤酒",
                "units_per_carton": 6,
                "carton_value": "30.00",
                "price_floors": {"retail": "5.50"},
            },
        ),
        (
            "/api/v1/checkpoints",
            {"code": "E2E-C", "name": "测试站", "region_code": "E2E-R", "lat": 36.1, "lon": 117.2},
        ),
    ]
    for path, body in calls:
        r = admin.post(path, json=body)
        assert r.status_code == 201, (path, r.text)
        key = body.get("code") or "00000096385074"
        assert admin.get(f"{path}/{key}").json()["name"] == body["name"]
        assert admin.post(path, json=body).status_code == 409
    dist = admin.get("/api/v1/distributors/E2E-D").json()
    assert dist["agreement_signed_at"] == "2026-01-31T16:00:00Z"
    distributor = httpx.Client(
        base_url=live_server.base_url,
        headers={"Authorization": f"Bearer {live_server.tokens['jinan-distributor']}"},
    )
    assert distributor.get("/api/v1/distributors/E2E-D").status_code == 404
    assert (
        distributor.post(
            "/api/v1/regions", json={"code": "X", "name": "x", "kind": "guerrilla"}
        ).status_code
        == 403
    )
    verify = admin.get("/api/v1/audit-log/verify").json()
    assert verify["ok"] is True and verify["entries"] > 70


def test_oversized_body_is_413_before_it_is_read(live_server: LiveServer) -> None:
    r = httpx.post(
        f"{live_server.base_url}/api/v1/regions",
        content=b"x" * 21_000_000,
        headers={
            "Authorization": f"Bearer {live_server.tokens['admin']}",
            "content-type": "application/json",
        },
    )
    assert r.status_code == 413
    assert "larger than" in r.json()["detail"]
