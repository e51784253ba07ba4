"""The map of a case: the regions' own boundaries and the numbered scan points."""

from __future__ import annotations

from typing import Any

from app.codes.labels import cjk_font
from app.violations.dossier.facts import DossierData

MAP_W, MAP_H = 170.0, 95.0  # mm


def case_map(data: DossierData) -> Any:
    """The regions' boundaries and the numbered scan points, projected on the spot (longitude
    scaled by the cosine of the mean latitude): no tile server, nothing fetched."""
    import math

    from reportlab.graphics.shapes import Circle, Drawing, Group, Polygon, Rect, String
    from reportlab.lib import colors
    from reportlab.lib.units import mm
    from shapely.geometry import shape

    shapes = []
    for code, name, boundary in data.regions:
        try:
            geom = shape(boundary)
        except (ValueError, TypeError, KeyError, AttributeError):
            continue
        if not geom.is_empty:
            shapes.append((code, name, geom.simplify(0.005, preserve_topology=True)))
    points = [s for s in data.scans if s.lat is not None and s.lon is not None]
    if not shapes and not points:
        return None
    xs: list[float] = [p.lon for p in points if p.lon is not None]
    ys: list[float] = [p.lat for p in points if p.lat is not None]
    for _, _, g in shapes:
        x0, y0, x1, y1 = g.bounds
        xs += [x0, x1]
        ys += [y0, y1]
    lon0, lon1, lat0, lat1 = min(xs), max(xs), min(ys), max(ys)
    kx = math.cos(math.radians((lat0 + lat1) / 2))
    w, h = MAP_W * mm, MAP_H * mm
    pad = 6 * mm
    span_x, span_y = max((lon1 - lon0) * kx, 1e-3), max(lat1 - lat0, 1e-3)
    scale = min((w - 2 * pad) / span_x, (h - 2 * pad) / span_y)
    ox = (w - span_x * scale) / 2
    oy = (h - span_y * scale) / 2

    def xy(lon: float, lat: float) -> tuple[float, float]:
        return ox + (lon - lon0) * kx * scale, oy + (lat - lat0) * scale

    d = Drawing(w, h)
    d.initialFontName = cjk_font()  # else the renderer's default, Helvetica, is referenced
    d.add(Rect(0, 0, w, h, fillColor=colors.HexColor("#f7f9fb"), strokeColor=colors.grey))
    fills = ["#dbe8f5", "#f5e6d3", "#dff0e0", "#efe0f3", "#f3f0d6", "#e0eef0"]
    case_region = data.violation.region_code
    labels = []
    for i, (code, name, g) in enumerate(shapes):
        polys = list(getattr(g, "geoms", [g]))
        fill = colors.HexColor("#f8d4d0" if code == case_region else fills[i % len(fills)])
        group = Group()
        for poly in polys:
            ring = getattr(poly, "exterior", None)
            if ring is None:
                continue
            pts: list[float] = []
            for lon, lat in ring.coords:
                pts += xy(lon, lat)
            group.add(
                Polygon(
                    pts, fillColor=fill, strokeColor=colors.HexColor("#6b7785"), strokeWidth=0.6
                )
            )
        d.add(group)
        c = g.representative_point()
        labels.append((xy(c.x, c.y), name))
    for (x, y), name in labels:
        d.add(
            String(
                x,
                y,
                name,
                fontName=cjk_font(),
                fontSize=8,
                textAnchor="middle",
                fillColor=colors.HexColor("#37414d"),
            )
        )
    for s in points:
        assert s.lon is not None
        assert s.lat is not None
        x, y = xy(s.lon, s.lat)
        red = s.verdict == "diversion"
        d.add(
            Circle(
                x,
                y,
                3.2,
                fillColor=colors.HexColor("#c62828" if red else "#1565c0"),
                strokeColor=colors.white,
                strokeWidth=0.8,
            )
        )
        d.add(
            String(
                x + 4.5,
                y + 2.5,
                str(s.number),
                fontName=cjk_font(),
                fontSize=8,
                fillColor=colors.HexColor("#c62828" if red else "#1565c0"),
            )
        )
    return d
