"""Transport (运输手段, SPEC §2.6): registered vehicles (统一备案) and what a checkpoint concludes
when it scans a controlled waybill's QR and looks at the truck. Pure functions over facts."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
# Letters on plates skip I and O (they read as 1 and 0).
_L = "A-HJ-NP-Z"
PLATE_RE = re.compile(
    rf"^[{PROVINCES}][{_L}]"
    rf"(?:[{_L}0-9]{{4}}[{_L}0-9挂学警港澳]"  # ordinary: 5 characters, the last maybe a class
    rf"|[DF][{_L}0-9][0-9]{{4}}"  # new-energy small car: D/F then 5
    rf"|[0-9]{{5}}[DF])$"  # new-energy large vehicle: 5 digits then D/F
)
_SEPARATORS = re.compile(r"[\s·•・.\-]")


def normalize_plate(text: str) -> str:
    """A plate as people write it (`鲁A·12345`, `鲁a 12345`) in the one form the register keeps."""
    return _SEPARATORS.sub("", text).upper()


def plate_problem(plate: str) -> str | None:
    """Why `plate` (normalized) is not a Chinese motor-vehicle plate, or None when it is."""
    if not plate:
        return "empty plate"
    if plate[0] not in PROVINCES:
        return f"a plate starts with a province's character ({PROVINCES[:6]}…), not {plate[0]!r}"
    if not PLATE_RE.fullmatch(plate):
        return (
            "not a plate: province character, issuing-office letter, then 5 letters/digits "
            "(6 for a new-energy vehicle); I and O are not used"
        )
    return None


# Why a waybill may not be issued for a vehicle: the reason codes clients see in a 409.
NOT_REGISTERED = "vehicle_not_registered"
REVOKED = "vehicle_revoked"
NOT_APPROVED = "vehicle_not_approved_for_distributor"


@dataclass(frozen=True)
class VehicleFacts:
    registered: bool
    active: bool = False
    approved_distributor_codes: frozenset[str] = frozenset()


def vehicle_refusal(
    vehicle: VehicleFacts, *, destination_code: str, registration_required: bool
) -> str | None:
    """The reason a waybill to `destination_code` may not use this vehicle, or None. An
    unregistered plate passes unless registration is required (older clients send any plate)."""
    if not vehicle.registered:
        return NOT_REGISTERED if registration_required else None
    if not vehicle.active:
        return REVOKED
    if destination_code not in vehicle.approved_distributor_codes:
        return NOT_APPROVED
    return None


# What a checkpoint's look at a waybill concludes, worst first.
OK = "ok"
NOT_ACTIVE = "waybill_not_active"
PLATE_MISMATCH = "plate_mismatch"
OFF_ROUTE = "off_route"
OUTSIDE_WINDOW = "outside_window"


@dataclass(frozen=True)
class WaybillCheck:
    verdict: str
    plate_matches: bool
    within_window: bool
    on_route: bool | None
    """None when the check names no checkpoint (a roadside check by position only)."""
    findings: tuple[str, ...]


def judge_waybill_check(
    *,
    status: str,
    waybill_plate: str,
    seen_plate: str,
    dispatched_at: datetime,
    expected_arrival: datetime,
    at: datetime,
    route_region_codes: Sequence[str],
    checkpoint_region_path: Sequence[str] | None,
    grace: timedelta,
) -> WaybillCheck:
    """Does the truck in front of the inspector match the waybill it carries? The plate must be
    the waybill's, the time inside the waybill's window (with `grace` either side for traffic),
    and the checkpoint's region (or one of its ancestors) on the route."""
    plate_ok = normalize_plate(waybill_plate) == normalize_plate(seen_plate)
    window_ok = dispatched_at - grace <= at <= expected_arrival + grace
    on_route: bool | None = None
    if checkpoint_region_path is not None:
        on_route = any(code in route_region_codes for code in checkpoint_region_path)
    findings: list[str] = []
    if status != "active":
        findings.append(NOT_ACTIVE)
    if not plate_ok:
        findings.append(PLATE_MISMATCH)
    if on_route is False:
        findings.append(OFF_ROUTE)
    if not window_ok:
        findings.append(OUTSIDE_WINDOW)
    return WaybillCheck(
        verdict=findings[0] if findings else OK,
        plate_matches=plate_ok,
        within_window=window_ok,
        on_route=on_route,
        findings=tuple(findings),
    )
