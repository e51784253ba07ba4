"""The retries that run when zxing-cpp's quick first pass finds nothing, cheapest reads first."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import zxingcpp
from PIL import Image, ImageFilter
from pyzbar import pyzbar

from app.codes.decoding.readers import (
    _bounded,
    _family,
    _Hit,
    _overlap,
    _pyzbar_hits,
    _zxing_hits,
)
from app.codes.decoding.scanlines import _barred_region, _scanlines, structure_tiles
from app.codes.decoding.validate import _checked, _weak

_RETRY_MAX_PIXELS = 1_300_000  # retries work on a copy this size, so a miss stays cheap

_ENLARGE_BELOW_PIXELS = 1_000_000

_PYZBAR_MAX_PIXELS = 3_000_000  # only small, blurred shots gain from being enlarged

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

_LA = zxingcpp.Binarizer.LocalAverage

_GH = zxingcpp.Binarizer.GlobalHistogram

_ANGLE_PIXELS = 2_000_000  # reduced further, fine bars alias and seem to lean

# Long GS1-128s have modules of 2-3 px: keep them (a 4.3-MP photo at full size); bigger photos
# are reduced so turning them stays cheap.
_UPRIGHT_MAX_PIXELS = 4_500_000

_UPRIGHT_TOLERANCE = 3.0  # degrees: closer to square, the first pass read it already
_SAME_TURN = 0.7  # degrees: turns closer than this read alike


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
    tile = 16
    tensor = structure_tiles(np.asarray(small), tile)
    if tensor is None:
        return []
    jxx, jyy, jxy, energy = tensor
    coherence = np.sqrt((jxx - jyy) ** 2 + 4 * jxy**2) / energy
    strong = (coherence > 0.75) & (energy > np.percentile(energy, 75))
    if not strong.any():
        return []
    theta = np.degrees(0.5 * np.arctan2(2 * jxy[strong], (jxx - jyy)[strong])) % 180
    rows_cols = np.argwhere(strong).astype(np.float64)  # (row, col) of each strong tile
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
        # Seen at a slant, a long symbol's bars no longer stand square to its length, and a
        # scan line across upright bars leaves the symbol before its end: turn its length
        # level instead (the bars then lean a little, which a scan line does not mind).
        skew = _skew(rows_cols[_near_peak(theta, peak)], weights[_near_peak(theta, peak)], peak)
        candidates = [angle + skew, angle] if skew is not None else [angle]
        for turn in candidates:
            if abs(turn) >= _UPRIGHT_TOLERANCE and all(
                abs(turn - seen) >= _SAME_TURN for seen in angles
            ):
                angles.append(turn)
        if len(angles) >= 3:
            break
    return angles[:3]


def _near_peak(theta: np.ndarray, peak: float) -> np.ndarray:
    offset: np.ndarray = np.abs((theta - peak + 90) % 180 - 90) <= 3
    return offset


def _skew(positions: np.ndarray, weights: np.ndarray, peak: float) -> float | None:
    """Degrees between the bars' normal (`peak`) and the long axis of the tiles that show
    them, when those tiles form one long, thin region (a long linear symbol); else None."""
    if len(positions) < 8:
        return None
    centre = np.average(positions, axis=0, weights=weights)
    spread = np.cov((positions - centre).T, aweights=weights)
    values, vectors = np.linalg.eigh(spread)
    if values[0] <= 0 or values[1] < 16 * values[0]:
        return None  # not four times longer than wide: a 2D code, text, or several symbols
    row, col = vectors[:, 1]
    axis = float(np.degrees(np.arctan2(row, col)))
    skew = (axis - peak + 90) % 180 - 90
    return skew if 0.7 <= abs(skew) <= 15 else None


def _upright(gray: Image.Image) -> list[_Hit]:
    work = _bounded(gray, _UPRIGHT_MAX_PIXELS)
    angles = _bar_angles(work)  # from the whole photo: a crop's texture ranks otherwise
    # Turning only the region of the bars costs a fraction of turning the whole photo.
    region = _barred_region(work) if angles else work
    for angle in angles:
        turned = region.rotate(angle, Image.Resampling.BILINEAR, expand=True, fillcolor=255)
        # We print dark bars on light paper: no light-on-dark pass (a third of the time).
        hits = _checked(_zxing_hits(turned, _LA, _TURNED_FORMATS, invert=False))
        if not any(not _weak(h) for h in hits):
            # zbar reads some blurred or noisy upright bars that zxing-cpp does not.
            hits += _checked(_pyzbar_hits(turned, _TURNED_ZBAR))
        if hits:
            return hits
    return []


def _enlarged(gray: Image.Image) -> list[_Hit]:
    if gray.width * gray.height >= _ENLARGE_BELOW_PIXELS:
        return []
    bigger = gray.resize((gray.width * 2, gray.height * 2), Image.Resampling.LANCZOS)
    return _both(bigger, _GH)


def _flattened(gray: Image.Image) -> list[_Hit]:
    # Glare and shade make one threshold wrong for half the symbol: divide the photo by its
    # own large-scale brightness (from a small, blurred copy: cheap) and read it evened out.
    work = _bounded(gray, _RETRY_MAX_PIXELS)
    hits = _both(_evened(work, 8), _GH)
    if hits:
        return hits
    # A small, strong glare spot on a low-contrast label changes faster than that copy
    # follows: a finer estimate of the light, and zxing-cpp's local threshold.
    return _zxing_hits(_evened(work, 4), _LA)


def _evened(work: Image.Image, reduce: int) -> Image.Image:
    """`work` divided by its brightness, taken from a copy `reduce` times smaller, blurred."""
    size = (max(1, work.width // reduce), max(1, work.height // reduce))
    small = work.resize(size, Image.Resampling.BOX)
    light = small.filter(ImageFilter.GaussianBlur(3)).resize(work.size, Image.Resampling.BILINEAR)
    pixels = np.asarray(work, dtype=np.float32)
    level = np.maximum(np.asarray(light, dtype=np.float32), 1)
    return Image.fromarray(np.clip(pixels / level * 200, 0, 255).astype(np.uint8))


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


_SHAKE_PX = 5  # a hand's shake smears a phone photo this far, mostly sideways
_SHAKE_NOISE = 0.05  # Wiener's noise-to-signal: lower rings, higher leaves the smear


def _unshaken(gray: Image.Image) -> list[_Hit]:
    # A sideways shake of about two modules averages each thin bar with its neighbouring
    # space: both readers see grey. Undo a 5-px sideways smear (Wiener deconvolution, in
    # the photo's own pixels: a reduced copy would shorten the smear) and read again.
    work = _bounded(gray, _UPRIGHT_MAX_PIXELS)
    pixels = np.asarray(work, dtype=np.float32)
    # The smear runs along the rows: each row is undone on its own (a 1D transform per row).
    smear = np.zeros(pixels.shape[1], dtype=np.float32)
    reach = range(-(_SHAKE_PX // 2), _SHAKE_PX - _SHAKE_PX // 2)  # centred on each pixel
    smear[[d % pixels.shape[1] for d in reach]] = 1 / _SHAKE_PX
    response = np.fft.rfft(smear)
    undo = np.conj(response) / (np.abs(response) ** 2 + _SHAKE_NOISE)
    sharp = np.fft.irfft(np.fft.rfft(pixels, axis=1) * undo, n=pixels.shape[1], axis=1)
    steady = Image.fromarray(np.clip(sharp, 0, 255).astype(np.uint8))
    # zbar read none of the tune photos this way: zxing-cpp alone, and no turning, so that a
    # photo no retry reads is not kept much longer (p95).
    return _zxing_hits(steady, _LA, _TURNED_FORMATS, rotate=False, invert=False)


def _quarter(gray: Image.Image) -> list[_Hit]:
    # zxing-cpp's quick first pass skips both (half its time); one pass on the photo turned a
    # quarter, looking for light-on-dark too, finds what its full pass would have added.
    return _zxing_hits(gray.transpose(Image.Transpose.ROTATE_90), _LA, rotate=False)


# After zxing-cpp's quick pass: what its full pass would add, then the rest in order of reads
# gained per millisecond on the tune halves (phone photos: _scanlines reads most blurred
# linear symbols in 20-100 ms, then _upright, _flattened; the corpus: _zbar, _smoothed,
# _enlarged; _unshaken after _zbar: it reads hand-shaken photos that time would otherwise
# stop). _rotated now rarely adds to _upright: last. An unsharp-mask retry read none of either
# tune half once _scanlines ran, and was dropped.
_RETRIES: tuple[Callable[[Image.Image], list[_Hit]], ...] = (
    _quarter,
    _scanlines,
    _upright,
    _zbar,
    _unshaken,
    _flattened,
    _smoothed,
    _enlarged,
    _rotated,
)
