"""Public verifications as sightings (SPEC §2.13): weak signals for HQ, never a verdict.

A consumer's place is coarse (rounded to about 1 km, or a picked city) and people fly, so the
thresholds here are far looser than the inspectors' clone rule in `rules.verdicts`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rules.policy import Policy
from rules.verdicts import Sighting, distance_km
from rules.vocab import ConsumerSignalKind


@dataclass(frozen=True)
class SignalDecision:
    kind: ConsumerSignalKind
    rule: str
    policy_version: str
    detail: str


def impossible_consumer_travel(
    previous: Sequence[Sighting], current: Sighting, policy: Policy
) -> SignalDecision | None:
    """The same code verified in two places no one could travel between in the time: someone
    copied the code (a clone). Compared with every earlier placed sighting of the code."""
    rules = policy.consumers
    if not current.has_position:
        return None
    for before in previous:
        if not before.has_position:
            continue
        km = distance_km(before, current)
        if km <= rules.clone_min_distance_km:
            continue
        hours = abs((current.at - before.at).total_seconds()) / 3600
        if km > rules.clone_speed_kmh * hours:
            speed = f"{km / hours:.0f} km/h" if hours else "no time at all"
            return SignalDecision(
                ConsumerSignalKind.CLONE_SUSPECTED,
                "consumer_impossible_travel",
                policy.version,
                f"verified {km:.0f} km from the verification at {before.at.isoformat()} "
                f"({speed}, limit {rules.clone_speed_kmh} km/h)",
            )
    return None


def far_outside_territory(
    *,
    place_region_path: Sequence[str],
    territory_region_codes: frozenset[str],
    distance_to_territory_km: float | None,
    policy: Policy,
) -> SignalDecision | None:
    """A genuine code verified outside its authorized territory, further from it than the
    policy's margin (a coarse place near the border says nothing): suspected diversion.
    `place_region_path` is the place's region and its ancestors (empty when in no region);
    the distance is None when the territory has no boundary on file."""
    if set(place_region_path) & territory_region_codes:
        return None
    margin = policy.consumers.out_of_region_min_km
    if distance_to_territory_km is not None and distance_to_territory_km < margin:
        return None
    where = place_region_path[0] if place_region_path else "no known region"
    far = (
        f"{distance_to_territory_km:.0f} km outside"
        if distance_to_territory_km is not None
        else "outside"
    )
    return SignalDecision(
        ConsumerSignalKind.OUT_OF_REGION,
        "consumer_outside_territory",
        policy.version,
        f"verified in {where}, {far} its territory {', '.join(sorted(territory_region_codes))}",
    )
