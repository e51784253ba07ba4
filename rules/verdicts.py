"""The verdict engine: SPEC §4 rules over plain facts, first rule that decides wins."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Literal, NamedTuple

from rules.policy import MissingTierFloor, Policy
from rules.vocab import Tier, Verdict

CodeStatus = Literal["unreadable", "forged", "unknown", "valid"]
Fact = str | int | float | tuple[str, ...] | None


class Finding(StrEnum):
    """Raised independently of the verdict."""

    PRICE_VIOLATION = "price_violation"


def _require_aware(name: str, value: datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")


@dataclass(frozen=True)
class Sighting:
    """Where and when a code was seen; a position may be unknown."""

    at: datetime
    lat: float | None = None
    lon: float | None = None

    def __post_init__(self) -> None:
        _require_aware("at", self.at)
        if (self.lat is None) != (self.lon is None):
            raise ValueError("lat and lon go together")
        if self.lat is not None and not -90 <= self.lat <= 90:
            raise ValueError(f"lat out of range: {self.lat}")
        if self.lon is not None and not -180 <= self.lon <= 180:
            raise ValueError(f"lon out of range: {self.lon}")

    @property
    def has_position(self) -> bool:
        """Whether lat and lon are known."""
        return self.lat is not None


@dataclass(frozen=True)
class WaybillFacts:
    """A controlled waybill the carton travels on."""

    number: str
    route_region_codes: tuple[str, ...]
    dispatched_at: datetime
    expected_arrival: datetime
    active: bool = True

    def __post_init__(self) -> None:
        _require_aware("dispatched_at", self.dispatched_at)
        _require_aware("expected_arrival", self.expected_arrival)
        if self.expected_arrival < self.dispatched_at:
            raise ValueError(f"waybill {self.number}: expected_arrival before dispatched_at")


@dataclass(frozen=True)
class ScanFacts:
    """Everything the verdict depends on, gathered by the caller."""

    code_status: CodeStatus
    scanned: Sighting
    scan_region_path: tuple[str, ...]
    """The scan's region and its ancestors, nearest first."""
    territory_region_codes: frozenset[str] = frozenset()
    """Roots of the carton's authorized territory; everything inside them is allowed."""
    voided: bool = False
    previous: Sighting | None = None
    """The carton's latest earlier scan with a position, if any."""
    active_waybills: tuple[WaybillFacts, ...] = ()
    observed_unit_price_fen: int | None = None
    floor_unit_price_fen: int | None = None

    def __post_init__(self) -> None:
        if not self.scan_region_path:
            raise ValueError("scan_region_path must name at least the scan's own region")


@dataclass(frozen=True)
class Decision:
    """A verdict with the rule that decided it and the policy version it used."""

    verdict: Verdict
    rule: str
    policy_version: str
    findings: tuple[Finding, ...]
    detail: str
    facts: Mapping[str, Fact] = field(default_factory=dict)
    """The numbers and region codes behind the verdict, for pages to say it in words."""


class Outcome(NamedTuple):
    """What a rule returns when it decides."""

    verdict: Verdict
    detail: str
    facts: Mapping[str, Fact] | None = None


Rule = Callable[[ScanFacts, Policy], Outcome | None]


EARTH_MEAN_RADIUS_KM = 6371.0088
"""IUGG mean Earth radius."""


def distance_km(a: Sighting, b: Sighting) -> float:
    """Great-circle (haversine) distance between two positioned sightings."""
    # A sphere is within 0.5 % of the ellipsoid, noise against a speed threshold, and 150x
    # cheaper than an exact geodesic (about 1 us against 120 us per scan).
    if a.lat is None or a.lon is None or b.lat is None or b.lon is None:
        raise ValueError("both sightings need a position")
    lat1, lat2 = math.radians(a.lat), math.radians(b.lat)
    half_dlat = (lat2 - lat1) / 2
    half_dlon = math.radians(b.lon - a.lon) / 2
    h = math.sin(half_dlat) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(half_dlon) ** 2
    return 2 * EARTH_MEAN_RADIUS_KM * math.asin(math.sqrt(min(1.0, h)))


def unreadable_code(facts: ScanFacts, policy: Policy) -> Outcome | None:
    """The payload is not a code the service understands."""
    if facts.code_status == "unreadable":
        return Outcome(Verdict.UNREADABLE, "payload is not a recognizable carton code")
    return None


def forged_signature(facts: ScanFacts, policy: Policy) -> Outcome | None:
    """The code's signature does not verify."""
    if facts.code_status == "forged":
        return Outcome(Verdict.FORGED, "signature does not verify")
    return None


def unknown_code(facts: ScanFacts, policy: Policy) -> Outcome | None:
    """Well-formed but signed by an unknown key, or never issued."""
    if facts.code_status == "unknown":
        return Outcome(Verdict.UNKNOWN, "unknown signing key or code never issued")
    return None


def voided_code(facts: ScanFacts, policy: Policy) -> Outcome | None:
    """The code was voided (destroyed, returned)."""
    if facts.voided:
        return Outcome(Verdict.VOIDED, "code was voided")
    return None


def impossible_travel(facts: ScanFacts, policy: Policy) -> Outcome | None:
    """The code was seen elsewhere too recently for any truck to have carried it here."""
    previous, current = facts.previous, facts.scanned
    if previous is None or not previous.has_position or not current.has_position:
        return None  # without two positions there is nothing to judge
    km = distance_km(previous, current)
    if km <= policy.verdicts.clone_min_distance_km:
        return None
    elapsed = abs(current.at - previous.at)
    hours = elapsed / timedelta(hours=1)
    limit = policy.verdicts.clone_speed_kmh
    # Compare distance with reach rather than dividing: zero elapsed time needs no special case.
    if km <= limit * hours:
        return None
    speed = f"{km / hours:.0f} km/h" if hours else "no time at all"
    return Outcome(
        Verdict.CLONED,
        f"{km:.1f} km from the sighting at {previous.at.isoformat()} in {elapsed} "
        f"({speed}, limit {limit} km/h)",
        {
            "distance_km": round(km, 1),
            "minutes": round(elapsed / timedelta(minutes=1), 1),
            "speed_kmh": round(km / hours) if hours else None,
            "limit_kmh": limit,
            "previous_at": previous.at.isoformat(),
        },
    )


def inside_territory(facts: ScanFacts, policy: Policy) -> Outcome | None:
    """The scan's region lies inside the carton's authorized territory."""
    for code in facts.scan_region_path:
        if code in facts.territory_region_codes:
            return Outcome(
                Verdict.IN_REGION,
                f"scan region lies inside territory {code}",
                {"territory_code": code},
            )
    return None


def covered_by_waybill(facts: ScanFacts, policy: Policy) -> Outcome | None:
    """Outside the territory, but an active waybill's route and time window cover the scan."""
    grace = timedelta(hours=policy.verdicts.transit_grace_hours)
    at = facts.scanned.at
    for waybill in facts.active_waybills:
        if not waybill.active:
            continue
        covered = [code for code in facts.scan_region_path if code in waybill.route_region_codes]
        if covered and waybill.dispatched_at <= at <= waybill.expected_arrival + grace:
            return Outcome(
                Verdict.IN_TRANSIT,
                f"on waybill {waybill.number}, route covers {covered[0]}, window "
                f"{waybill.dispatched_at.isoformat()} to {waybill.expected_arrival.isoformat()}"
                f" + {policy.verdicts.transit_grace_hours} h grace",
                {
                    "waybill_number": waybill.number,
                    "route_region_code": covered[0],
                    "expected_arrival": waybill.expected_arrival.isoformat(),
                    "grace_hours": policy.verdicts.transit_grace_hours,
                },
            )
    return None


def outside_territory(facts: ScanFacts, policy: Policy) -> Outcome | None:
    """Outside the territory with no covering waybill: a diversion."""
    territory = ", ".join(sorted(facts.territory_region_codes)) or "none"
    return Outcome(
        Verdict.DIVERSION,
        f"scan region {facts.scan_region_path[0]} is outside territory {territory}"
        " and no active waybill covers it",
        {
            "territory_codes": tuple(sorted(facts.territory_region_codes)),
            "waybills_checked": len(facts.active_waybills),
        },
    )


VERDICT_RULES: tuple[Rule, ...] = (
    unreadable_code,
    forged_signature,
    unknown_code,
    voided_code,
    impossible_travel,
    inside_territory,
    covered_by_waybill,
    outside_territory,
)
"""SPEC §4 order; the last rule always decides."""


def below_floor(*, observed_fen: int, floor_fen: int, policy: Policy) -> bool:
    """Whether an observed unit price undercuts the floor by more than the tolerance."""
    # observed < floor * (1 - tolerance), kept in integers.
    return observed_fen * 10_000 < floor_fen * (10_000 - policy.prices.tolerance_bp)


def price_findings(facts: ScanFacts, policy: Policy) -> tuple[Finding, ...]:
    """Findings raised whatever the verdict, for codes that are really ours."""
    if facts.code_status != "valid":
        return ()
    observed, floor = facts.observed_unit_price_fen, facts.floor_unit_price_fen
    if observed is None or floor is None:
        return ()
    if below_floor(observed_fen=observed, floor_fen=floor, policy=policy):
        return (Finding.PRICE_VIOLATION,)
    return ()


def price_floor_for(
    *, tier: Tier | str, floors_fen: Mapping[str, int], policy: Policy
) -> int | None:
    """The unit price floor for a buyer's tier, per the policy's missing-tier handling."""
    tier = Tier(tier)
    if tier.value in floors_fen:
        return floors_fen[tier.value]
    if policy.prices.missing_tier_floor is MissingTierFloor.NONE:
        return None
    # Prices rise down the channel, so an upstream tier's floor is a safe lower bound.
    upstream = list(Tier)[: list(Tier).index(tier)]
    for candidate in reversed(upstream):
        if candidate.value in floors_fen:
            return floors_fen[candidate.value]
    return None


def evaluate(facts: ScanFacts, policy: Policy) -> Decision:
    """Apply the verdict rules in their declared order; the first that decides wins."""
    findings = price_findings(facts, policy)
    for rule in VERDICT_RULES:
        outcome = rule(facts, policy)
        if outcome is not None:
            return Decision(
                verdict=outcome.verdict,
                rule=rule.__name__,
                policy_version=policy.version,
                findings=findings,
                detail=outcome.detail,
                facts=dict(outcome.facts or {}),
            )
    raise AssertionError("outside_territory always decides")  # pragma: no cover
