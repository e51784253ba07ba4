"""The PDF's building blocks: styles, tables, times in the business time zone, photos."""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path
from typing import Any

from app.codes.labels import cjk_font
from app.violations.dossier.facts import DossierData

PAGE_MARGIN = 16.0  # mm


def styles() -> dict[str, Any]:
    from reportlab.lib.styles import ParagraphStyle

    font = cjk_font()
    base = ParagraphStyle("base", fontName=font, fontSize=9, leading=13, wordWrap="CJK")
    return {
        "base": base,
        "small": ParagraphStyle("small", parent=base, fontSize=7, leading=9.5),
        "mono": ParagraphStyle("mono", parent=base, fontSize=6.5, leading=8.5),
        "title": ParagraphStyle("title", parent=base, fontSize=18, leading=24, spaceAfter=4),
        "h2": ParagraphStyle(
            "h2", parent=base, fontSize=12.5, leading=17, spaceBefore=10, spaceAfter=4
        ),
        "cell": ParagraphStyle("cell", parent=base, fontSize=8, leading=11),
    }


def esc(text: object) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def when(data: DossierData, at: datetime | None) -> str:
    if at is None:
        return "—"
    return at.astimezone(data.tz).strftime("%Y-%m-%d %H:%M:%S")


def table(rows: list[list[Any]], widths: list[float], st: dict[str, Any], header: bool) -> Any:
    from reportlab.lib import colors
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, Table, TableStyle

    cells = [
        [c if not isinstance(c, str) else Paragraph(esc(c), st["cell"]) for c in row]
        for row in rows
    ]
    t = Table(cells, colWidths=[w * mm for w in widths], repeatRows=1 if header else 0)
    style = [
        ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#b8bec7")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("FONTNAME", (0, 0), (-1, -1), cjk_font()),  # a cell's default font, even unused
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]
    if header:
        style.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8ecf2")))
    else:
        style.append(("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#f1f3f6")))
    t.setStyle(TableStyle(style))
    return t


def party(data: DossierData, code: str | None) -> str:
    if not code:
        return "—"
    name = data.names.get(code)
    return f"{name}({code})" if name else code


def photo(path: Path, max_w: float, max_h: float) -> Any:
    from PIL import Image as PILImage
    from reportlab.lib.units import mm
    from reportlab.platypus import Image

    try:
        with PILImage.open(path) as im:
            im.load()
            rgb = im.convert("RGB")
    except (OSError, ValueError):
        return None
    rgb.thumbnail((1400, 1400))  # scaled: the PDF carries a readable copy, not the original
    buf = io.BytesIO()
    rgb.save(buf, format="JPEG", quality=82)
    buf.seek(0)
    ratio = min(max_w * mm / rgb.width, max_h * mm / rgb.height)
    return Image(buf, width=rgb.width * ratio, height=rgb.height * ratio)
