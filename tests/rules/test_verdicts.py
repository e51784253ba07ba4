"""The verdict engine: every verdict, their precedence, clone and transit edges, prices."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from rules.policy import Policy
from rules.verdicts import (
    VERDICT_RULES,
    Decision,
    Finding,
    ScanFacts,
    Sighting,
    WaybillFacts,
    distance_km,
    evaluate,
    price_floor_for,
)
from rules.vocab import Tier, Verdict
from tests.rules.conftest import PolicyFactory

T0 = datetime(2026, 11, 10, 8, 0, tzinfo=UTC)
JINAN = (36.6512, 117.1201)
BEIJING = (39.9042, 116.4074)
# Jinan-Beijing is about 364 km: 150 km/h needs about 2 h 26 min.
PATH_JINAN = ("SD-JINAN", "SD", "CN")
PATH_BEIJING = ("BJ", "CN")


@pytest.fixture
def strict_policy(make_policy: PolicyFactory) -> Policy:
    """Thresholds pinned here so the tests do not follow edits of the shipped file."""
    return make_policy(
        verdicts={"clone_speed_kmh": 150, "clone_min_distance_km": 5, "transit_grace_hours": 6},
        prices={"missing_tier_floor": "nearest_upstream", "tolerance_bp": 0},
    )


def at(lat_lon: tuple[float, float], when: datetime) -> Sighting:
    return Sighting(at=when, lat=lat_lon[0], lon=lat_lon[1])


def facts(**changes: Any) -> ScanFacts:
    """A valid carton sold into Shandong, scanned in Jinan at T0."""
    base = ScanFacts(
        code_status="valid",
        scanned=at(JINAN, T0),
        scan_region_path=PATH_JINAN,
        territory_region_codes=frozenset({"SD"}),
    )
    return dataclasses.replace(base, **changes)


def waybill(**changes: Any) -> WaybillFacts:
    base = WaybillFacts(
        number="WB-1",
        route_region_codes=("HB", "BJ"),
        dispatched_at=T0 - timedelta(hours=2),
        expected_arrival=T0 + timedelta(hours=4),
        active=True,
    )
    return dataclasses.replace(base, **changes)


# A Shandong carton scanned in Beijing, outside its territory.
OUTSIDE = {"scanned": at(BEIJING, T0), "scan_region_path": PATH_BEIJING}


@pytest.mark.parametrize(
    ("changes", "verdict", "rule"),
    [
        ({"code_status": "unreadable"}, Verdict.UNREADABLE, "unreadable_code"),
        ({"code_status": "forged"}, Verdict.FORGED, "forged_signature"),
        ({"code_status": "unknown"}, Verdict.UNKNOWN, "unknown_code"),
        ({"voided": True}, Verdict.VOIDED, "voided_code"),
        (
            {"previous": at(BEIJING, T0 - timedelta(minutes=30))},
            Verdict.CLONED,
            "impossible_travel",
        ),
        ({}, Verdict.IN_REGION, "inside_territory"),
        ({**OUTSIDE, "active_waybills": (waybill(),)}, Verdict.IN_TRANSIT, "covered_by_waybill"),
        (OUTSIDE, Verdict.DIVERSION, "outside_territory"),
    ],
)
def test_every_verdict_names_its_rule_and_policy_version(
    strict_policy: Policy, changes: dict[str, Any], verdict: Verdict, rule: str
) -> None:
    decision = evaluate(facts(**changes), strict_policy)
    assert decision.verdict is verdict
    assert decision.rule == rule
    assert decision.policy_version == strict_policy.version
    assert decision.detail


def test_rules_run_in_the_spec_order() -> None:
    assert [rule.__name__ for rule in VERDICT_RULES] == [
        "unreadable_code",
        "forged_signature",
        "unknown_code",
        "voided_code",
        "impossible_travel",
        "inside_territory",
        "covered_by_waybill",
        "outside_territory",
    ]


# Facts that would satisfy every later rule at once: voided, cloned, in territory and on a
# covering waybill; precedence alone decides.
EVERYTHING = {
    "voided": True,
    "previous": at(BEIJING, T0 - timedelta(minutes=10)),
    "active_waybills": (waybill(route_region_codes=("SD",)),),
}


@pytest.mark.parametrize(
    ("changes", "verdict"),
    [
        ({**EVERYTHING, "code_status": "unreadable"}, Verdict.UNREADABLE),
        ({**EVERYTHING, "code_status": "forged"}, Verdict.FORGED),
        ({**EVERYTHING, "code_status": "unknown"}, Verdict.UNKNOWN),
        (EVERYTHING, Verdict.VOIDED),
        ({**EVERYTHING, "voided": False}, Verdict.CLONED),
        ({**EVERYTHING, "voided": False, "previous": None}, Verdict.IN_REGION),
        (
            {
                **EVERYTHING,
                "voided": False,
                "previous": None,
                "territory_region_codes": frozenset({"JS"}),
            },
            Verdict.IN_TRANSIT,
        ),
    ],
)
def test_precedence(strict_policy: Policy, changes: dict[str, Any], verdict: Verdict) -> None:
    assert evaluate(facts(**changes), strict_policy).verdict is verdict


@pytest.mark.parametrize(
    ("a", "b", "km"),
    [
        (JINAN, BEIJING, 366.4),  # the WGS84 geodesic; the sphere is 0.6 km longer
        (JINAN, JINAN, 0.0),
        ((0.0, 0.0), (0.0, 1.0), 111.195),  # one degree along the equator
        ((0.0, 179.5), (0.0, -179.5), 111.195),  # across the date line, not around the world
        ((0.0, 0.0), (0.0, 180.0), 20015.1),  # antipodes: half the circumference
    ],
)
def test_great_circle_distance(a: tuple[float, float], b: tuple[float, float], km: float) -> None:
    assert distance_km(at(a, T0), at(b, T0)) == pytest.approx(km, abs=1.0)


def test_distance_needs_positions() -> None:
    with pytest.raises(ValueError, match="position"):
        distance_km(Sighting(at=T0), at(JINAN, T0))


def _travel_time_at(speed_kmh: float) -> timedelta:
    return timedelta(hours=distance_km(at(JINAN, T0), at(BEIJING, T0)) / speed_kmh)


@pytest.mark.parametrize(
    ("elapsed", "verdict"),
    [
        (_travel_time_at(150) * 1.01, Verdict.IN_REGION),  # a fast truck, possible
        (_travel_time_at(150) * 0.99, Verdict.CLONED),  # just faster than any truck
        (timedelta(0), Verdict.CLONED),  # two places at the same instant
        (-(_travel_time_at(150) * 0.5), Verdict.CLONED),  # earlier scan uploaded late
        (-(_travel_time_at(150) * 1.5), Verdict.IN_REGION),
    ],
)
def test_clone_speed_edges(strict_policy: Policy, elapsed: timedelta, verdict: Verdict) -> None:
    decision = evaluate(facts(previous=at(BEIJING, T0 - elapsed)), strict_policy)
    assert decision.verdict is verdict


def test_clone_detail_states_the_speed(strict_policy: Policy) -> None:
    decision = evaluate(facts(previous=at(BEIJING, T0 - timedelta(hours=1))), strict_policy)
    assert "km/h" in decision.detail
    assert "limit 150 km/h" in decision.detail


@pytest.mark.parametrize(
    ("offset_deg", "verdict"),
    [
        (0.0, Verdict.IN_REGION),  # same spot, same second: a double read, not a clone
        (0.03, Verdict.IN_REGION),  # about 3.3 km: within GPS and town tolerance
        (0.06, Verdict.CLONED),  # about 6.7 km in no time
    ],
)
def test_zero_elapsed_time_uses_the_distance_tolerance(
    strict_policy: Policy, offset_deg: float, verdict: Verdict
) -> None:
    previous = at((JINAN[0] + offset_deg, JINAN[1]), T0)
    assert evaluate(facts(previous=previous), strict_policy).verdict is verdict


@pytest.mark.parametrize(
    ("previous", "scanned"),
    [
        (Sighting(at=T0 - timedelta(minutes=1)), at(JINAN, T0)),
        (at(BEIJING, T0 - timedelta(minutes=1)), Sighting(at=T0)),
    ],
)
def test_no_position_means_no_clone_judgement(
    strict_policy: Policy, previous: Sighting, scanned: Sighting
) -> None:
    decision = evaluate(facts(previous=previous, scanned=scanned), strict_policy)
    assert decision.verdict is Verdict.IN_REGION


def test_clone_speed_comes_from_the_policy(make_policy: PolicyFactory) -> None:
    slow_limit = make_policy(verdicts={"clone_speed_kmh": 100})
    fast_limit = make_policy(verdicts={"clone_speed_kmh": 300})
    two_hours = facts(previous=at(BEIJING, T0 - timedelta(hours=2)))  # about 182 km/h
    assert evaluate(two_hours, slow_limit).verdict is Verdict.CLONED
    assert evaluate(two_hours, fast_limit).verdict is Verdict.IN_REGION


@pytest.mark.parametrize(
    ("path", "territory", "verdict"),
    [
        (("SD-JINAN", "SD", "CN"), {"SD"}, Verdict.IN_REGION),  # sold into the province
        (("SD-JINAN", "SD", "CN"), {"SD-JINAN"}, Verdict.IN_REGION),
        (("SD-QINGDAO", "SD", "CN"), {"SD-JINAN"}, Verdict.DIVERSION),  # a sibling city
        (("SD",), {"SD-JINAN"}, Verdict.DIVERSION),  # the parent is not inside the child
        (("SD-QINGDAO", "SD", "CN"), {"JS", "SD-QINGDAO"}, Verdict.IN_REGION),
    ],
)
def test_territory_is_hierarchy_aware(
    strict_policy: Policy, path: tuple[str, ...], territory: set[str], verdict: Verdict
) -> None:
    decision = evaluate(
        facts(scan_region_path=path, territory_region_codes=frozenset(territory)), strict_policy
    )
    assert decision.verdict is verdict


ARRIVAL = T0 + timedelta(hours=4)


@pytest.mark.parametrize(
    ("scanned_at", "verdict"),
    [
        (T0 - timedelta(hours=2), Verdict.IN_TRANSIT),  # the moment of dispatch
        (T0 - timedelta(hours=2, seconds=1), Verdict.DIVERSION),  # before the truck left
        (ARRIVAL, Verdict.IN_TRANSIT),
        (ARRIVAL + timedelta(hours=6), Verdict.IN_TRANSIT),  # last moment of the grace
        (ARRIVAL + timedelta(hours=6, seconds=1), Verdict.DIVERSION),
    ],
)
def test_transit_window_with_grace(
    strict_policy: Policy, scanned_at: datetime, verdict: Verdict
) -> None:
    scan = facts(
        scanned=at(BEIJING, scanned_at),
        scan_region_path=PATH_BEIJING,
        active_waybills=(waybill(),),
    )
    assert evaluate(scan, strict_policy).verdict is verdict


def test_transit_grace_comes_from_the_policy(make_policy: PolicyFactory) -> None:
    late = facts(
        scanned=at(BEIJING, ARRIVAL + timedelta(hours=3)),
        scan_region_path=PATH_BEIJING,
        active_waybills=(waybill(),),
    )
    assert evaluate(late, make_policy(verdicts={"transit_grace_hours": 2})).verdict is (
        Verdict.DIVERSION
    )
    assert evaluate(late, make_policy(verdicts={"transit_grace_hours": 3})).verdict is (
        Verdict.IN_TRANSIT
    )


def test_transit_window_compares_instants_across_time_zones(strict_policy: Policy) -> None:
    shanghai = timezone(timedelta(hours=8))
    scan = facts(
        scanned=at(BEIJING, (ARRIVAL + timedelta(hours=5)).astimezone(shanghai)),
        scan_region_path=PATH_BEIJING,
        active_waybills=(waybill(),),
    )
    assert evaluate(scan, strict_policy).verdict is Verdict.IN_TRANSIT


@pytest.mark.parametrize(
    ("bill", "path", "verdict"),
    [
        (waybill(active=False), PATH_BEIJING, Verdict.DIVERSION),
        (waybill(route_region_codes=("HB", "TJ")), PATH_BEIJING, Verdict.DIVERSION),
        # the route names the province; the scan is in one of its cities
        (waybill(route_region_codes=("JS",)), ("JS-NANJING", "JS", "CN"), Verdict.IN_TRANSIT),
    ],
)
def test_transit_needs_an_active_waybill_covering_the_scan_region(
    strict_policy: Policy, bill: WaybillFacts, path: tuple[str, ...], verdict: Verdict
) -> None:
    scan = facts(scanned=at(BEIJING, T0), scan_region_path=path, active_waybills=(bill,))
    assert evaluate(scan, strict_policy).verdict is verdict


def test_second_waybill_can_cover_when_the_first_does_not(strict_policy: Policy) -> None:
    bills = (waybill(number="WB-OLD", active=False), waybill(number="WB-2"))
    decision = evaluate(facts(**OUTSIDE, active_waybills=bills), strict_policy)
    assert decision.verdict is Verdict.IN_TRANSIT
    assert "WB-2" in decision.detail


@pytest.mark.parametrize(
    ("observed", "floor", "findings"),
    [
        (999, 1000, (Finding.PRICE_VIOLATION,)),
        (1000, 1000, ()),
        (1200, 1000, ()),
        (None, 1000, ()),
        (500, None, ()),
    ],
)
def test_price_finding_against_the_floor(
    strict_policy: Policy, observed: int | None, floor: int | None, findings: tuple[Finding, ...]
) -> None:
    scan = facts(observed_unit_price_fen=observed, floor_unit_price_fen=floor)
    decision = evaluate(scan, strict_policy)
    assert decision.verdict is Verdict.IN_REGION
    assert decision.findings == findings


@pytest.mark.parametrize(
    ("changes", "findings"),
    [
        ({"code_status": "unreadable"}, ()),
        ({"code_status": "forged"}, ()),
        ({"code_status": "unknown"}, ()),
        ({"voided": True}, (Finding.PRICE_VIOLATION,)),
        (OUTSIDE, (Finding.PRICE_VIOLATION,)),
    ],
)
def test_price_finding_is_independent_of_the_verdict_for_our_own_codes(
    strict_policy: Policy, changes: dict[str, Any], findings: tuple[Finding, ...]
) -> None:
    scan = facts(observed_unit_price_fen=800, floor_unit_price_fen=1000, **changes)
    assert evaluate(scan, strict_policy).findings == findings


def test_price_tolerance(make_policy: PolicyFactory) -> None:
    tolerant = make_policy(prices={"tolerance_bp": 500})  # 5 % under the floor is tolerated
    assert (
        evaluate(facts(observed_unit_price_fen=950, floor_unit_price_fen=1000), tolerant).findings
        == ()
    )
    assert evaluate(
        facts(observed_unit_price_fen=949, floor_unit_price_fen=1000), tolerant
    ).findings == (Finding.PRICE_VIOLATION,)


FLOORS = {"wholesale_1": 800, "terminal_wholesale": 1000}


@pytest.mark.parametrize(
    ("tier", "mode", "floor"),
    [
        (Tier.TERMINAL_WHOLESALE, "nearest_upstream", 1000),
        (Tier.RETAIL, "nearest_upstream", 1000),  # inherits terminal wholesale
        ("wholesale_2", "nearest_upstream", 800),  # skips to wholesale_1
        (Tier.RETAIL, "none", None),
        (Tier.WHOLESALE_1, "none", 800),
    ],
)
def test_price_floor_for_missing_tiers(
    make_policy: PolicyFactory, tier: Tier | str, mode: str, floor: int | None
) -> None:
    policy = make_policy(prices={"missing_tier_floor": mode})
    assert price_floor_for(tier=tier, floors_fen=FLOORS, policy=policy) == floor


def test_no_upstream_floor_means_no_floor(strict_policy: Policy) -> None:
    floors = {"retail": 1500}
    assert price_floor_for(tier="wholesale_1", floors_fen=floors, policy=strict_policy) is None


def test_changing_the_policy_does_not_change_a_past_decision(make_policy: PolicyFactory) -> None:
    old = make_policy(version="2026-11-01", verdicts={"clone_speed_kmh": 150})
    new = make_policy(version="2027-01-01", verdicts={"clone_speed_kmh": 1000})
    scan = facts(previous=at(BEIJING, T0 - timedelta(hours=1)))  # about 364 km/h

    past = evaluate(scan, old)
    snapshot = dataclasses.asdict(past)
    present = evaluate(scan, new)

    assert (past.verdict, past.policy_version) == (Verdict.CLONED, "2026-11-01")
    assert (present.verdict, present.policy_version) == (Verdict.IN_REGION, "2027-01-01")
    assert dataclasses.asdict(past) == snapshot
    assert evaluate(scan, old) == past  # replaying under the old version reproduces it
    with pytest.raises(dataclasses.FrozenInstanceError):
        past.verdict = Verdict.IN_REGION  # type: ignore[misc]


def test_decision_is_a_plain_value(strict_policy: Policy) -> None:
    decision = evaluate(facts(), strict_policy)
    assert isinstance(decision, Decision)
    assert decision.verdict == "in_region"  # serializes as the contract's string


@pytest.mark.parametrize(
    "build",
    [
        lambda: Sighting(at=datetime(2026, 11, 10, 8, 0)),  # naive on purpose
        lambda: Sighting(at=T0, lat=36.6),
        lambda: Sighting(at=T0, lat=91.0, lon=0.0),
        lambda: Sighting(at=T0, lat=0.0, lon=181.0),
        lambda: waybill(expected_arrival=T0 - timedelta(days=1)),
        lambda: waybill(dispatched_at=datetime(2026, 11, 10)),  # naive on purpose
        lambda: facts(scan_region_path=()),
    ],
)
def test_malformed_facts_are_refused(build: Any) -> None:
    with pytest.raises(ValueError, match=r"."):
        build()
