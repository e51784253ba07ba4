"""Checks before a waybill is issued (预警, SPEC §2.11): is each carton's coded region inside the
destination distributor's territory? A carton coded for somewhere else is legal to ship (the
company may move stock), but it is how goods end up dumped across a border, so the issuer is
warned before the truck leaves. Pure functions over frozen facts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

INSIDE = "coded_inside_territory"
OUTSIDE = "coded_outside_territory"
NO_TERRITORY = "destination_without_territory"


@dataclass(frozen=True)
class CodedRegionCheck:
    warn: bool
    rule: str
    detail: str = ""


def check_coded_region(
    *, coded_region_path: Sequence[str], destination_territory: frozenset[str]
) -> CodedRegionCheck:
    """`coded_region_path` is the carton's coded region followed by its ancestors; it lies inside
    the territory when it or one of its ancestors is a region the destination holds. A carton
    coded for a wider region than the territory (a province for a city distributor) is not
    inside: its code would pass anywhere in that province."""
    if not destination_territory:
        return CodedRegionCheck(True, NO_TERRITORY, "the destination distributor holds no region")
    if any(code in destination_territory for code in coded_region_path):
        return CodedRegionCheck(False, INSIDE)
    coded = coded_region_path[0] if coded_region_path else "?"
    held = ", ".join(sorted(destination_territory))
    return CodedRegionCheck(
        True,
        OUTSIDE,
        f"coded for region {coded}, outside the destination's territory ({held})",
    )
