"""Reading a linear symbol from averaged scan lines across its bars, undoing the blur there.

A phone photo of small modules (2-3 px) blurred by hand shake or defocus leaves both readers
grey bars. Once the symbol is cut out and set with its bars upright and its length level, any
blur of the photo, whatever its direction, is a 1-D blur across the bars; averaging a band of
rows removes most of the sensor noise, and a 1-D Wiener deconvolution of that profile, for a
few likely blur widths, is cheap (a few thousand samples) and well conditioned. Each profile
is read by zxing-cpp as a thin image; a read is kept only where two bands of rows agree on it
(or its GS1 check digits validate), so that trying several blurs cannot add a misread.
"""

from __future__ import annotations

import collections
import itertools

import numpy as np
import zxingcpp
from PIL import Image
from pyzbar import pyzbar

from app.codes.decoding.readers import _bounded, _Hit, _pyzbar_hits, _zxing_hits
from app.codes.decoding.validate import _checked, _gs1_check, _gs1_data_checks, _weak

_LA = zxingcpp.Binarizer.LocalAverage

_FORMATS = zxingcpp.BarcodeFormat.Code128 | zxingcpp.BarcodeFormat.EANUPC

_ZBAR = (pyzbar.ZBarSymbol.EAN13, pyzbar.ZBarSymbol.UPCA, pyzbar.ZBarSymbol.CODE128)

_TILE = 16

_FIND_PIXELS = 2_000_000  # the symbol is found on a copy this size (as _bar_angles does)

_WORK_PIXELS = 4_500_000  # and cut out of one this size: long GS1-128 modules are 2-3 px

_BANDS = 8  # bands of rows across the bars, each averaged into one profile

_NOISE = 0.01  # Wiener's noise-to-signal for an averaged profile (far less noisy than a row)

# Blurs tried, in the upright symbol's pixels: none, boxes (hand shake of 3-7 px, projected
# across the bars), and Gaussians (defocus).
_BLURS: tuple[tuple[str, float], ...] = (
    ("none", 0),
    ("box", 3),
    ("box", 4),
    ("box", 5),
    ("box", 6),
    ("box", 7),
    ("gauss", 1.2),
    ("gauss", 1.6),
    ("gauss", 2.0),
)


def _kernel(kind: str, size: float, n: int) -> np.ndarray:
    """A centred blur of `n` samples (circular), summing to 1."""
    kernel = np.zeros(n, dtype=np.float64)
    if kind == "box":
        reach = np.arange(int(size)) - (int(size) - 1) / 2
        for offset in reach:  # a box of even width straddles two samples at each end
            low = int(np.floor(offset))
            kernel[low % n] += 1 - (offset - low)
            kernel[(low + 1) % n] += offset - low
    else:
        offsets = np.arange(-int(4 * size) - 1, int(4 * size) + 2)
        kernel[offsets % n] = np.exp(-(offsets**2) / (2 * size**2))
    total: np.ndarray = kernel / kernel.sum()
    return total


def structure_tiles(
    a: np.ndarray, tile: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """Per tile of `tile` px: the structure tensor's (jxx, jyy, jxy) summed gradient products
    and the energy; how strongly and which way the texture runs there. None for an image
    smaller than one tile."""
    a = a.astype(np.float32)
    gx = a[1:-1, 2:] - a[1:-1, :-2]
    gy = a[2:, 1:-1] - a[:-2, 1:-1]
    rows, cols = gx.shape[0] // tile, gx.shape[1] // tile
    if rows == 0 or cols == 0:
        return None

    def tiles(v: np.ndarray) -> np.ndarray:
        cut = v[: rows * tile, : cols * tile].reshape(rows, tile, cols, tile)
        summed: np.ndarray = cut.sum(axis=(1, 3))
        return summed

    jxx, jyy, jxy = tiles(gx * gx), tiles(gy * gy), tiles(gx * gy)
    return jxx, jyy, jxy, jxx + jyy + 1e-6


def _symbol_frames(small: np.ndarray) -> list[tuple[float, np.ndarray]]:
    """(normal angle in degrees, tile centres (x, y) of the bars) for each strongly
    one-directional textured region: a linear symbol's bars."""
    tensor = structure_tiles(small, _TILE)
    if tensor is None:
        return []
    jxx, jyy, jxy, energy = tensor
    coherence = np.sqrt((jxx - jyy) ** 2 + 4 * jxy**2) / energy
    strong = (coherence > 0.6) & (energy > np.percentile(energy, 75))
    if strong.sum() < 4:
        return []
    theta = np.degrees(0.5 * np.arctan2(2 * jxy[strong], (jxx - jyy)[strong])) % 180
    weights = (energy * coherence**2)[strong]
    where = np.argwhere(strong).astype(np.float64)
    centres = np.stack([where[:, 1], where[:, 0]], axis=1) * _TILE + _TILE / 2 + 1
    histogram, _ = np.histogram(theta, bins=90, range=(0, 180), weights=weights)
    histogram = histogram + np.roll(histogram, 1) + np.roll(histogram, -1)
    frames: list[tuple[float, np.ndarray]] = []
    for index in np.argsort(histogram)[::-1][:4]:
        if histogram[index] < 0.3 * histogram.max():
            break
        offset = (theta - (index * 2 + 1) + 90) % 180 - 90
        near = np.abs(offset) <= 4
        if near.sum() < 4:
            continue
        peak = float(index * 2 + 1 + np.average(offset[near], weights=weights[near]))
        if any(abs((peak - seen + 90) % 180 - 90) < 6 for seen, _ in frames):
            continue
        # Each symbol at this angle is its own patch of tiles; the background's scattered
        # tiles would widen the cut (and its blur) for nothing.
        grid = np.zeros(energy.shape, dtype=bool)
        spots = where[near].astype(int)
        grid[spots[:, 0], spots[:, 1]] = True
        labels = _patches(grid)
        patch_of = labels[spots[:, 0], spots[:, 1]]
        totals = np.bincount(patch_of, weights=weights[near])
        for patch in np.argsort(totals)[::-1][:2]:
            members = patch_of == patch
            if totals[patch] < 0.3 * totals.max() or members.sum() < 4:
                break
            frames.append((peak, centres[near][members]))
        if len(frames) >= 3:
            break
    return frames[:3]


def _patches(grid: np.ndarray) -> np.ndarray:
    """Labels of the patches of set cells, cells up to one cell apart joined (label 0 for
    unset cells and for the first patch alike: only set cells are looked up)."""
    labels = np.full(grid.shape, -1, dtype=np.int64)
    count = 0
    for start in zip(*np.nonzero(grid), strict=True):
        if labels[start] >= 0:
            continue
        labels[start] = count
        stack = [start]
        while stack:
            r, c = stack.pop()
            for dr in range(-2, 3):
                for dc in range(-2, 3):
                    rr, cc = r + dr, c + dc
                    inside = 0 <= rr < grid.shape[0] and 0 <= cc < grid.shape[1]
                    if inside and grid[rr, cc] and labels[rr, cc] < 0:
                        labels[rr, cc] = count
                        stack.append((rr, cc))
        count += 1
    return np.maximum(labels, 0)


def _cut_upright(
    work: Image.Image, factor: float, peak: float, centres: np.ndarray
) -> np.ndarray | None:
    """The region of the bars, resampled so that columns run along the bars and rows along
    the symbol's length (an affine cut: the bars stay parallel under the slant of a shot)."""
    points = centres * factor
    normal = np.array([np.cos(np.radians(peak)), np.sin(np.radians(peak))])
    along_bars = np.array([-normal[1], normal[0]])
    centre = np.median(points, axis=0)
    # The symbol's length axis: the main axis of the tiles' spread, if clearly long.
    length_axis = normal
    spread = np.cov((points - centre).T) if len(points) >= 8 else None
    if spread is not None and np.all(np.isfinite(spread)):
        values, vectors = np.linalg.eigh(spread)
        axis = vectors[:, 1]
        if values[0] > 0 and values[1] > 9 * values[0]:
            cosine = float(axis @ normal)
            if abs(cosine) > np.cos(np.radians(12)):
                length_axis = axis / cosine  # one unit across the bars per unit of u
    u = (points - centre) @ normal
    v = (points - centre) @ along_bars
    pad_u, pad_v = 3 * _TILE * factor, 0.5 * _TILE * factor
    u0, u1 = u.min() - pad_u, u.max() + pad_u
    v0, v1 = v.min() - pad_v, v.max() + pad_v
    width, height = int(u1 - u0), int(v1 - v0)
    if width < 60 or height < 8 or width * height > 6_000_000:
        return None
    origin = centre + u0 * length_axis + v0 * along_bars
    # PIL's affine maps output (u, v) to input (x, y) = (a u + b v + c, d u + e v + f).
    coefficients = (
        float(length_axis[0]),
        float(along_bars[0]),
        float(origin[0]),
        float(length_axis[1]),
        float(along_bars[1]),
        float(origin[1]),
    )
    cut = work.transform(
        (width, height),
        Image.Transform.AFFINE,
        coefficients,
        Image.Resampling.BILINEAR,
        fillcolor=255,
    )
    return np.asarray(cut, dtype=np.float64)


def _profiles(cut: np.ndarray) -> list[np.ndarray]:
    """One averaged scan line per band of the rows that cross the bars."""
    across = np.abs(np.diff(cut, axis=1)).mean(axis=1)
    barred = np.flatnonzero(across > 0.5 * np.percentile(across, 90))
    if len(barred) < _BANDS * 2:
        return []
    first, last = barred[0], barred[-1] + 1
    edges = np.linspace(first, last, _BANDS + 1).astype(int)
    profiles = [cut[a:b].mean(axis=0) for a, b in itertools.pairwise(edges)]
    return profiles


def _as_image(profile: np.ndarray) -> Image.Image:
    low, high = np.percentile(profile, (2, 98))
    scaled = np.clip((profile - low) / max(high - low, 1e-6) * 255, 0, 255)
    # Doubled along the scan: zxing-cpp reads 2-px modules poorly, 4-px ones well.
    wide = np.interp(np.arange(2 * len(scaled)) / 2, np.arange(len(scaled)), scaled)
    return Image.fromarray(np.repeat(wide[None, :], 12, axis=0).astype(np.uint8))


def _barred_region(work: Image.Image) -> Image.Image:
    """The part of `work` around the patches of bars that may be linear symbols (all of it
    if none is found)."""
    small = _bounded(work, _FIND_PIXELS)
    frames = _symbol_frames(np.asarray(small))
    if not frames:
        return work
    factor = work.width / small.width
    parts = [centres * factor for _, centres in frames]
    for centres in list(parts):
        # Glare or blur may hide the ends of a long symbol from its patch: keep the whole
        # line the patch lies on.
        if len(centres) < 8:
            continue
        centre = centres.mean(axis=0)
        values, vectors = np.linalg.eigh(np.cov((centres - centre).T))
        if values[0] > 0 and values[1] > 9 * values[0]:
            reach = np.arange(-1, 1, 0.01)[:, None] * (work.width + work.height)
            line = centre + reach * vectors[:, 1]
            inside = (line >= 0).all(axis=1) & (line < (work.width, work.height)).all(axis=1)
            parts.append(line[inside])
    points = np.concatenate(parts)
    pad = 4 * _TILE * factor
    left, top = np.maximum(points.min(axis=0) - pad, 0)
    right, bottom = points.max(axis=0) + pad
    box = (int(left), int(top), min(work.width, int(right)), min(work.height, int(bottom)))
    return work.crop(box)


def _scanlines(gray: Image.Image) -> list[_Hit]:
    work = _bounded(gray, _WORK_PIXELS)
    small = _bounded(work, _FIND_PIXELS)
    factor = work.width / small.width
    pieces: list[_Hit] = []  # zbar's plain Code 128 reads: for the stack to weigh
    for peak, centres in _symbol_frames(np.asarray(small)):
        cut = _cut_upright(work, factor, peak, centres)
        if cut is None:
            continue
        # Set upright and level, the symbol is often read as it is, by either reader.
        image = Image.fromarray(np.clip(cut, 0, 255).astype(np.uint8))
        hits = _checked(_zxing_hits(image, _LA, _FORMATS, rotate=False, invert=False))
        if not hits:
            # zbar's plain Code 128 may be a piece of the symbol: believed as the stack
            # believes it, when its GS1 data checks out.
            hits = _checked(_pyzbar_hits(image, _ZBAR))
            pieces += [h for h in hits if _weak(h) and not _gs1_data_checks(h.symbol.text)]
            hits = [h for h in hits if not _weak(h) or _gs1_data_checks(h.symbol.text)]
        if hits:
            return hits + pieces
        profiles = _profiles(cut)
        if not profiles:
            continue
        n = len(profiles[0])
        votes: dict[str, set[int]] = collections.defaultdict(set)
        reads: dict[str, _Hit] = {}
        spectra = [np.fft.rfft(p - p.mean()) for p in profiles]
        for kind, size in _BLURS:
            if kind == "none":
                undo = np.ones(n // 2 + 1)
            else:
                response = np.fft.rfft(_kernel(kind, size, n))
                undo = np.conj(response) / (np.abs(response) ** 2 + _NOISE)
            for band, (profile, spectrum) in enumerate(zip(profiles, spectra, strict=True)):
                sharp = np.fft.irfft(spectrum * undo, n=n) + profile.mean()
                for hit in _checked(
                    _zxing_hits(_as_image(sharp), _LA, _FORMATS, rotate=False, invert=False)
                ):
                    votes[hit.symbol.text].add(band)
                    reads.setdefault(hit.symbol.text, hit)
            if len(votes) == 1 and len(next(iter(votes.values()))) >= 3:
                break  # three bands agree and nothing else was read: enough
        believed = _believed(votes, reads)
        if believed:
            return believed + pieces
    return pieces


def _believed(votes: dict[str, set[int]], reads: dict[str, _Hit]) -> list[_Hit]:
    """Reads two bands agree on, or whose GS1 check digits validate; none if two texts
    compete (two misreads of one symbol, and no way to tell which is right)."""
    kept = [
        reads[text]
        for text, bands in votes.items()
        if len(bands) >= 2 or _gs1_check(reads[text].symbol) == 1
    ]
    if len(votes) > 1:
        best = max(len(b) for b in votes.values())
        rivals = [t for t, b in votes.items() if len(b) == best]
        if len(rivals) > 1:
            return []
        kept = [reads[rivals[0]]] if reads[rivals[0]] in kept else []
    return kept
