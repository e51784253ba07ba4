"""Label PDFs: printed symbols decode back to the exact codes (rasterised with pdftoppm)."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image, ImageChops

from app.codes.decode import DecodedSymbol, decode_image
from app.codes.gs1 import CartonCode, ParsedCarton, issue_code, parse_payload, verify
from app.codes.labels import (
    LabelData,
    Layout,
    region_mark,
    render_labels_pdf,
    write_labels_pdf,
)
from app.common.signing import SigningKeys

KEYS = SigningKeys({"K7": bytes(range(1, 33))}, current="K7")
BASE = "https://cg.example.com/c"


def _label(code: CartonCode, region_name: str = "华南") -> LabelData:
    return LabelData(
        element_string=code.element_string,
        element_string_fnc1=code.element_string_fnc1,
        digital_link=code.digital_link(BASE),
        region_name=region_name,
        product_name="青岛啤酒 经典 500ml×12",
        gtin=code.gtin,
        serial=code.serial,
    )


def _codes(n: int, region: str = "CN-GD_SZ") -> list[CartonCode]:
    return [issue_code(gtin="6901234567892", region_code=region, keys=KEYS) for _ in range(n)]


def _rasterise(pdf: bytes, tmp_path: Path) -> list[list[DecodedSymbol]]:
    """Each page at 300 dpi, as a printer would, decoded by the photo decoder."""
    (tmp_path / "labels.pdf").write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", "300", "-png", str(tmp_path / "labels.pdf"), str(tmp_path / "page")],
        check=True,
    )
    pages = sorted(tmp_path.glob("page-*.png"))
    return [decode_image(page.read_bytes()) for page in pages]


def _pdfinfo(pdf: bytes, tmp_path: Path) -> str:
    (tmp_path / "info.pdf").write_bytes(pdf)
    return subprocess.run(
        ["pdfinfo", str(tmp_path / "info.pdf")], check=True, capture_output=True, text=True
    ).stdout


def _assert_valid(text: str, code: CartonCode) -> None:
    parsed = parse_payload(text, allowed_hosts={"cg.example.com"})
    assert isinstance(parsed, ParsedCarton)
    assert parsed.serial == code.serial
    assert verify(parsed, keys=KEYS) == "valid"


def test_a4_sheet_labels_decode_to_digital_link_and_gs1_128(tmp_path: Path) -> None:
    codes = _codes(5)  # one full sheet of four, and one on a second sheet
    pdf = render_labels_pdf([_label(c) for c in codes], layout="a4")
    assert re.search(r"Pages:\s+2\b", _pdfinfo(pdf, tmp_path))
    symbols = [s for page in _rasterise(pdf, tmp_path) for s in page]
    by_kind: dict[tuple[str, str | None], set[str]] = {}
    for s in symbols:
        by_kind.setdefault((s.symbology, s.symbology_identifier), set()).add(s.text)
    assert by_kind[("QRCode", "]Q1")] == {c.digital_link(BASE) for c in codes}
    # The GS1-128 carries the raw element string, GS separators included, as GS1 (]C1).
    assert by_kind[("Code128", "]C1")] == {c.element_string_fnc1 for c in codes}
    for s in symbols:
        _assert_valid(s.text, next(c for c in codes if c.serial in s.text))


def test_thermal_labels_one_a_page_with_datamatrix_where_gs1_128_is_too_fine(
    tmp_path: Path,
) -> None:
    codes = _codes(3)
    pdf = render_labels_pdf([_label(c) for c in codes], layout="thermal")
    info = _pdfinfo(pdf, tmp_path)
    assert re.search(r"Pages:\s+3\b", info)
    assert re.search(r"Page size:\s+283\.46\d* x 198\.42\d* pts", info)  # 100 x 70 mm
    pages = _rasterise(pdf, tmp_path)
    for code, page in zip(codes, pages, strict=True):
        found = {(s.symbology, s.symbology_identifier): s.text for s in page}
        assert found == {
            ("QRCode", "]Q1"): code.digital_link(BASE),
            ("DataMatrix", "]d2"): code.element_string_fnc1,
        }
        for text in found.values():
            _assert_valid(text, code)


def test_long_region_code_falls_back_to_datamatrix_even_on_a4(tmp_path: Path) -> None:
    (code,) = _codes(1, region="R" * 40)
    (page,) = _rasterise(render_labels_pdf([_label(code)], layout="a4"), tmp_path)
    assert {s.symbology for s in page} == {"QRCode", "DataMatrix"}
    assert code.element_string_fnc1 in {s.text for s in page}


def test_region_mark_and_text_are_on_the_label(tmp_path: Path) -> None:
    (code,) = _codes(1)
    (tmp_path / "one.pdf").write_bytes(render_labels_pdf([_label(code, "西北")], layout="thermal"))
    text = subprocess.run(
        ["pdftotext", str(tmp_path / "one.pdf"), "-"], check=True, capture_output=True, text=True
    ).stdout
    assert region_mark("西北") == "专供西北地区销售"
    assert "专供西北地区销售" in text
    assert "青岛啤酒" in text
    assert code.serial in text
    assert code.element_string in text.replace("\n", "")


def _pdffonts(path: Path) -> dict[str, str]:
    """pdffonts' table: each font's name and its `emb` column."""
    out = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True, text=True)
    rows = [line.split() for line in out.stdout.splitlines()[2:] if line.strip()]
    # Columns from the right: emb sub uni, then the object id (two numbers).
    return {row[0]: row[-5] for row in rows}


@pytest.mark.parametrize("layout", ["a4", "thermal"])
def test_cjk_font_is_embedded_so_any_reader_or_printer_shows_it(
    tmp_path: Path, layout: Layout
) -> None:
    (code,) = _codes(1)
    path = tmp_path / "one.pdf"
    path.write_bytes(render_labels_pdf([_label(code, "济南市")], layout=layout))
    fonts = _pdffonts(path)
    cjk = {name: emb for name, emb in fonts.items() if "Helvetica" not in name}
    assert cjk, fonts  # the region mark and product name are set in a font of their own
    assert set(cjk.values()) == {"yes"}, fonts  # embedded: nothing left to the reader's fonts
    # Subset (reportlab's AAAAAA+ prefix): the font's few used glyphs, not its 5 MB.
    assert all("+" in name for name in cjk), fonts
    assert len(path.read_bytes()) < 60_000


def _mark_band(pdf: bytes, tmp_path: Path, stem: str) -> Image.Image:
    """The thermal label's top band (the region mark) rasterised at 150 dpi, greyscale."""
    (tmp_path / f"{stem}.pdf").write_bytes(pdf)
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            "150",
            "-gray",
            "-png",
            "-singlefile",
            str(tmp_path / f"{stem}.pdf"),
            str(tmp_path / stem),
        ],
        check=True,
    )
    page = Image.open(tmp_path / f"{stem}.png").convert("L")
    return page.crop((0, 0, page.width, round(22 / 72 * 150)))  # the top 22 pt


def _dark(image: Image.Image) -> int:
    return sum(1 for v in image.getdata() if v < 128)


def test_region_mark_prints_real_glyphs_not_boxes(tmp_path: Path) -> None:
    # A font the rasteriser cannot find prints every character as the same empty box (or as
    # nothing), so two marks of equal length but different characters look identical.
    (code,) = _codes(1)
    jinan = _mark_band(render_labels_pdf([_label(code, "济南")], layout="thermal"), tmp_path, "a")
    xibei = _mark_band(render_labels_pdf([_label(code, "西北")], layout="thermal"), tmp_path, "b")
    again = _mark_band(render_labels_pdf([_label(code, "济南")], layout="thermal"), tmp_path, "c")
    assert ImageChops.difference(jinan, again).getbbox() is None  # same text, same pixels
    assert _dark(jinan) > 500  # ink where the mark is
    diff = ImageChops.difference(jinan, xibei).point(lambda v: 255 if v > 128 else 0)
    assert _dark(ImageChops.invert(diff)) > 300, "the two region names rendered alike"


def test_labels_are_consumed_lazily_and_counted(tmp_path: Path) -> None:
    pulled = 0

    def labels() -> Iterator[LabelData]:
        nonlocal pulled
        for code in _codes(9):
            pulled += 1
            yield _label(code)

    with (tmp_path / "out.pdf").open("wb") as out:
        assert write_labels_pdf(labels(), out, layout="a4") == 9
    assert pulled == 9
    assert re.search(r"Pages:\s+3\b", _pdfinfo((tmp_path / "out.pdf").read_bytes(), tmp_path))


def test_no_labels_still_makes_a_valid_pdf(tmp_path: Path) -> None:
    pdf = render_labels_pdf([], layout="thermal")
    assert pdf.startswith(b"%PDF")
    assert re.search(r"Pages:\s+1\b", _pdfinfo(pdf, tmp_path))


@pytest.mark.parametrize("layout", ["a4", "thermal"])
def test_page_content_stays_small_per_label(layout: Layout) -> None:
    # Vectors in module units: about 2-3 KB of compressed PDF a label, no images.
    pdf = render_labels_pdf([_label(c) for c in _codes(40)], layout=layout)
    assert len(pdf) / 40 < 4_000
    assert b"/Subtype /Image" not in pdf
