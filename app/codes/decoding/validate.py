"""Checking reads before they are believed.

ITF only as ITF-14 with a valid check digit (we print no other ITF), GS1 data whose SSCC or
GTIN check digit fails is a misread, and where two reads of one symbol disagree the one whose
check digits validate, or that more scan lines agree on, wins. A plain Code 128 from zbar is
weak (zbar reads a suffix of a tilted GS1-128 as one). EAN/UPC misreads carry valid check
digits, so two readers must not disagree: zbar re-reads the region of each zxing-cpp EAN, and
a zbar EAN from few scan lines needs a second read that agrees.
"""

from __future__ import annotations

from biip import ParseError
from biip.checksums import gs1_standard_check_digit
from biip.gs1_messages import GS1Message
from PIL import Image
from pyzbar import pyzbar

from app.codes.decoding.readers import (
    _EAN_UPC,
    PYZBAR,
    ZXING,
    DecodedSymbol,
    _content_key,
    _family,
    _Hit,
    _overlap,
    _pyzbar_hits,
)

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

# zbar's EAN/UPC read from fewer scan lines than this is believed only when a second read
# (another frame or reader) agrees: its misreads carry valid check digits, from 5-6 lines.
_ZBAR_EAN_MIN_LINES = 7

# A zxing-cpp EAN/UPC read is checked by zbar on its own region; zbar's different number wins
# when this many of its scan lines agree (zxing-cpp misreads from a reduced copy).
_ZBAR_EAN_OVERRULES = 20

_EAN_ZBAR = (
    pyzbar.ZBarSymbol.EAN13,
    pyzbar.ZBarSymbol.EAN8,
    pyzbar.ZBarSymbol.UPCA,
    pyzbar.ZBarSymbol.UPCE,
)


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


def _unsure(hit: _Hit) -> bool:
    return (
        hit.symbol.decoder == PYZBAR
        and _family(hit.symbol.symbology) == "EAN/UPC"
        and hit.quality < _ZBAR_EAN_MIN_LINES
    )


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
    # zbar's EAN misreads come from a band of few scan lines beside the true read (a phone
    # photo, tune seed 163: 6728735390961 from 7 lines under 6928135390961 from 12).
    few_zbar_lines = a.symbol.decoder == PYZBAR and 0 < a.quality < _ZBAR_EAN_OVERRULES
    if lines > 0.02 * length and not few_zbar_lines:
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


def _unique(hits: list[_Hit]) -> list[DecodedSymbol]:
    unique: dict[tuple[str, str], DecodedSymbol] = {}
    for hit in hits:  # zxing-cpp's hits come first, so its text wins for the same content
        unique.setdefault(_content_key(hit.symbol), hit.symbol)
    return list(unique.values())
