"""Photo decoding on the barcode corpus (tests/data): reads per set and time per image, per decoder.

Run: .venv/bin/python -m bench.bench_decode [--repeat N]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

from app.codes.decode import (
    DecodedSymbol,
    decode_grayscale,
    open_grayscale,
    pyzbar_symbols,
    zxing_symbols,
)

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "data" / "barcodes"
NO_BARCODES = "falsepositives-1"
_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".gif")

Decoder = Callable[[Image.Image], list[DecodedSymbol]]
DECODERS: dict[str, Decoder] = {
    "pyzbar": pyzbar_symbols,
    "zxing-cpp": zxing_symbols,
    "stack": decode_grayscale,
}


@dataclass(frozen=True)
class Sample:
    """One corpus image and the exact content expected from it (None: no barcode at all)."""

    set_name: str
    path: Path
    expected: str | None


@dataclass
class SetScore:
    """Reads of one decoder on one set."""

    images: int = 0
    read: int = 0
    false_positives: int = 0
    """Images of the no-barcode set where the decoder claimed a symbol."""
    other_reads: int = 0
    """Symbols reported besides the expected one (wrong content or a second symbol)."""
    seconds: list[float] = field(default_factory=list)


def corpus(root: Path = CORPUS) -> Iterator[Sample]:
    """Every image with a `.txt` (exact expected content) plus every no-barcode image."""
    if not root.is_dir():
        raise FileNotFoundError(
            f"barcode corpus not found at {root} (tests/data/barcodes in the repository)"
        )
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        for path in sorted(folder.iterdir()):
            if path.suffix.lower() not in _IMAGE_SUFFIXES:
                continue
            expected_file = path.with_suffix(".txt")
            if folder.name == NO_BARCODES:
                yield Sample(folder.name, path, None)
            elif expected_file.exists():
                # Images with only a .bin (binary payload) are left out, as the README allows.
                yield Sample(folder.name, path, expected_file.read_bytes().decode("utf-8"))


def load(sample: Sample) -> Image.Image:
    """The image as the service sees it (GIF is not accepted upstream, so open it directly)."""
    data = sample.path.read_bytes()
    if sample.path.suffix.lower() == ".gif":
        return Image.open(sample.path).convert("L")
    return open_grayscale(data)


def score(samples: list[Sample], decoder: Decoder, repeat: int = 1) -> dict[str, SetScore]:
    """Per-set reads, false positives and per-image decode times of one decoder."""
    scores: dict[str, SetScore] = {}
    for sample in samples:
        gray = load(sample)
        s = scores.setdefault(sample.set_name, SetScore())
        for _ in range(repeat):
            start = time.perf_counter()
            found = decoder(gray)
            s.seconds.append(time.perf_counter() - start)
        texts = [symbol.text for symbol in found]
        s.images += 1
        if sample.expected is None:
            s.false_positives += bool(texts)
            s.other_reads += len(texts)
        else:
            s.read += sample.expected in texts
            s.other_reads += sum(text != sample.expected for text in texts)
    return scores


def _ms(seconds: list[float], q: float) -> float:
    ordered = sorted(seconds)
    return 1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    """Print reads per set for each decoder, then decode time per image."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=1, help="decode each image N times")
    args = parser.parse_args()
    samples = list(corpus())
    results = {name: score(samples, fn, args.repeat) for name, fn in DECODERS.items()}
    sets = sorted({s.set_name for s in samples})
    names = list(DECODERS)
    print(f"corpus: {CORPUS} ({len(samples)} images)")
    print(f"{'set':<24}{'images':>7}" + "".join(f"{n:>12}" for n in names) + "   other reads")
    totals = dict.fromkeys(names, 0)
    for set_name in sets:
        row = [results[n][set_name] for n in names]
        cells = "".join(
            f"{(r.false_positives if set_name == NO_BARCODES else r.read):>12}" for r in row
        )
        extra = " / ".join(str(r.other_reads) for r in row)
        label = f"{set_name} (FP)" if set_name == NO_BARCODES else set_name
        print(f"{label:<24}{row[0].images:>7}{cells}   {extra}")
        for n in names:
            totals[n] += results[n][set_name].read
    with_text = sum(s.expected is not None for s in samples)
    print(
        f"{'total read':<24}{with_text:>7}"
        + "".join(f"{totals[n]:>7} {100 * totals[n] / with_text:3.0f}%" for n in names)
    )
    print("\ndecode time per image (grayscale already in memory), ms")
    print(f"{'decoder':<12}{'median':>9}{'p95':>9}{'max':>9}{'total s':>9}")
    for n in names:
        secs = [t for r in results[n].values() for t in r.seconds]
        print(
            f"{n:<12}{1000 * statistics.median(secs):>9.1f}{_ms(secs, 0.95):>9.1f}"
            f"{1000 * max(secs):>9.1f}{sum(secs):>9.2f}"
        )


if __name__ == "__main__":
    main()
