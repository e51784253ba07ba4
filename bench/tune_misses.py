"""Per-kind read rate of the photo decoder on the TUNE phone seeds only, each miss listed with
the camera's conditions (for tuning; never run this on held-out seeds).

Run: PYTHONPATH=$PWD .venv/bin/python -m bench.tune_misses [--seeds N] [--kind KIND]
"""

from __future__ import annotations

import argparse
import collections
import pickle
import statistics
import time
from pathlib import Path

from PIL import ImageFilter

from app.codes.decode import decode_grayscale, open_grayscale
from bench import phone_photos
from bench.phone_photos import TUNE_SEEDS, PhonePhoto, render

CACHE = Path("/tmp/cg-phone-tune")


def _render_with_shake_direction(seed: int) -> tuple[PhonePhoto, str]:
    """The photo and its shake direction (the generator draws it but does not report it)."""
    seen: list[str] = []
    original = ImageFilter.Kernel

    def spy(size, kernel, scale=None, offset=0):  # type: ignore[no-untyped-def]
        seen.append("sideways" if kernel[10] and kernel[11] else "diagonal")
        return original(size, kernel, scale, offset)

    phone_photos.ImageFilter.Kernel = spy  # type: ignore[misc]
    try:
        photo = render(seed)
    finally:
        phone_photos.ImageFilter.Kernel = original  # type: ignore[misc]
    return photo, seen[0] if seen else ""


def tune_photos(count: int) -> list[tuple[PhonePhoto, str]]:
    source = Path(phone_photos.__file__).read_bytes()
    import hashlib

    folder = CACHE / hashlib.sha256(source).hexdigest()[:12]
    folder.mkdir(parents=True, exist_ok=True)
    photos = []
    for seed in range(TUNE_SEEDS.start, TUNE_SEEDS.start + min(count, len(TUNE_SEEDS))):
        file = folder / f"{seed}.pickle"
        if file.exists():
            photos.append(pickle.loads(file.read_bytes()))
        else:
            one = _render_with_shake_direction(seed)
            file.write_bytes(pickle.dumps(one))
            photos.append(one)
    return photos


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, default=len(TUNE_SEEDS))
    parser.add_argument("--kind", default=None)
    args = parser.parse_args()
    per_kind: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0, 0])
    misses = []
    seconds = []
    for photo, direction in tune_photos(args.seeds):
        if args.kind and photo.kind != args.kind:
            continue
        gray = open_grayscale(photo.jpeg)
        start = time.perf_counter()
        texts = [s.text for s in decode_grayscale(gray)]
        seconds.append(time.perf_counter() - start)
        wrong = [t for t in texts if t not in photo.truths]
        read = bool(photo.truths & set(texts))
        row = per_kind[photo.kind]
        row[0] += 1
        row[1] += read
        row[2] += bool(wrong)
        if (photo.truths and not read) or wrong:
            c = dict(photo.conditions)
            misses.append((photo.seed, photo.kind, direction, c, wrong, seconds[-1]))
    for seed, kind, direction, c, wrong, took in misses:
        cond = " ".join(f"{k}={v:.1f}" for k, v in c.items() if v)
        print(
            f"miss {seed:>4} {kind:<18} {direction:<8} {cond} {1000 * took:.0f}ms"
            + (f" WRONG {wrong!r}" if wrong else "")
        )
    print(f"\n{'kind':<20}{'images':>7}{'read':>6}{'rate':>8}{'wrong':>6}")
    total = [0, 0, 0]
    for kind, (n, r, w) in sorted(per_kind.items()):
        with_truth = n if kind != "none" else 0
        rate = f"{100 * r / with_truth:.1f}%" if with_truth else "-"
        print(f"{kind:<20}{n:>7}{r:>6}{rate:>8}{w:>6}")
        total = [total[0] + with_truth, total[1] + r, total[2] + w]
    print(
        f"{'all with a symbol':<20}{total[0]:>7}{total[1]:>6}"
        f"{100 * total[1] / max(total[0], 1):7.1f}%{total[2]:>6}"
    )
    ordered = sorted(seconds)
    print(
        f"median {1000 * statistics.median(seconds):.0f} ms, "
        f"p95 {1000 * ordered[int(0.95 * len(ordered))]:.0f} ms"
    )


if __name__ == "__main__":
    main()
