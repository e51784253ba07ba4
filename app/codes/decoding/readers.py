"""Refusing and opening uploads, and the two readers: zxing-cpp and zbar (pyzbar).

Two readers, because neither sees everything: zxing-cpp reads DataMatrix and keeps GS1
separators and symbology identifiers; zbar reads blurred phone shots of EAN-13 and some QR
codes that zxing-cpp misses.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass

import zxingcpp
from PIL import Image, UnidentifiedImageError
from pyzbar import pyzbar

MAX_BYTES = 15_000_000

MAX_PIXELS = 40_000_000

ZXING = "zxing-cpp"

PYZBAR = "pyzbar"

# zbar only where it adds reads to zxing-cpp; its I25, Code 39 and DataBar readers add
# nothing on our corpus but risk false positives (and DataBar prints assertion noise).
_PYZBAR_STACK = (
    pyzbar.ZBarSymbol.EAN13,
    pyzbar.ZBarSymbol.EAN8,
    pyzbar.ZBarSymbol.UPCA,
    pyzbar.ZBarSymbol.UPCE,
    pyzbar.ZBarSymbol.CODE128,
    pyzbar.ZBarSymbol.QRCODE,
)

# zbar's symbol names spelled as zxing-cpp's BarcodeFormat names, so both speak alike.
_PYZBAR_NAMES = {
    "QRCODE": "QRCode",
    "CODE128": "Code128",
    "CODE39": "Code39",
    "CODE93": "Code93",
    "CODABAR": "Codabar",
    "I25": "ITF",
    "DATABAR": "DataBar",
    "DATABAR_EXP": "DataBarExp",
    "ISBN13": "EAN13",
    "ISBN10": "EAN13",
}

_EAN_UPC = frozenset({"EAN13", "EAN8", "UPCA", "UPCE", "ISBN"})


class ImageRejected(Exception):
    """An upload we refuse to decode, with the HTTP status that says why."""

    def __init__(self, reason: str, status: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


@dataclass(frozen=True, slots=True)
class DecodedSymbol:
    """One barcode found in a photo: its content as a reader would send it."""

    text: str
    """Raw content: GS1 separators as 0x1D, no brackets and no symbology identifier."""
    symbology: str
    """zxing-cpp's format name: QRCode, DataMatrix, Code128, EAN13, ITF, DataBarExp, ..."""
    decoder: str
    symbology_identifier: str | None = None
    """ISO/IEC 15424 identifier such as ]C1 or ]d2 when the decoder reports it."""


@dataclass(frozen=True, slots=True)
class _Hit:
    symbol: DecodedSymbol
    box: tuple[int, int, int, int]  # left, top, right, bottom in the frame it was read from
    quality: int = 0
    """zbar's count of scan lines that read this text (0 for zxing-cpp)."""


def sniff_format(data: bytes) -> str | None:
    """PIL format name from the magic bytes, for the three formats we accept."""
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


def open_grayscale(
    data: bytes, *, max_bytes: int = MAX_BYTES, max_pixels: int = MAX_PIXELS
) -> Image.Image:
    """Check size, format and dimensions from the header, then decode to 8-bit grayscale."""
    if len(data) > max_bytes:
        raise ImageRejected(f"image is {len(data)} bytes, over the limit of {max_bytes}", 413)
    kind = sniff_format(data)
    if kind is None:
        raise ImageRejected("not a JPEG, PNG or WebP image", 415)
    try:
        image = Image.open(io.BytesIO(data), formats=[kind])
    except Image.DecompressionBombError as exc:
        raise ImageRejected(f"image has too many pixels: {exc}", 413) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ImageRejected("not a readable image", 422) from exc
    width, height = image.size
    if width * height > max_pixels:
        raise ImageRejected(
            f"image is {width}x{height} pixels, over the limit of {max_pixels}", 413
        )
    if width == 0 or height == 0:
        raise ImageRejected("not a readable image: it has no pixels", 422)
    try:
        if kind == "JPEG":
            image.draft("L", image.size)  # let libjpeg emit grayscale: no RGB buffer at all
        return _to_grayscale(image)
    except (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError) as exc:
        raise ImageRejected("not a readable image: it is truncated or corrupt", 422) from exc


def _to_grayscale(image: Image.Image) -> Image.Image:
    if image.mode.startswith("I"):
        # 16-bit PNGs: convert("L") would clip everything above 255 to white.
        return image.convert("I").point(lambda v: v * (1 / 256)).convert("L")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info:
        # Transparent pixels often hold black; a QR code on them would vanish. Put them on white.
        with_alpha = image.convert("LA")
        gray = Image.new("L", image.size, 255)
        gray.paste(with_alpha.getchannel("L"), mask=with_alpha.getchannel("A"))
        return gray
    return image.convert("L")


def _zxing_hits(
    gray: Image.Image,
    binarizer: zxingcpp.Binarizer = zxingcpp.Binarizer.LocalAverage,
    formats: zxingcpp.BarcodeFormats | None = None,
    *,
    rotate: bool = True,
    invert: bool = True,
) -> list[_Hit]:
    """rotate: also look for linear symbols turned a quarter; invert: for light-on-dark ones."""
    text_mode = zxingcpp.TextMode.Plain  # raw bytes as text: GS stays 0x1D, no brackets
    if formats is None:
        # zxing-cpp's default set, not BarcodeFormat.All: All adds ITF of any length, which
        # reads "95" or "9004" off the edge of other symbols.
        found = zxingcpp.read_barcodes(
            gray, text_mode=text_mode, binarizer=binarizer, try_rotate=rotate, try_invert=invert
        )
    else:
        found = zxingcpp.read_barcodes(
            gray,
            formats=formats,
            text_mode=text_mode,
            binarizer=binarizer,
            try_rotate=rotate,
            try_invert=invert,
        )
    hits = []
    for barcode in found:
        p = barcode.position
        xs = (p.top_left.x, p.top_right.x, p.bottom_left.x, p.bottom_right.x)
        ys = (p.top_left.y, p.top_right.y, p.bottom_left.y, p.bottom_right.y)
        symbol = DecodedSymbol(
            text=barcode.text,
            symbology=barcode.format.name,
            decoder=ZXING,
            symbology_identifier=barcode.symbology_identifier or None,
        )
        hits.append(_Hit(symbol, (min(xs), min(ys), max(xs), max(ys))))
    return hits


def _pyzbar_hits(
    gray: Image.Image, symbols: Iterable[pyzbar.ZBarSymbol] | None = _PYZBAR_STACK
) -> list[_Hit]:
    hits = []
    for found in pyzbar.decode(gray, symbols=symbols):
        left, top, width, height = found.rect
        symbol = DecodedSymbol(
            text=found.data.decode("utf-8", "replace"),
            symbology=_PYZBAR_NAMES.get(found.type, found.type),
            decoder=PYZBAR,
        )
        hits.append(_Hit(symbol, (left, top, left + width, top + height), found.quality))
    return hits


def zxing_symbols(gray: Image.Image) -> list[DecodedSymbol]:
    """zxing-cpp alone, one pass, every format (for comparison and benchmarks)."""
    return [hit.symbol for hit in _zxing_hits(gray)]


def pyzbar_symbols(gray: Image.Image) -> list[DecodedSymbol]:
    """pyzbar alone, one pass, every symbology zbar knows (for comparison and benchmarks)."""
    return [hit.symbol for hit in _pyzbar_hits(gray, symbols=None)]


def _family(symbology: str) -> str:
    return "EAN/UPC" if symbology in _EAN_UPC else symbology


def _content_key(symbol: DecodedSymbol) -> tuple[str, str]:
    family = _family(symbol.symbology)
    # zbar may report a UPC-A as a 13-digit EAN with a leading 0; the same number either way.
    text = symbol.text.lstrip("0") if family == "EAN/UPC" else symbol.text
    return family, text


def _overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]


def _bounded(gray: Image.Image, max_pixels: int) -> Image.Image:
    scale = (max_pixels / (gray.width * gray.height)) ** 0.5
    if scale >= 1:
        return gray
    size = (max(1, int(gray.width * scale)), max(1, int(gray.height * scale)))
    return gray.resize(size, Image.Resampling.BOX)
