"""The plate format and what a checkpoint concludes from a waybill and a truck."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from rules.transport import (
    NOT_APPROVED,
    NOT_REGISTERED,
    REVOKED,
    VehicleFacts,
    WaybillCheck,
    judge_waybill_check,
    normalize_plate,
    plate_problem,
    vehicle_refusal,
)


@pytest.mark.parametrize(
    "plate", ["鲁A12345", "鲁a·12345", "京B 6X7Y8", "粤BD12345", "苏E12345F", "鲁A1234挂"]
)
def test_real_plates_pass(plate: str) -> None:
    assert plate_problem(normalize_plate(plate)) is None


@pytest.mark.parametrize(
    "plate",
    ["", "AB12345", "鲁A1234", "鲁A123456", "鲁I12345", "鲁A12O45", "X鲁A12345", "鲁1A2345"],
)
def test_non_plates_are_refused(plate: str) -> None:
    assert plate_problem(normalize_plate(plate)) is not None


def test_vehicle_refusals() -> None:
    ok = VehicleFacts(registered=True, active=True, approved_distributor_codes=frozenset({"D1"}))
    assert vehicle_refusal(ok, destination_code="D1", registration_required=True) is None
    assert vehicle_refusal(ok, destination_code="D2", registration_required=False) == NOT_APPROVED
    gone = VehicleFacts(registered=True, active=False, approved_distributor_codes=frozenset({"D1"}))
    assert vehicle_refusal(gone, destination_code="D1", registration_required=False) == REVOKED
    unknown = VehicleFacts(registered=False)
    assert vehicle_refusal(unknown, destination_code="D1", registration_required=False) is None
    assert (
        vehicle_refusal(unknown, destination_code="D1", registration_required=True)
        == NOT_REGISTERED
    )


T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


def _judge(**kw: object) -> WaybillCheck:
    args: dict[str, object] = {
        "status": "active",
        "waybill_plate": "鲁A12345",
        "seen_plate": "鲁A·12345",
        "dispatched_at": T0,
        "expected_arrival": T0 + timedelta(hours=8),
        "at": T0 + timedelta(hours=2),
        "route_region_codes": ["370100", "370300"],
        "checkpoint_region_path": ["370300", "370000"],
        "grace": timedelta(hours=1),
    }
    args.update(kw)
    return judge_waybill_check(**args)  # type: ignore[arg-type]


def test_checkpoint_judgement() -> None:
    assert _judge().verdict == "ok"
    assert _judge(seen_plate="鲁A54321").verdict == "plate_mismatch"
    off = _judge(checkpoint_region_path=["371500", "370000"])
    assert off.verdict == "off_route"
    late = _judge(at=T0 + timedelta(hours=9, minutes=30))
    assert late.verdict == "outside_window"
    assert _judge(at=T0 + timedelta(hours=8, minutes=30)).verdict == "ok"
    done = _judge(status="delivered", seen_plate="鲁B1")
    assert done.findings == ("waybill_not_active", "plate_mismatch")
    assert _judge(checkpoint_region_path=None).on_route is None
