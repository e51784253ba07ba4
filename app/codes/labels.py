"""Printable carton labels: QR (Digital Link), GS1-128 (element string), text and region mark.

Every label is drawn as vectors straight onto the PDF page (QR modules and bars as filled
rectangles), so no raster image is ever made and labels are consumed one at a time from the
iterable. Thermal: one 100x70 mm label a page. A4: four 200x70 mm labels a sheet, wide enough
for the GS1-128 of a full carton code (about 700 modules) to keep bars of 0.27 mm. On a 100 mm
label those bars would be 0.13 mm, too fine to print and read reliably, so the thermal label
carries the same element string as a GS1 DataMatrix instead.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import BinaryIO, Literal

import numpy as np
import zxingcpp
from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfdoc import PDFArray, PDFDictionary, PDFName, PDFStream
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

Layout = Literal["a4", "thermal", "item_qr", "item_datamatrix"]

# WenQuanYi Micro Hei (TrueType outlines) from the paperang-p2-fonts-cjk wheel. Embedded, and
# subset by reportlab to the characters used: a referenced-only CID font (STSong-Light) printed
# the region mark as empty boxes wherever the reader or print server had no such font.
CJK_FONT = "WenQuanYiMicroHei"
CJK_FONT_FILE = ("paperang_p2_fonts_cjk", "fonts/wqy-microhei.ttc")
LATIN_FONT = "Helvetica"

THERMAL_SIZE = (100 * mm, 70 * mm)
SHEET_LABEL_SIZE = (200 * mm, 70 * mm)
_SHEET_ROWS = 4
MARGIN = 2 * mm
FNC1 = "\xf1"  # how reportlab's Code128 spells FNC1
# reportlab's own floor for Code 128 bars (7.5 mil); finer bars blur on 300 dpi printers and
# in phone photos, so below it the label prints a GS1 DataMatrix instead.
MIN_BAR_WIDTH = 0.0075 * 25.4 * mm
BAR_HEIGHT = 13 * mm
QUIET_MODULES = 10
QR_MAX = 36 * mm
# Cap and bottle labels: one small label a page on a roll, the Digital Link as a QR code or a
# DataMatrix of 20 mm (modules of about 0.4 mm: what a phone camera reads at arm's length).
ITEM_SIZE = (22 * mm, 26 * mm)
ITEM_SYMBOL = 20 * mm


@dataclass(frozen=True, slots=True)
class LabelData:
    """What one carton label shows."""

    element_string: str
    """Human-readable element string, AIs in parentheses."""
    element_string_fnc1: str
    """Raw element string with GS (0x1D) after variable-length fields."""
    digital_link: str
    region_name: str
    """Region name for the mark 专供<region_name>地区销售."""
    product_name: str
    gtin: str
    serial: str
    region_colour: str | None = None
    """The region's label colour, "#RRGGBB" (商标颜色差异化): a band behind the region mark."""


@cache
def cjk_font() -> str:
    """Register the CJK font with reportlab once (about 0.1 s), on the first label drawn."""
    package, name = CJK_FONT_FILE
    path = files(package).joinpath(name)
    pdfmetrics.registerFont(TTFont(CJK_FONT, str(path), subfontIndex=0))
    return CJK_FONT


def region_mark(region_name: str) -> str:
    """The region mark printed on every carton."""
    return f"专供{region_name}地区销售"


def render_labels_pdf(labels: Iterable[LabelData], *, layout: Layout) -> bytes:
    """A PDF of the labels: one 100x70 mm page each (thermal) or four 200x70 mm per A4 sheet."""
    out = io.BytesIO()
    write_labels_pdf(labels, out, layout=layout)
    return out.getvalue()


def write_labels_pdf(labels: Iterable[LabelData], out: BinaryIO, *, layout: Layout) -> int:
    """Write the labels PDF to `out`, consuming `labels` lazily; returns the label count."""
    if layout in ("item_qr", "item_datamatrix"):
        return _write_item_labels(labels, out, datamatrix=layout == "item_datamatrix")
    page_size = A4 if layout == "a4" else THERMAL_SIZE
    label_w, label_h = SHEET_LABEL_SIZE if layout == "a4" else THERMAL_SIZE
    per_page = _SHEET_ROWS if layout == "a4" else 1
    # Centre the column of labels on the sheet.
    left = (page_size[0] - label_w) / 2
    top = page_size[1] - (page_size[1] - per_page * label_h) / 2
    canvas = Canvas(out, pagesize=page_size, pageCompression=1)
    canvas.setTitle("ChannelGuard carton labels")
    count = 0
    for label in labels:
        slot = count % per_page
        if count and slot == 0:
            canvas.showPage()
            _compress_last_page(canvas)
        canvas.saveState()
        canvas.translate(left, top - (slot + 1) * label_h)
        _draw_label(canvas, label, label_w, label_h)
        canvas.restoreState()
        count += 1
    if count == 0:
        canvas.setFont(LATIN_FONT, 10)
        canvas.drawString(MARGIN, page_size[1] / 2, "No labels.")
    canvas.showPage()
    canvas.save()
    return count


def _compress_last_page(canvas: Canvas) -> None:
    """Deflate the page just finished instead of at save(), when reportlab would.

    reportlab holds every page's content stream as text until the end; compressed now, a
    label costs about 4 KB of memory instead of 17 KB. This touches reportlab internals, so
    it steps aside (memory grows, output is the same) if they ever change shape.
    """
    pages = getattr(getattr(getattr(canvas, "_doc", None), "Pages", None), "pages", None)
    page = pages[-1] if pages else None
    content = getattr(page, "stream", None)
    if page is None or not isinstance(content, str) or getattr(page, "Contents", 1) is not None:
        return
    flate = PDFDictionary({"Filter": PDFArray([PDFName("FlateDecode")])})
    page.Contents = PDFStream(flate, zlib.compress(content.encode("latin-1")))
    page.stream = None


def _draw_label(canvas: Canvas, label: LabelData, width: float, height: float) -> None:
    inner = width - 2 * MARGIN
    top = height - MARGIN
    if label.region_colour:
        _draw_colour_band(canvas, label.region_colour, width, height, top - 19)
    _draw_fitted(canvas, region_mark(label.region_name), cjk_font(), 16, MARGIN, top - 15, inner)
    canvas.setFillColorRGB(0, 0, 0)
    _draw_fitted(canvas, label.product_name, cjk_font(), 9, MARGIN, top - 26, inner)
    _draw_fitted(canvas, label.element_string, LATIN_FONT, 7, MARGIN, MARGIN, inner)

    band_top = top - 30
    band_bottom = MARGIN + 9
    bars = _gs1_128_bars(label.element_string_fnc1)
    bar_width = inner / (len(bars) + 2 * QUIET_MODULES)
    fits = bar_width >= MIN_BAR_WIDTH
    if fits:
        x = MARGIN + QUIET_MODULES * bar_width
        _fill_modules(canvas, [bars], x, band_bottom + BAR_HEIGHT, bar_width, BAR_HEIGHT)
        band_bottom += BAR_HEIGHT + 2 * mm
    side = min(band_top - band_bottom, QR_MAX)
    _draw_qr(canvas, label.digital_link, MARGIN, band_top - side, side)

    text_x = MARGIN + side + 3 * mm
    lines = [f"GTIN {label.gtin}", f"SN {label.serial}"]
    canvas.setFont(LATIN_FONT, 8)
    for i, line in enumerate(lines):
        canvas.drawString(text_x, band_top - 8 - i * 10, line)
    if not fits:
        text_bottom = band_top - 8 - len(lines) * 10
        _draw_datamatrix(
            canvas,
            label.element_string,
            text_x,
            band_bottom,
            width - MARGIN - text_x,
            text_bottom - band_bottom,
        )


def _draw_colour_band(
    canvas: Canvas, colour: str, width: float, height: float, bottom: float
) -> None:
    """Fill the label's top edge, behind the region mark, with the region's colour, and set the
    mark's ink to whichever of black or white reads better on it. The band ends above the QR
    and the bars, so their quiet zones stay white."""
    fill = HexColor(colour)
    canvas.setFillColor(fill)
    canvas.rect(0, bottom, width, height - bottom, stroke=0, fill=1)
    # Relative luminance (sRGB weights): light colours get black text, dark ones white.
    light = 0.2126 * fill.red + 0.7152 * fill.green + 0.0722 * fill.blue > 0.5
    canvas.setFillColorRGB(*((0, 0, 0) if light else (1, 1, 1)))


def _draw_fitted(
    canvas: Canvas, text: str, font: str, size: float, x: float, y: float, width: float
) -> None:
    """Draw text on one line, shrinking the font so that it fits the width."""
    fitted = min(size, size * width / max(pdfmetrics.stringWidth(text, font, size), 1))
    canvas.setFont(font, fitted)
    canvas.drawString(x, y, text)


def _wrap(text: str, width: int) -> list[str]:
    return [text[i : i + width] for i in range(0, len(text), width)]


def _fill_modules(
    canvas: Canvas,
    rows: Iterable[Iterable[int]],
    x: float,
    top: float,
    module: float,
    row_height: float | None = None,
) -> None:
    """Fill the dark modules of a matrix (rows of 0/1) as one path of rectangles.

    Drawn in module units, so the page holds short integers ("3 7 5 1 re") rather than
    floats: reportlab keeps every page's content until it saves, and this keeps it small.
    """
    canvas.saveState()
    canvas.translate(x, top)
    canvas.scale(module, -(row_height or module))
    path = canvas.beginPath()
    for r, row in enumerate(rows):
        start = 0
        for dark, run in _runs(row):
            if dark:
                path.rect(start, r, run, 1)
            start += run
    canvas.drawPath(path, stroke=0, fill=1)
    canvas.restoreState()


def _runs(row: Iterable[int]) -> list[tuple[bool, int]]:
    """Run lengths of a row: [(dark, length), ...]."""
    runs: list[tuple[bool, int]] = []
    for cell in row:
        dark = bool(cell)
        if runs and runs[-1][0] == dark:
            runs[-1] = (dark, runs[-1][1] + 1)
        else:
            runs.append((dark, 1))
    return runs


def _matrix(content: str, symbology: zxingcpp.BarcodeFormat, **options: object) -> np.ndarray:
    """Dark modules of a 2D symbol from zxing-cpp's writer (C++: ~40x faster than segno)."""
    symbol = zxingcpp.create_barcode(content, symbology, **options)
    return np.asarray(symbol.to_image(scale=1, add_quiet_zones=False)) < 128


def _draw_qr(canvas: Canvas, data: str, x: float, y: float, side: float) -> None:
    matrix = _matrix(data, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
    module = side / (matrix.shape[0] + 8)  # the 4-module quiet zone QR asks for, each side
    _fill_modules(canvas, matrix.tolist(), x + 4 * module, y + side - 4 * module, module)


def _gs1_128_bars(element_string_fnc1: str) -> list[int]:
    """GS1-128 modules (1 bar, 0 space) of an element string: FNC1 first and for each GS."""
    value = FNC1 + element_string_fnc1.replace("\x1d", FNC1)
    symbol = Code128(value, quiet=0)
    symbol.validate()
    symbol.encode()
    # reportlab spells each element as a letter: its width in modules, upper case for a bar.
    modules: list[int] = []
    for element in symbol.decompose():
        modules += [int(element.isupper())] * (ord(element.lower()) - ord("a") + 1)
    return modules


def _draw_datamatrix(
    canvas: Canvas, element_string: str, x: float, y: float, width: float, height: float
) -> None:
    """A GS1 DataMatrix (FNC1 first) of the element string, as large as the box allows."""
    matrix = _matrix(element_string, zxingcpp.BarcodeFormat.DataMatrix, gs1=True)
    rows, columns = matrix.shape
    module = min(width / (columns + 2), height / (rows + 2))  # one module of quiet zone
    _fill_modules(canvas, matrix.tolist(), x + module, y + (rows + 1) * module, module)


def _write_item_labels(labels: Iterable[LabelData], out: BinaryIO, *, datamatrix: bool) -> int:
    """Small cap or bottle labels: the Digital Link symbol and the serial, one a page."""
    width, height = ITEM_SIZE
    canvas = Canvas(out, pagesize=ITEM_SIZE, pageCompression=1)
    canvas.setTitle("ChannelGuard item labels")
    count = 0
    x = (width - ITEM_SYMBOL) / 2
    for label in labels:
        if count:
            canvas.showPage()
            _compress_last_page(canvas)
        top = height - 1 * mm
        if datamatrix:
            # Plain text, not GS1 mode: phone cameras open a URL from a DataMatrix.
            matrix = _matrix(label.digital_link, zxingcpp.BarcodeFormat.DataMatrix)
            rows, columns = matrix.shape
            module = ITEM_SYMBOL / (max(rows, columns) + 2)
            _fill_modules(canvas, matrix.tolist(), x + module, top - module, module)
        else:
            _draw_qr(canvas, label.digital_link, x, top - ITEM_SYMBOL, ITEM_SYMBOL)
        _draw_fitted(canvas, label.serial, LATIN_FONT, 6, 1 * mm, 1.5 * mm, width - 2 * mm)
        count += 1
    if count == 0:
        canvas.setFont(LATIN_FONT, 5)
        canvas.drawString(1 * mm, height / 2, "No labels.")
    canvas.showPage()
    canvas.save()
    return count
