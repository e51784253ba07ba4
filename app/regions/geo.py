"""Region boundaries: GeoJSON validated with shapely."""

from __future__ import annotations

from typing import Any

from shapely.geometry import shape
from shapely.validation import explain_validity


def validate_boundary(value: dict[str, Any]) -> dict[str, Any]:
    """Accept a valid GeoJSON Polygon or MultiPolygon in (lon, lat) order; say why otherwise."""
    kind = value.get("type")
    if kind not in ("Polygon", "MultiPolygon"):
        raise ValueError("boundary must be a GeoJSON Polygon or MultiPolygon")
    try:
        geom = shape(value)
    except Exception as exc:  # shapely raises several types for malformed coordinates
        raise ValueError(f"boundary coordinates are malformed: {exc}") from exc
    if geom.is_empty:
        raise ValueError("boundary is empty")
    if not geom.is_valid:
        raise ValueError(f"boundary is not a valid polygon: {explain_validity(geom)}")
    minx, miny, maxx, maxy = geom.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise ValueError("boundary coordinates must be longitude, latitude in degrees")
    return value
