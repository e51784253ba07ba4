"""Photo decoding: reads, false positives and time per image, per decoder, on photos the stack
was tuned on and on photos it never saw.

Two sources, each split in a half for tuning and a half held out:
- the barcode corpus (tests/data), split by a fixed hash of each file's name;
- phone-like renderings of our own labels (bench/phone_photos.py), split by seed range.

A false positive (a wrong read) is a photo with any read whose text is not a truth of that
photo.

Each half is scored twice: over all its images, and over the images whose expected symbology is
one we print (QR, DataMatrix, GS1-128, EAN/UPC), the target's own measure. The rule:
- corpus: the folder names the symbology; qrcode-*, datamatrix-*, code128-* (GS1-128 is a
  Code 128 symbol and the same reader reads both; the corpus does not mark which carry FNC1),
  ean13-*, ean8-*, upca-*, upce-* count, and itf-* only where the expected text is 14 digits
  (ITF-14). Every other folder (other ITF lengths, rssexpanded = GS1 DataBar Expanded, ...)
  does not count, nor do the no-barcode photos (falsepositives-1), which have no symbology.
- phone renderings: every label kind counts (all are ours), the no-barcode kind does not.
The all-images rate is still printed beside it, with the wrong reads of both.

Run: .venv/bin/python -m bench.bench_decode [--repeat N] [--phone N] [--corpus-only]
"""

from __future__ import annotations

import argparse
import hashlib
import json
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
from bench.phone_photos import HELD_OUT_SEEDS, TUNE_SEEDS, render

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "data" / "barcodes"
NO_BARCODES = "falsepositives-1"
# Corpus images whose .txt names one symbol but that visibly show another real one: the
# upstream truth of the two EAN shots is the number of a different book, and the double QR
# carries a second, outer code. Reading what is printed is not a false positive.
_ALSO_SHOWN = {
    "ean13-2/23.webp": "9784872348880",
    "ean13-2/28.webp": "9784872348880",
    "qrcode-2/16.webp": "[外側QRコード]",  # prefix: the outer code's text is long
}
# Corpus folder prefixes (before "-N") of the symbologies we print; ITF separately, as ITF-14.
PRINTED_FOLDERS = frozenset({"qrcode", "datamatrix", "code128", "ean13", "ean8", "upca", "upce"})
ITF_FOLDER = "itf"
PRINTED_RULE = (
    "printed = expected symbology is QR, DataMatrix, Code 128 (GS1-128), EAN/UPC or ITF-14 "
    "(itf-* only with a 14-digit expected text); no-barcode photos are not in it"
)
PHONE_CACHE = Path("/tmp/cg-phone-photos")
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
    data: bytes | None = None
    """The photo's bytes when it is not a file (a rendering)."""
    truths: frozenset[str] = frozenset()
    """Every text a reader may rightly return; `expected` among them."""
    half: str = ""
    """'tune' or 'held-out'."""

    def is_truth(self, text: str) -> bool:
        if text == self.expected or text in self.truths:
            return True
        shown = _ALSO_SHOWN.get(f"{self.set_name}/{self.path.name}")
        return shown is not None and text.startswith(shown)

    @property
    def printed(self) -> bool:
        """Whether its expected symbology is one we print (the module docstring's rule)."""
        if self.expected is None:
            return False
        if self.set_name.startswith("phone:"):
            return True  # renderings of our own labels; the no-barcode kind has no expected
        family = self.set_name.rsplit("-", 1)[0]
        if family == ITF_FOLDER:
            return len(self.expected) == 14 and self.expected.isdecimal()
        return family in PRINTED_FOLDERS


@dataclass(frozen=True)
class Outcome:
    """What one decoder made of one image."""

    sample: Sample
    read: bool
    """The expected text was among the reads."""
    wrong: bool
    """Some read is not a truth of the image."""


@dataclass
class SetScore:
    """Reads of one decoder on one set."""

    images: int = 0
    read: int = 0
    false_positives: int = 0
    """Images with any read whose text is not a truth of that image."""
    other_reads: int = 0
    """Symbols reported besides the expected one (wrong content or a second symbol)."""
    seconds: list[float] = field(default_factory=list)
    wrong_texts: list[tuple[str, list[str]]] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)


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
            half = corpus_half(f"{folder.name}/{path.name}")
            if folder.name == NO_BARCODES:
                yield Sample(folder.name, path, None, half=half)
            elif expected_file.exists():
                # Images with only a .bin (binary payload) are left out, as the README allows.
                expected = expected_file.read_bytes().decode("utf-8")
                yield Sample(folder.name, path, expected, truths=frozenset({expected}), half=half)


def corpus_half(name: str) -> str:
    """'tune' or 'held-out' for a corpus file, by a fixed hash of its name (folder/file)."""
    return "tune" if hashlib.sha256(name.encode()).digest()[0] % 2 == 0 else "held-out"


def phone_photos(seeds: range, half: str, cache: Path | None = PHONE_CACHE) -> Iterator[Sample]:
    """Renderings of our labels, one per seed; kept in `cache` (keyed by the generator's
    source) since rendering costs more than decoding."""
    source = Path(__file__).with_name("phone_photos.py").read_bytes()
    folder = cache / hashlib.sha256(source).hexdigest()[:12] if cache else None
    for seed in seeds:
        path = Path(f"phone/{seed}.jpg")
        jpeg_file = folder / f"{seed}.jpg" if folder else None
        meta_file = folder / f"{seed}.json" if folder else None
        if jpeg_file and meta_file and jpeg_file.exists() and meta_file.exists():
            data = jpeg_file.read_bytes()
            meta = json.loads(meta_file.read_text())
            kind, truths = meta["kind"], frozenset(meta["truths"])
        else:
            photo = render(seed)
            data, kind, truths = photo.jpeg, photo.kind, photo.truths
            if folder and jpeg_file and meta_file:
                folder.mkdir(parents=True, exist_ok=True)
                jpeg_file.write_bytes(data)
                meta_file.write_text(json.dumps({"kind": kind, "truths": sorted(truths)}))
        expected = next(iter(truths), None)
        yield Sample(f"phone:{kind}", path, expected, data=data, truths=truths, half=half)


def load(sample: Sample) -> Image.Image:
    """The image as the service sees it (GIF is not accepted upstream, so open it directly)."""
    if sample.data is not None:
        return open_grayscale(sample.data)
    data = sample.path.read_bytes()
    if sample.path.suffix.lower() == ".gif":
        return Image.open(sample.path).convert("L")
    return open_grayscale(data)


def score(samples: list[Sample], decoder: Decoder, repeat: int = 1) -> dict[str, SetScore]:
    """Per-set reads, false positives and per-image decode times of one decoder."""
    return score_all(samples, {"one": decoder}, repeat)["one"]


def score_all(
    samples: list[Sample], decoders: dict[str, Decoder], repeat: int = 1
) -> dict[str, dict[str, SetScore]]:
    """`score` for several decoders, taking turns on each image so that the machine's load
    weighs on each decoder's times alike."""
    scores: dict[str, dict[str, SetScore]] = {name: {} for name in decoders}
    for sample in samples:
        gray = load(sample)
        for name, decoder in decoders.items():
            s = scores[name].setdefault(sample.set_name, SetScore())
            for _ in range(repeat):
                start = time.perf_counter()
                found = decoder(gray)
                s.seconds.append(time.perf_counter() - start)
            texts = [symbol.text for symbol in found]
            wrong = [text for text in texts if not sample.is_truth(text)]
            s.images += 1
            s.false_positives += bool(wrong)
            s.other_reads += len(wrong)
            read = sample.expected is not None and sample.expected in texts
            s.read += read
            s.outcomes.append(Outcome(sample, read, bool(wrong)))
            if wrong:
                s.wrong_texts.append((str(sample.path), wrong))
    return scores


def _ms(seconds: list[float], q: float) -> float:
    ordered = sorted(seconds)
    return 1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _merge(parts: list[dict[str, SetScore]]) -> dict[str, SetScore]:
    merged: dict[str, SetScore] = {}
    for part in parts:
        for set_name, one in part.items():
            m = merged.setdefault(set_name, SetScore())
            m.images += one.images
            m.read += one.read
            m.false_positives += one.false_positives
            m.other_reads += one.other_reads
            m.seconds += one.seconds
            m.wrong_texts += one.wrong_texts
            m.outcomes += one.outcomes
    return merged


@dataclass(frozen=True)
class Rate:
    """Reads over images with an expected text, and photos with a wrong read, of a subset."""

    read: int
    with_truth: int
    images: int
    wrong: int

    def cell(self) -> str:
        percent = 100 * self.read / self.with_truth if self.with_truth else float("nan")
        return f"{self.read:>4}/{self.with_truth:<4}{percent:5.1f}%{self.wrong:>4}"


def rate(scores: dict[str, SetScore], printed_only: bool = False) -> Rate:
    """All images, or only those of a symbology we print (`Sample.printed`)."""
    outcomes = [
        o for s in scores.values() for o in s.outcomes if o.sample.printed or not printed_only
    ]
    return Rate(
        read=sum(o.read for o in outcomes),
        with_truth=sum(o.sample.expected is not None for o in outcomes),
        images=len(outcomes),
        wrong=sum(o.wrong for o in outcomes),
    )


def _groups(phone: int, corpus_only: bool) -> dict[str, list[Sample]]:
    samples = list(corpus())
    groups = {
        "corpus tune": [s for s in samples if s.half == "tune"],
        "corpus held-out": [s for s in samples if s.half == "held-out"],
    }
    if not corpus_only:
        tune = range(TUNE_SEEDS.start, TUNE_SEEDS.start + min(phone, len(TUNE_SEEDS)))
        held = range(HELD_OUT_SEEDS.start, HELD_OUT_SEEDS.start + min(phone, len(HELD_OUT_SEEDS)))
        groups["phone tune"] = list(phone_photos(tune, "tune"))
        groups["phone held-out"] = list(phone_photos(held, "held-out"))
    return groups


def main() -> None:
    """Print reads per set for each decoder, then the tune / held-out summary with times."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=1, help="decode each image N times")
    parser.add_argument("--phone", type=int, default=240, help="phone photos per half")
    parser.add_argument("--corpus-only", action="store_true", help="no phone renderings")
    parser.add_argument("--show-wrong", action="store_true", help="list each false positive")
    args = parser.parse_args()
    groups = _groups(args.phone, args.corpus_only)
    names = list(DECODERS)
    # results[group][decoder][set]
    results = {g: score_all(samples, DECODERS, args.repeat) for g, samples in groups.items()}
    per_set = {n: _merge([results[g][n] for g in groups]) for n in names}
    sets = sorted(per_set["stack"])
    print(f"{'set':<24}{'images':>7}" + "".join(f"{n:>12}" for n in names) + "   false positives")
    for set_name in sets:
        row = [per_set[n][set_name] for n in names]
        cells = "".join(f"{r.read:>12}" for r in row)
        extra = " / ".join(str(r.false_positives) for r in row)
        print(f"{set_name:<24}{row[0].images:>7}{cells}   {extra}")
    print("\nper half: read rate (images with a truth), false-positive photos, median ms per image")
    head = "".join(f"{n + ' read':>15}{'FP':>4}{'ms':>7}" for n in names)
    print(f"{'half':<17}{'images':>7}{head}{'stack/zxing':>13}")
    for g, samples in groups.items():
        with_truth = sum(s.expected is not None for s in samples)
        cells = ""
        medians = {}
        for n in names:
            scores = results[g][n].values()
            read = sum(s.read for s in scores)
            fps = sum(s.false_positives for s in scores)
            medians[n] = 1000 * statistics.median(t for s in scores for t in s.seconds)
            cells += f"{read:>7} {100 * read / with_truth:5.1f}%{fps:>4}{medians[n]:>7.1f}"
        ratio = medians["stack"] / medians["zxing-cpp"]
        print(f"{g:<17}{len(samples):>7}{cells}{ratio:>12.2f}x")
    print("\nper half: read rate over all images and over the symbologies we print only, with")
    print("photos with a wrong read (W) in each; " + PRINTED_RULE)
    columns = f"{'all images':<15}{'W':>4}    {'printed only':<15}{'W':>4}"
    print(f"{'half':<17}{'decoder':<11}  {columns}")
    for g in groups:
        for n in names:
            everything, printed = rate(results[g][n]), rate(results[g][n], printed_only=True)
            print(f"{g:<17}{n:<11}  {everything.cell()}    {printed.cell()}")
    if args.show_wrong:
        for n in names:
            for set_name, one in per_set[n].items():
                for path, wrong in one.wrong_texts:
                    print(f"false positive: {n} {set_name} {path} {wrong!r}")
    print("\ndecode time per image (grayscale already in memory), ms, all halves")
    print(f"{'decoder':<12}{'median':>9}{'p95':>9}{'max':>9}{'total s':>9}")
    for n in names:
        secs = [t for r in per_set[n].values() for t in r.seconds]
        print(
            f"{n:<12}{1000 * statistics.median(secs):>9.1f}{_ms(secs, 0.95):>9.1f}"
            f"{1000 * max(secs):>9.1f}{sum(secs):>9.2f}"
        )


if __name__ == "__main__":
    main()
