"""Decode every barcode in an uploaded photo, refusing hostile files before any pixel is decoded.

Two readers, because neither sees everything: zxing-cpp reads DataMatrix and keeps GS1
separators and symbology identifiers; zbar (pyzbar) reads blurred phone shots of EAN-13 and
some QR codes that zxing-cpp misses. zxing-cpp reads the photo first, in its quick mode (no
quarter-turned linear or light-on-dark search: half the time), and when it finds a symbol, that
is the answer (most photos cost one quick pass). Otherwise a ladder of retries runs, ordered by
reads gained per millisecond: the quarter turn, the photo turned so that a tilted linear
symbol's bars stand upright, zbar, then smoothed, enlarged, turned and sharpened copies,
stopping at the first strong read.

Every read is checked before it is believed: ITF only as ITF-14 with a valid check digit (we
print no other ITF), GS1 data whose SSCC or GTIN check digit fails is a misread, and where two
reads of one symbol disagree the one whose check digits validate, or that more scan lines agree
on, wins. A plain Code 128 from zbar is weak (zbar reads a suffix of a tilted GS1-128 as one):
it does not stop the ladder, and a strong read that contains its text replaces it. EAN/UPC
misreads carry valid check digits, so two readers must not disagree: zbar re-reads the region
of each zxing-cpp EAN, and a zbar EAN from few scan lines needs a second read that agrees.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import zxingcpp
from biip import ParseError
from biip.checksums import gs1_standard_check_digit
from biip.gs1_messages import GS1Message
from PIL import Image, ImageFilter, UnidentifiedImageError
from pyzbar import pyzbar

MAX_BYTES = 15_000_000
MAX_PIXELS = 40_000_000
_RETRY_MAX_PIXELS = 1_300_000  # retries work on a copy this size, so a miss stays cheap
_ENLARGE_BELOW_PIXELS = 1_000_000
_PYZBAR_MAX_PIXELS = 3_000_000  # only small, blurred shots gain from being enlarged

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


# --- refusing and opening --------------------------------------------------------------


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


# --- the two readers -------------------------------------------------------------------


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


# --- checking reads --------------------------------------------------------------------

_LINEAR = (
    frozenset(
        {
            "Code128",
            "Code39",
            "Code93",
            "Codabar",
            "ITF",
            "ITF14",
            "DataBar",
            "DataBarExp",
            "DataBarLtd",
        }
    )
    | _EAN_UPC
)
_GS1_IDENTIFIERS = frozenset({"]C1", "]d2", "]Q3", "]e0", "]J1"})
# AIs whose value ends in a GS1 check digit, and what biip sets once that digit is right.
_CHECKED_AIS = {"00": "sscc", "01": "gtin", "02": "gtin"}
_LEADING_CHECKED = {"00": 18, "01": 14, "02": 14}


def _gs1_check(symbol: DecodedSymbol) -> int:
    """1 if GS1 data whose SSCC/GTIN check digits all validate, -1 if one fails, else 0."""
    if symbol.symbology in ("ITF", "ITF14"):
        text = symbol.text
        ok = len(text) == 14 and text.isdecimal() and text.isascii()
        return 1 if ok and gs1_standard_check_digit(text[:13]) == int(text[13]) else -1
    if symbol.symbology_identifier not in _GS1_IDENTIFIERS:
        return 0
    # Our codes begin with the SSCC or the GTIN: check that digit here, without biip's full
    # parse (about 0.7 ms, as long as zxing-cpp takes to read a small photo).
    text = symbol.text
    width = _LEADING_CHECKED.get(text[:2])
    if width is not None and len(text) >= 2 + width and text[2 : 2 + width].isdecimal():
        body = text[2 : 2 + width]
        return 1 if gs1_standard_check_digit(body[:-1]) == int(body[-1]) else -1
    try:
        message = GS1Message.parse(symbol.text)
    except (ParseError, ValueError):
        return 0  # biip is stricter than the symbol (dates, country codes): no verdict
    checked = 0
    for element in message.element_strings:
        attribute = _CHECKED_AIS.get(element.ai.ai)
        if attribute is None:
            continue
        if getattr(element, attribute) is None:
            return -1
        checked += 1
    return 1 if checked else 0


def _gs1_data_checks(text: str) -> bool:
    """Whether plain text read as a GS1 element string has SSCC/GTIN check digits, all valid."""
    as_gs1 = DecodedSymbol(text, "Code128", PYZBAR, "]C1")
    return _gs1_check(as_gs1) == 1


def _weak(hit: _Hit) -> bool:
    # zbar's plain Code 128 off a tilted GS1-128 is often a valid-looking suffix of it.
    return hit.symbol.decoder == PYZBAR and hit.symbol.symbology == "Code128"


def _thickness(box: tuple[int, int, int, int]) -> tuple[int, int]:
    """(length along the scan, extent across it) of a linear read's box."""
    width, height = box[2] - box[0], box[3] - box[1]
    return (width, height) if width >= height else (height, width)


def _same_symbol(a: _Hit, b: _Hit) -> bool:
    if _family(a.symbol.symbology) != _family(b.symbol.symbology):
        return False
    if _overlap(a.box, b.box):
        return True
    if a.symbol.symbology not in _LINEAR:
        return False
    length, lines = _thickness(a.box)
    if lines > 0.02 * length:
        return False  # labels stacked on a sheet line up too; only a thin read is suspect
    # A linear read from a couple of scan lines beside another of the same symbol: same span
    # along the bars' run, close across it.
    axis = 0 if a.box[2] - a.box[0] >= a.box[3] - a.box[1] else 1
    a0, a1, b0, b1 = a.box[axis], a.box[axis + 2], b.box[axis], b.box[axis + 2]
    shared = min(a1, b1) - max(a0, b0)
    length = max(a1 - a0, b1 - b0, 1)
    across = 1 - axis
    gap = max(a.box[across], b.box[across]) - min(a.box[across + 2], b.box[across + 2])
    return shared >= 0.7 * min(a1 - a0, b1 - b0) and gap <= 0.25 * length


def _rank(hit: _Hit) -> tuple[int, int, int]:
    lines = _thickness(hit.box)[1] if hit.symbol.symbology in _LINEAR else 0
    return (_gs1_check(hit.symbol), lines, hit.symbol.decoder == ZXING)


def _checked(hits: list[_Hit]) -> list[_Hit]:
    """Reads of one frame minus misreads: failed check digits, and the loser wherever two
    reads of one symbol disagree."""
    plausible = [h for h in hits if _gs1_check(h.symbol) >= 0]
    kept = []
    for hit in plausible:
        beaten = any(
            other.symbol.text != hit.symbol.text
            and _same_symbol(hit, other)
            and _rank(other) > _rank(hit)
            for other in plausible
        )
        if not beaten:
            kept.append(hit)
    return kept


# --- the stack -------------------------------------------------------------------------


def _family(symbology: str) -> str:
    return "EAN/UPC" if symbology in _EAN_UPC else symbology


def _content_key(symbol: DecodedSymbol) -> tuple[str, str]:
    family = _family(symbol.symbology)
    # zbar may report a UPC-A as a 13-digit EAN with a leading 0; the same number either way.
    text = symbol.text.lstrip("0") if family == "EAN/UPC" else symbol.text
    return family, text


def _overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]


def _zbar(gray: Image.Image) -> list[_Hit]:
    # zbar reads a big photo no worse, at a fraction of the cost, from a smaller copy.
    small = _bounded(gray, _PYZBAR_MAX_PIXELS)
    factor = gray.width / small.width
    hits = []
    for hit in _pyzbar_hits(small):
        box = tuple(round(v * factor) for v in hit.box)
        hits.append(_Hit(hit.symbol, (box[0], box[1], box[2], box[3]), hit.quality))
    return hits


def _both(gray: Image.Image, binarizer: zxingcpp.Binarizer) -> list[_Hit]:
    """Both readers on one frame; a zbar reading of a symbol zxing-cpp also read is dropped."""
    zxing_hits = _zxing_hits(gray, binarizer)
    merged = list(zxing_hits)
    for hit in _zbar(gray):
        family = _family(hit.symbol.symbology)
        if not any(
            _family(z.symbol.symbology) == family and _overlap(z.box, hit.box) for z in zxing_hits
        ):
            merged.append(hit)
    return merged


def _bar_angles(gray: Image.Image) -> list[float]:
    """Turns (degrees) that would set the bars of a tilted linear symbol upright: the main
    directions of strongly one-directional texture (bars), found from the structure tensor
    of small tiles of a reduced copy."""
    small = _bounded(gray, _ANGLE_PIXELS)
    a = np.asarray(small, dtype=np.float32)
    gx = a[1:-1, 2:] - a[1:-1, :-2]
    gy = a[2:, 1:-1] - a[:-2, 1:-1]
    tile = 16
    rows, cols = gx.shape[0] // tile, gx.shape[1] // tile
    if rows == 0 or cols == 0:
        return []

    def tiles(v: np.ndarray) -> np.ndarray:
        cut = v[: rows * tile, : cols * tile].reshape(rows, tile, cols, tile)
        summed: np.ndarray = cut.sum(axis=(1, 3))
        return summed

    jxx, jyy, jxy = tiles(gx * gx), tiles(gy * gy), tiles(gx * gy)
    energy = jxx + jyy + 1e-6
    coherence = np.sqrt((jxx - jyy) ** 2 + 4 * jxy**2) / energy
    strong = (coherence > 0.75) & (energy > np.percentile(energy, 75))
    if not strong.any():
        return []
    theta = np.degrees(0.5 * np.arctan2(2 * jxy[strong], (jxx - jyy)[strong])) % 180
    weights = (energy * coherence**2)[strong]
    histogram, _ = np.histogram(theta, bins=90, range=(0, 180), weights=weights)
    histogram = histogram + np.roll(histogram, 1) + np.roll(histogram, -1)
    angles: list[float] = []
    for index in np.argsort(histogram)[::-1][:6]:
        if histogram[index] < 0.3 * histogram.max():
            break
        # The weighted mean of the tiles near the peak, finer than the 2-degree bins.
        offset = (theta - (index * 2 + 1) + 90) % 180 - 90
        near = np.abs(offset) <= 3
        peak = float(index * 2 + 1 + np.average(offset[near], weights=weights[near]))
        angle = peak % 90  # bars along either axis read alike
        angle = angle - 90 if angle > 45 else angle
        if abs(angle) >= _UPRIGHT_TOLERANCE and all(
            abs(angle - seen) >= _UPRIGHT_TOLERANCE for seen in angles
        ):
            angles.append(angle)
        if len(angles) == 2:
            break
    return angles


def _upright(gray: Image.Image) -> list[_Hit]:
    work = _bounded(gray, _UPRIGHT_MAX_PIXELS)
    for angle in _bar_angles(work):
        turned = work.rotate(angle, Image.Resampling.BILINEAR, expand=True, fillcolor=255)
        hits = _checked(_zxing_hits(turned, _LA, _TURNED_FORMATS))
        if not any(not _weak(h) for h in hits):
            # zbar reads some blurred or noisy upright bars that zxing-cpp does not.
            hits += _checked(_pyzbar_hits(turned, _TURNED_ZBAR))
        if hits:
            return hits
    return []


def _sharpened(gray: Image.Image) -> list[_Hit]:
    work = _bounded(gray, _RETRY_MAX_PIXELS)
    return _both(work.filter(ImageFilter.UnsharpMask(radius=2, percent=150, threshold=0)), _LA)


def _enlarged(gray: Image.Image) -> list[_Hit]:
    if gray.width * gray.height >= _ENLARGE_BELOW_PIXELS:
        return []
    bigger = gray.resize((gray.width * 2, gray.height * 2), Image.Resampling.LANCZOS)
    return _both(bigger, _GH)


def _smoothed(gray: Image.Image) -> list[_Hit]:
    return _both(_bounded(gray, _RETRY_MAX_PIXELS).filter(ImageFilter.GaussianBlur(1)), _GH)


def _rotated(gray: Image.Image) -> list[_Hit]:
    # Neither reader finds a 1D code tilted 10-30 degrees; zxing-cpp on a turned copy does.
    # 2D codes are found at any angle already, so only the linear formats that carry GS1 data
    # are looked for (plain ITF of any length reads "13" off the edge of a turned photo).
    work = _bounded(gray, _RETRY_MAX_PIXELS)
    for angle in (15, -15, 30, -30):
        turned = work.rotate(angle, Image.Resampling.BILINEAR, expand=True, fillcolor=255)
        hits = _checked(_zxing_hits(turned, _LA, _TURNED_FORMATS))
        if hits:
            return hits
    return []


def _quarter(gray: Image.Image) -> list[_Hit]:
    # zxing-cpp's quick first pass skips both (half its time); one pass on the photo turned a
    # quarter, looking for light-on-dark too, finds what its full pass would have added.
    return _zxing_hits(gray.transpose(Image.Transpose.ROTATE_90), _LA, rotate=False)


_TURNED_FORMATS = (
    zxingcpp.BarcodeFormat.Code128
    | zxingcpp.BarcodeFormat.EANUPC
    | zxingcpp.BarcodeFormat.ITF14
    | zxingcpp.BarcodeFormat.DataBarExp
)
_TURNED_ZBAR = (
    pyzbar.ZBarSymbol.EAN13,
    pyzbar.ZBarSymbol.UPCA,
    pyzbar.ZBarSymbol.CODE128,
)
_EAN_ZBAR = (
    pyzbar.ZBarSymbol.EAN13,
    pyzbar.ZBarSymbol.EAN8,
    pyzbar.ZBarSymbol.UPCA,
    pyzbar.ZBarSymbol.UPCE,
)
_LA = zxingcpp.Binarizer.LocalAverage
_GH = zxingcpp.Binarizer.GlobalHistogram
_ANGLE_PIXELS = 2_000_000  # reduced further, fine bars alias and seem to lean
_UPRIGHT_MAX_PIXELS = 2_000_000  # long GS1-128s have bars of 2 px; keep them
_UPRIGHT_TOLERANCE = 3.0  # degrees: closer to square, the first pass read it already
# After zxing-cpp's quick pass: what its full pass would add, then the rest in order of reads
# gained per millisecond on the tune half of the phone photos.
_RETRIES: tuple[Callable[[Image.Image], list[_Hit]], ...] = (
    _quarter,
    _upright,
    _zbar,
    _smoothed,
    _enlarged,
    _rotated,
    _sharpened,
)
# zbar's EAN/UPC read from fewer scan lines than this is believed only when a second read
# (another frame or reader) agrees: its misreads carry valid check digits, from 5-6 lines.
_ZBAR_EAN_MIN_LINES = 7
# A zxing-cpp EAN/UPC read is checked by zbar on its own region; zbar's different number wins
# when this many of its scan lines agree (zxing-cpp misreads from a reduced copy).
_ZBAR_EAN_OVERRULES = 20


def _bounded(gray: Image.Image, max_pixels: int) -> Image.Image:
    scale = (max_pixels / (gray.width * gray.height)) ** 0.5
    if scale >= 1:
        return gray
    size = (max(1, int(gray.width * scale)), max(1, int(gray.height * scale)))
    return gray.resize(size, Image.Resampling.BOX)


def _unique(hits: list[_Hit]) -> list[DecodedSymbol]:
    unique: dict[tuple[str, str], DecodedSymbol] = {}
    for hit in hits:  # zxing-cpp's hits come first, so its text wins for the same content
        unique.setdefault(_content_key(hit.symbol), hit.symbol)
    return list(unique.values())


def _unsure(hit: _Hit) -> bool:
    return (
        hit.symbol.decoder == PYZBAR
        and _family(hit.symbol.symbology) == "EAN/UPC"
        and hit.quality < _ZBAR_EAN_MIN_LINES
    )


def _crosschecked(gray: Image.Image, hits: list[_Hit]) -> list[_Hit]:
    """zxing-cpp's EAN/UPC reads, each checked by zbar on its own region of the photo."""
    kept = []
    for hit in hits:
        if hit.symbol.decoder != ZXING or _family(hit.symbol.symbology) != "EAN/UPC":
            kept.append(hit)
            continue
        left, top, right, bottom = hit.box
        pad = max(right - left, bottom - top) // 4
        region = (max(0, left - pad), max(0, top - pad), min(gray.width, right + pad))
        crop = gray.crop((*region, min(gray.height, bottom + pad)))
        others = [
            z
            for z in _pyzbar_hits(crop, _EAN_ZBAR)
            if _content_key(z.symbol) != _content_key(hit.symbol)
        ]
        if not others:
            kept.append(hit)  # zbar agrees, or cannot tell
            continue
        best = max(others, key=lambda z: z.quality)
        if best.quality >= _ZBAR_EAN_OVERRULES:
            box = (best.box[0] + region[0], best.box[1] + region[1])
            shifted = (*box, best.box[2] + region[0], best.box[3] + region[1])
            kept.append(_Hit(best.symbol, shifted, best.quality))
        # otherwise two readers disagree and neither is sure: no read beats a wrong one
    return kept


def _agreed(unsure: list[_Hit], believed: list[_Hit]) -> list[_Hit]:
    """Unsure reads that a second read, unsure or not, confirms."""
    keys = [_content_key(h.symbol) for h in unsure + believed]
    return [u for u in unsure if keys.count(_content_key(u.symbol)) >= 2]


def decode_grayscale(gray: Image.Image) -> list[DecodedSymbol]:
    """Every symbol the stack finds in a grayscale image, one entry per distinct content."""
    hits = _crosschecked(gray, _checked(_zxing_hits(gray, _LA, rotate=False, invert=False)))
    if hits:
        return _unique(hits)
    weak: list[_Hit] = []
    unsure: list[_Hit] = []
    for retry in _RETRIES:
        found = _checked(retry(gray))
        strong = [h for h in found if not _weak(h) and not _unsure(h)]
        weak += [h for h in found if _weak(h)]
        unsure += [h for h in found if _unsure(h)]
        if strong:
            # A weak read whose text a strong one contains was a piece of that symbol.
            kept = [w for w in weak if not any(w.symbol.text in s.symbol.text for s in strong)]
            return _unique(strong + kept + _agreed(unsure, strong))
    # Only weak reads found: believe those that carry GS1 data with valid check digits (what
    # we print); a piece of a GS1-128 rarely does.
    checked = [w for w in weak if _gs1_data_checks(w.symbol.text)]
    return _unique(checked + _agreed(unsure, []))


def decode_image(
    data: bytes, *, max_bytes: int = MAX_BYTES, max_pixels: int = MAX_PIXELS
) -> list[DecodedSymbol]:
    """Every barcode in a JPEG, PNG or WebP photo; raises ImageRejected for hostile input."""
    gray = open_grayscale(data, max_bytes=max_bytes, max_pixels=max_pixels)
    return decode_grayscale(gray)
