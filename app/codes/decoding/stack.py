"""The decoder stack: zxing-cpp's quick pass, then retries in order of reads gained per
millisecond, under a time budget, each read checked before it is believed."""

from __future__ import annotations

import time

from PIL import Image

from app.codes.decoding.readers import (
    MAX_BYTES,
    MAX_PIXELS,
    DecodedSymbol,
    _Hit,
    _zxing_hits,
    open_grayscale,
)
from app.codes.decoding.retries import _LA, _RETRIES
from app.codes.decoding.validate import (
    _agreed,
    _checked,
    _crosschecked,
    _gs1_data_checks,
    _unique,
    _unsure,
    _weak,
)

# Seconds of CPU time after which no further retry starts (the last one runs to its end).
BUDGET_SECONDS = 1.0


def decode_grayscale(gray: Image.Image, *, budget: float = BUDGET_SECONDS) -> list[DecodedSymbol]:
    """Every symbol the stack finds in a grayscale image, one entry per distinct content.

    No retry starts once `budget` seconds of this thread's CPU time are spent: the photos that
    need the most retries are mostly those no retry reads."""
    # CPU time, not wall time: what is read does not depend on how busy the server is.
    deadline = time.thread_time() + budget
    hits = _crosschecked(gray, _checked(_zxing_hits(gray, _LA, rotate=False, invert=False)))
    if hits:
        return _unique(hits)
    weak: list[_Hit] = []
    unsure: list[_Hit] = []
    for retry in _RETRIES:
        if time.thread_time() > deadline:
            break
        found = _checked(retry(gray))
        strong = [h for h in found if not _weak(h) and not _unsure(h)]
        weak += [h for h in found if _weak(h)]
        unsure += [h for h in found if _unsure(h)]
        # A plain Code 128 whose GS1 data checks out is the whole symbol, not a piece.
        strong += [h for h in found if _weak(h) and _gs1_data_checks(h.symbol.text)]
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
