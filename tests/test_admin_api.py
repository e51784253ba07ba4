"""What the admin pages rely on: each region's label colour, a search box over every master-data
list, editing sub-customers, and a code batch that answers at once and shows its progress. Only
the admin role may change anything."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from app.codes.gs1 import issue_code
from app.codes.labels import LabelData, render_labels_pdf
from app.common.signing import SigningKeys
from tests.conftest import Api

LAGER = "06901234560015"


def test_a_region_keeps_its_label_colour_and_refuses_what_is_not_one(api: Api) -> None:
    body = {"code": "370199", "name": "济南高新区", "kind": "stronghold", "parent_code": "370100"}
    r = api.post("admin", "/api/v1/regions", json={**body, "colour": "#1a7f37"})
    assert r.status_code == 201, r.text
    assert r.json()["colour"] == "#1A7F37"
    assert api.get("admin", "/api/v1/regions/370199").json()["colour"] == "#1A7F37"
    # The demo gives Jinan its own colour.
    assert api.get("admin", "/api/v1/regions/370100").json()["colour"] == "#C0392B"

    r = api.patch("admin", "/api/v1/regions/370199", json={"colour": "#0000FF"})
    assert r.status_code == 200 and r.json()["colour"] == "#0000FF"
    r = api.patch("admin", "/api/v1/regions/370199", json={"name": "高新区"})
    assert r.json()["colour"] == "#0000FF"  # a patch without colour leaves it
    r = api.patch("admin", "/api/v1/regions/370199", json={"colour": None})
    assert r.status_code == 200 and r.json()["colour"] is None

    for bad in ("red", "#12345", "#1234567", "#GGGGGG", "1A7F37"):
        r = api.patch("admin", "/api/v1/regions/370199", json={"colour": bad})
        assert r.status_code == 422, bad
        assert r.json()["detail"][0]["loc"][-1] == "colour"
    r = api.patch("auditor", "/api/v1/regions/370199", json={"colour": "#000000"})
    assert r.status_code == 403


@pytest.mark.parametrize(
    ("path", "q", "key", "expected"),
    [
        ("/api/v1/regions", "济南", "code", {"370100"}),
        ("/api/v1/regions", "371500", "code", {"371500"}),
        ("/api/v1/distributors", "d-371500-1", "code", {"D-371500-1"}),
        ("/api/v1/salespeople", "SP-370100", "code", {"SP-370100"}),
        ("/api/v1/checkpoints", "聊城", "code", {"LC-G3"}),
        ("/api/v1/sub-customers", "SC-370100-W", "code", {"SC-370100-W1", "SC-370100-W2"}),
        ("/api/v1/products", LAGER, "gtin", {LAGER}),
    ],
)
def test_every_master_data_list_searches_names_and_codes(
    api: Api, path: str, q: str, key: str, expected: set[str]
) -> None:
    everything = api.get("admin", path, params={"limit": 500}).json()
    r = api.get("admin", path, params={"q": q, "limit": 500})
    assert r.status_code == 200, r.text
    page = r.json()
    assert {x[key] for x in page["items"]} == expected
    assert page["total"] == len(expected) < everything["total"]


def test_search_text_is_literal_and_bounded(api: Api) -> None:
    # LIKE's wildcards are plain characters in a search: "%" matches no region name.
    r = api.get("admin", "/api/v1/regions", params={"q": "%"})
    assert r.status_code == 200 and r.json()["total"] == 0
    r = api.get("admin", "/api/v1/regions", params={"q": "_"})
    assert r.status_code == 200 and r.json()["total"] == 0
    # Names are matched whatever the case of the search.
    r = api.get("admin", "/api/v1/distributors", params={"q": "D-370100"})
    lower = api.get("admin", "/api/v1/distributors", params={"q": "d-370100"})
    assert r.json()["total"] == lower.json()["total"] >= 1
    assert api.get("admin", "/api/v1/regions", params={"q": "x" * 101}).status_code == 422
    assert api.get("admin", "/api/v1/regions", params={"q": "a\x00b"}).status_code == 422
    # A distributor's search stays within what it may see.
    mine = api.get("jinan-distributor", "/api/v1/distributors", params={"q": "D-"}).json()
    assert [d["code"] for d in mine["items"]] == ["D-370100-1"]


def test_admin_corrects_a_sub_customer_and_nobody_else_may(api: Api) -> None:
    path = "/api/v1/sub-customers/SC-370100-R1"
    r = api.patch(
        "admin",
        path,
        json={"name": "济南市泉城便利店", "tier": "terminal_wholesale", "contact": "0531-1234"},
    )
    assert r.status_code == 200, r.text
    got = r.json()
    assert (got["name"], got["tier"], got["contact"]) == (
        "济南市泉城便利店",
        "terminal_wholesale",
        "0531-1234",
    )
    assert got["region_code"] == "370100" and got["status"] == "approved"
    assert api.get("admin", path).json()["name"] == "济南市泉城便利店"

    r = api.patch("admin", path, json={"lat": 36.6, "lon": 117.0})
    assert r.status_code == 200 and (r.json()["lat"], r.json()["lon"]) == (36.6, 117.0)
    assert api.patch("admin", path, json={"lat": 36.6}).status_code == 422
    assert api.patch("admin", path, json={"region_code": "371500"}).status_code == 422
    assert api.patch("admin", path, json={"name": ""}).status_code == 422
    assert api.patch("admin", "/api/v1/sub-customers/NOPE", json={"name": "x"}).status_code == 404
    # Its own distributor registers it but may not rewrite it; nor may the auditor.
    assert api.patch("jinan-distributor", path, json={"name": "x"}).status_code == 403
    assert api.patch("auditor", path, json={"name": "x"}).status_code == 403
    assert api.get("admin", path).json()["name"] == "济南市泉城便利店"


def test_a_batch_started_from_the_page_answers_at_once_and_completes(api: Api) -> None:
    body = {"gtin": LAGER, "region_code": "370100", "quantity": 25}
    r = api.post("admin", "/api/v1/code-batches/start", json=body)
    assert r.status_code == 202, r.text
    started = r.json()
    assert (started["status"], started["issued"], started["quantity"]) == ("issuing", 0, 25)
    assert started["codes"] is None
    # The test client runs the background work before it returns: the batch is done.
    done = api.get("admin", f"/api/v1/code-batches/{started['id']}").json()
    assert (done["status"], done["issued"]) == ("complete", 25)
    assert done["completed_at"] is not None
    codes = api.get("admin", f"/api/v1/code-batches/{started['id']}/codes").json()["items"]
    assert len({c["serial"] for c in codes}) == 25


def test_starting_a_batch_is_for_admins_and_checks_its_input_first(api: Api) -> None:
    before = api.get("admin", "/api/v1/code-batches").json()["total"]
    body = {"gtin": LAGER, "region_code": "370100", "quantity": 5}
    for user in ("auditor", "inspector", "jinan-distributor"):
        assert api.post(user, "/api/v1/code-batches/start", json=body).status_code == 403
    assert api.post(None, "/api/v1/code-batches/start", json=body).status_code == 401
    r = api.post("admin", "/api/v1/code-batches/start", json={**body, "region_code": "NOPE"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "region_code"
    r = api.post("admin", "/api/v1/code-batches/start", json={**body, "quantity": 0})
    assert r.status_code == 422
    assert api.get("admin", "/api/v1/code-batches").json()["total"] == before


# ---- the region colour on the printed label ---------------------------------------------------

KEYS = SigningKeys({"K7": bytes(range(1, 33))}, current="K7")


def _label(colour: str | None) -> LabelData:
    code = issue_code(gtin="6901234567892", region_code="370100", keys=KEYS)
    return LabelData(
        element_string=code.element_string,
        element_string_fnc1=code.element_string_fnc1,
        digital_link=code.digital_link("https://cg.example.com/c"),
        region_name="济南市",
        product_name="青岛啤酒 经典 500ml×12",
        gtin=code.gtin,
        serial=code.serial,
        region_colour=colour,
    )


def _page_image(pdf: bytes, tmp_path: Path) -> Image.Image:
    src, out = tmp_path / "l.pdf", tmp_path / "l"
    src.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "100", "-png", "-singlefile", str(src), str(out)], check=True)
    return Image.open(tmp_path / "l.png").convert("RGB")


def _band_colours(img: Image.Image) -> dict[tuple[int, int, int], int]:
    """Pixel colours of the label's top 6 mm (thermal label: the whole page is the label)."""
    band = img.crop((0, 0, img.width, round(6 / 25.4 * 100)))
    return {c: n for n, c in band.getcolors(maxcolors=1 << 16) or []}


@pytest.mark.parametrize(("colour", "ink"), [("#C0392B", (255, 255, 255)), ("#F1C40F", (0, 0, 0))])
def test_a_label_carries_its_region_colour_with_a_readable_mark(
    tmp_path: Path, colour: str, ink: tuple[int, int, int]
) -> None:
    img = _page_image(render_labels_pdf([_label(colour)], layout="thermal"), tmp_path)
    rgb = tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))
    seen = _band_colours(img)
    total = sum(seen.values())
    # Most of the band is the region's colour, and the mark is drawn in the contrasting ink.
    assert seen.get(rgb, 0) > 0.6 * total, sorted(seen.items(), key=lambda kv: -kv[1])[:3]
    assert seen.get(ink, 0) > 0.005 * total
    # Below the band the label is white paper, as before.
    assert img.getpixel((img.width - 5, img.height // 2)) == (255, 255, 255)


def test_a_label_without_a_region_colour_has_no_band(tmp_path: Path) -> None:
    img = _page_image(render_labels_pdf([_label(None)], layout="thermal"), tmp_path)
    seen = _band_colours(img)
    assert seen.get((255, 255, 255), 0) > 0.8 * sum(seen.values())


def test_labels_pdf_of_a_coloured_region_still_lists_every_page(api: Api) -> None:
    r = api.post(
        "admin",
        "/api/v1/code-batches",
        json={"gtin": LAGER, "region_code": "370100", "quantity": 6},
    )
    batch = r.json()["id"]
    pdf = api.get("admin", f"/api/v1/code-batches/{batch}/labels.pdf").content
    assert pdf.startswith(b"%PDF-")
    assert len(re.findall(rb"/Type /Page\b", pdf)) == 2  # four a sheet
