"""The admin's set-up page in a real browser: a new region with its label colour and boundary, its
salesperson, a distributor and a product, all by name; then a batch of codes for them watched to
the end and its labels downloaded as a PDF that carries the region's colour."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Browser, Page, expect

from app.demo import gtin
from tests.conftest import LiveServer
from tests.web.conftest import PHONE, Backend, Profiles, new_context, sign_in
from tests.web.test_phone import shoot
from tests.web.test_screenshots import SIZES, no_sideways_scroll

pytestmark = pytest.mark.browser

REGION, COLOUR, NEW_COLOUR = "379900", "#1a7f37", "#0055aa"
PRODUCT = gtin("0690123456999")
# A small square near Jinan, as a map tool exports it: a Feature, longitude first.
BOUNDARY = {
    "type": "Feature",
    "properties": {"name": "测试新区"},
    "geometry": {
        "type": "Polygon",
        "coordinates": [
            [[117.0, 36.5], [117.2, 36.5], [117.2, 36.7], [117.0, 36.7], [117.0, 36.5]]
        ],
    },
}


def open_admin(page: Page, server: LiveServer) -> None:
    """Sign in as admin (HQ's page), then follow the header link to the set-up page."""
    sign_in(page, server, "admin", lands_on="/hq")
    page.click("#nav-admin")
    page.wait_for_url(f"{server.base_url}/admin#regions")
    expect(page.locator("body")).to_have_attribute("data-ready", "true")


def tab(page: Page, kind: str) -> None:
    page.click(f"#kinds button[data-kind='{kind}']")
    expect(page.locator("#panel")).to_have_attribute("data-kind", kind)


def save(page: Page, flash: str) -> None:
    page.click("#save")
    expect(page.locator("#flash")).to_have_text(flash)
    expect(page.locator("#editor")).to_be_hidden()


def pdf_pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page\b", pdf))


def test_an_admin_sets_up_a_region_and_prints_its_coloured_labels(
    live_server: LiveServer, backend: Backend, profiles: Profiles, tmp_path: Path
) -> None:
    page = profiles.open(accept_downloads=True)
    open_admin(page, live_server)

    # The demo's regions by name, each with its colour mark; the search narrows the list.
    jinan = page.locator("#list tr[data-key='370100']")
    expect(jinan).to_contain_text("济南市")
    expect(jinan.locator(".mark-dot").first).to_have_attribute("data-colour", "#C0392B")
    page.fill("#search", "聊城")
    expect(page.locator("#list tbody tr")).to_have_count(1)
    expect(page.locator("#list tbody tr")).to_contain_text("聊城市")
    page.fill("#search", "没有这个地方")
    expect(page.locator("#list [data-empty='search']")).to_contain_text("没有这个地方")
    page.fill("#search", "")
    expect(jinan).to_be_visible()

    # A new region with its own label colour and a boundary pasted as GeoJSON.
    page.click("#add")
    page.fill("#f-code", REGION)
    page.fill("#f-name", "测试新区")
    page.select_option("#f-kind", "stronghold")
    page.select_option("#f-parent_code", label="山东省")
    page.uncheck("#f-colour-none")
    page.fill("#f-colour", COLOUR)
    page.fill("#f-boundary", json.dumps(BOUNDARY, ensure_ascii=False))
    save(page, "已创建：测试新区")
    region = backend.get("admin", f"/regions/{REGION}")
    assert region["colour"] == COLOUR.upper()
    assert region["parent_code"] == "370000"
    assert region["boundary"] == BOUNDARY["geometry"]

    # Edit it: a new colour, and the boundary it already has is left alone.
    page.fill("#search", REGION)
    page.locator(f"#list tr[data-key='{REGION}']").click()
    expect(page.locator("#editor-form")).to_have_attribute("data-mode", "edit")
    expect(page.locator("#f-code")).to_be_disabled()
    page.fill("#f-colour", NEW_COLOUR)
    save(page, "已保存：测试新区")
    region = backend.get("admin", f"/regions/{REGION}")
    assert (region["colour"], region["boundary"]) == (NEW_COLOUR.upper(), BOUNDARY["geometry"])
    expect(page.locator(f"#list tr[data-key='{REGION}'] .mark-dot").first).to_have_attribute(
        "data-colour", NEW_COLOUR.upper()
    )

    # Its salesperson, then a distributor for it: chosen by name, never typed as codes.
    tab(page, "salespeople")
    page.click("#add")
    page.fill("#f-code", "SP-379900")
    page.fill("#f-name", "王测试")
    page.select_option("#f-region_code", label="测试新区")
    save(page, "已创建：王测试")

    tab(page, "distributors")
    expect(page.locator("#list tr[data-key='D-370100-1']")).to_contain_text("济南市")
    page.click("#add")
    page.fill("#f-code", "D-379900-1")
    page.fill("#f-name", "测试新区酒水经销有限公司")
    page.select_option("#f-tier", "wholesale_1")
    page.select_option("#f-region_codes", label=["测试新区"])
    page.select_option("#f-salesperson_code", label="王测试 · 测试新区")
    page.fill("#f-agreement_signed_at", "2026-11-01")
    save(page, "已创建：测试新区酒水经销有限公司")
    dist = backend.get("admin", "/distributors/D-379900-1")
    assert (dist["region_codes"], dist["salesperson_code"]) == ([REGION], "SP-379900")
    assert dist["agreement_on_file"] is True
    row = page.locator("#list tr[data-key='D-379900-1']")
    expect(row).to_contain_text("测试新区")
    expect(row).to_contain_text("王测试")

    # A product with a price floor for wholesalers.
    tab(page, "products")
    page.click("#add")
    page.fill("#f-gtin", PRODUCT)
    page.fill("#f-name", "测试啤酒 330ml×24")
    page.fill("#f-units_per_carton", "24")
    page.fill("#f-carton_value", "72.00")
    page.fill("#f-price_floors-wholesale_1", "2.50")
    save(page, "已创建：测试啤酒 330ml×24")
    product = backend.get("admin", f"/products/{PRODUCT}")
    assert (product["carton_value"], product["price_floors"]) == ("72.00", {"wholesale_1": "2.50"})

    # Nine cartons' codes: the progress shows the batch issuing, then done at 9 of 9.
    tab(page, "codes")
    page.select_option("#batch-product", PRODUCT)
    page.select_option("#batch-region", REGION)
    expect(page.locator("#batch-mark")).to_contain_text("专供测试新区地区销售")
    page.fill("#batch-quantity", "9")
    page.click("#issue")
    state = page.locator("#batch-state")
    expect(state).to_have_attribute("data-status", "issuing")
    expect(state).to_have_attribute("data-status", "complete")
    expect(page.locator("#batch-bar")).to_have_js_property("value", 9)
    expect(page.locator("#batch-count")).to_contain_text("9 / 9")
    batch = backend.get("admin", "/code-batches", limit=1)["items"][0]
    assert (batch["region_code"], batch["gtin"], batch["status"]) == (REGION, PRODUCT, "complete")
    expect(page.locator(f"#batches tr[data-batch='{batch['id']}']")).to_contain_text("测试新区")

    # The labels: a PDF of three A4 sheets (four labels a sheet), in the region's colour.
    with page.expect_download() as got:
        page.click("#batch-done button[data-action='labels']")
    pdf = Path(got.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF-")
    assert pdf_pages(pdf) == 3
    assert got.value.suggested_filename == f"labels-{batch['id']}-a4-1.pdf"
    src, out = tmp_path / "labels.pdf", tmp_path / "sheet"
    src.write_bytes(pdf)
    args = ["-r", "50", "-png", "-singlefile", "-f", "1", "-l", "1"]
    subprocess.run(["pdftoppm", *args, str(src), str(out)], check=True)
    sheet = Image.open(tmp_path / "sheet.png").convert("RGB")
    mm = sheet.width / 210
    # 150 mm across, 3 mm into the first label (the column of labels starts 8.5 mm down).
    assert sheet.getpixel((round(150 * mm), round(11.5 * mm))) == (0x00, 0x55, 0xAA)

    # The same page in English, one tap away.
    page.click("#lang")
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    expect(page.locator("#kinds button[data-kind='regions']")).to_have_text("Regions")
    page.click("#lang")
    expect(page.locator("#kinds button[data-kind='regions']")).to_have_text("区域")


def test_the_page_is_for_admins_only(browser: Browser, live_server: LiveServer) -> None:
    ctx = new_context(browser)
    page = ctx.new_page()
    sign_in(page, live_server, "auditor", lands_on="/hq")
    expect(page.locator("#nav-admin")).to_be_hidden()
    page.goto(f"{live_server.base_url}/admin")
    page.wait_for_url(f"{live_server.base_url}/hq")
    ctx.close()


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_admin_pages_fit_and_are_photographed(
    browser: Browser, live_server: LiveServer, backend: Backend, size: str
) -> None:
    phone = size == "phone"
    viewport = PHONE if phone else SIZES[size]
    ctx = new_context(browser, viewport=viewport, is_mobile=phone, has_touch=phone)
    page = ctx.new_page()
    open_admin(page, live_server)
    expect(page.locator("#list tbody tr").first).to_be_visible()
    if phone:
        # A short list: three cities whose names end in 州, coloured or not.
        page.fill("#search", "州")
        expect(page.locator("#list tbody tr")).to_have_count(3)
    no_sideways_scroll(page)
    shoot(page, f"admin-{size}")

    page.fill("#search", "济南")
    expect(page.locator("#list tbody tr")).to_have_count(1)
    page.locator("#list tr[data-key='370100']").click()
    expect(page.locator("#f-boundary-summary")).to_contain_text("MultiPolygon")
    expect(page.locator("#editor-form")).to_have_attribute("data-mode", "edit")
    no_sideways_scroll(page)
    shoot(page, f"admin-edit-{size}")

    tab(page, "codes")
    page.select_option("#batch-region", "370100")
    page.fill("#batch-quantity", "12")
    page.click("#issue")
    expect(page.locator("#batch-state")).to_have_attribute("data-status", "complete")
    no_sideways_scroll(page)
    shoot(page, f"admin-codes-{size}")
    ctx.close()
