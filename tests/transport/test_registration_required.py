"""With CG_VEHICLE_REGISTRATION=required, every waybill needs a registered, approved vehicle."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.config import get_settings
from tests.conftest import Api
from tests.scans.conftest import issue


def test_unregistered_plate_is_refused_when_registration_is_required(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CG_VEHICLE_REGISTRATION", "required")
    get_settings.cache_clear()
    t0 = datetime.now(UTC)
    body = {
        "number": "WB-REQ",
        "vehicle_plate": "鲁A99999",
        "dispatched_at": t0.isoformat(),
        "expected_arrival": (t0 + timedelta(hours=4)).isoformat(),
        "destination_distributor_code": "D-370100-1",
        "route_region_codes": ["370100"],
        "issuer": "物流部",
        "salesperson_code": "SP-370100",
        "carton_payloads": [c["payload"] for c in issue(api, "370100", 1)],
    }
    try:
        r = api.post("admin", "/api/v1/waybills", json=body)
        assert r.status_code == 409, r.text
        assert r.json()["detail"]["reason"] == "vehicle_not_registered"
        vehicle = {
            "plate": "鲁A99999",
            "owner": "济南物流",
            "driver_name": "李师傅",
            "driver_phone": "13700137000",
            "distributor_codes": ["D-370100-1"],
        }
        assert api.post("admin", "/api/v1/vehicles", json=vehicle).status_code == 201
        r = api.post("admin", "/api/v1/waybills", json=body)
        assert r.status_code == 201, r.text
    finally:
        monkeypatch.delenv("CG_VEHICLE_REGISTRATION")
        get_settings.cache_clear()
