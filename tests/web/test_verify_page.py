"""A consumer scans the QR printed on a bottle cap: the label PDF is rasterised as a printer would,
the QR decoded back to its Digital Link URL, and that URL opened on a phone. The verify page is in
Chinese, counts earlier verifications, switches to English in one tap, and asks nothing of any
other host."""

from __future__ import annotations

import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from app.codes.decode import decode_image
from app.config import get_settings
from tests.conftest import LiveServer
from tests.web.conftest import BEER_GTIN, PHONE, LocalOnly, new_context
from tests.web.test_phone import shoot
from tests.web.test_screenshots import SIZES, no_sideways_scroll

pytestmark = pytest.mark.browser


def _admin(server: LiveServer) -> dict[str, str]:
    return {"Authorization": f"Bearer {server.tokens['admin']}"}


def _issue(server: LiveServer, level: str) -> dict[str, object]:
    r = httpx.post(
        f"{server.base_url}/api/v1/code-batches",
        headers=_admin(server),
        json={"gtin": BEER_GTIN, "region_code": "370100", "quantity": 1, "level": level},
        timeout=30,
    )
    assert r.status_code == 201, r.text
    batch: dict[str, object] = r.json()
    return batch


def printed_bottle_url(server: LiveServer, tmp: Path) -> tuple[str, dict[str, str]]:
    """Issue a bottle code packed into a Jinan carton, print its cap label (item_qr), and read
    the QR back from the rasterised page: the URL a phone's camera would open, and the code."""
    carton = _issue(server, "carton")
    bottle = _issue(server, "item")
    code: dict[str, str] = bottle["codes"][0]  # type: ignore[index]
    carton_serial = carton["codes"][0]["serial"]  # type: ignore[index]
    r = httpx.post(
        f"{server.base_url}/api/v1/cartons/{carton_serial}/items",
        headers=_admin(server),
        json={"payloads": [code["payload"]]},
        timeout=30,
    )
    assert r.status_code == 200, r.text
    pdf = httpx.get(
        f"{server.base_url}/api/v1/code-batches/{bottle['id']}/labels.pdf",
        params={"layout": "item_qr"},
        headers=_admin(server),
        timeout=30,
    )
    assert pdf.status_code == 200, pdf.text
    assert pdf.headers["content-type"] == "application/pdf"
    (tmp / "caps.pdf").write_bytes(pdf.content)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "300", "-singlefile", str(tmp / "caps.pdf"), str(tmp / "caps")],
        check=True,
    )
    found = [s for s in decode_image((tmp / "caps.png").read_bytes()) if s.symbology == "QRCode"]
    assert len(found) == 1, found
    return found[0].text, code


@pytest.fixture(scope="module")
def bottle(live_server: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The decoded URL with its host swapped for the test server's: the path and query are
    what the label carries for the page; the printed host is the brand's CG_DIGITAL_LINK_BASE."""
    url, code = printed_bottle_url(live_server, tmp_path_factory.mktemp("caps"))
    assert url == code["payload"]
    printed, base = urlsplit(url), urlsplit(get_settings().digital_link_base)
    assert (printed.scheme, printed.netloc) == (base.scheme, base.netloc)
    assert printed.path == f"/01/{BEER_GTIN}/21/{code['serial']}" and printed.query
    return f"{live_server.base_url}{printed.path}?{printed.query}"


def _text(page: Page) -> str:
    return page.locator("main").inner_text()


def test_a_scanned_cap_label_opens_the_chinese_verify_page_on_a_phone(
    browser: Browser, live_server: LiveServer, bottle: str
) -> None:
    ctx = new_context(browser, viewport=PHONE, is_mobile=True, has_touch=True)
    watch = LocalOnly(ctx, live_server.base_url)
    try:
        page = ctx.new_page()
        page.goto(bottle)
        expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
        expect(page.locator("h1")).to_have_text("✓ 正品")
        expect(page.locator(".mark")).to_have_text("专供济南市地区销售")
        assert "这是此码第一次被验证。" in _text(page)
        assert page.title() == "产品验证"
        no_sideways_scroll(page)
        # The same bottle scanned again: the page says how often and since when.
        page.goto(bottle)
        expect(page.locator("main")).to_contain_text("此码此前已被验证 1 次，首次验证于")
        expect(page.locator("h1")).to_have_text("✓ 正品")
        no_sideways_scroll(page)
        shoot(page, "verify-phone")
        # English is one tap away, with the same facts (and this is the third verification).
        page.locator(".lang a").tap()
        expect(page.locator("html")).to_have_attribute("lang", "en")
        expect(page.locator("h1")).to_have_text("✓ Genuine")
        expect(page.locator(".mark")).to_have_text("For sale in 济南市 only")
        expect(page.locator("main")).to_contain_text("verified 2 times before")
        # A code verified this often is flagged as possibly copied.
        page.goto(bottle)
        expect(page.locator(".warn")).to_contain_text("复制")
        expect(page.locator(".lang a")).to_have_text("English")
        # A copied URL whose region was edited is not genuine, in Chinese too.
        page.goto(bottle.replace("91=370100", "91=371500"))
        expect(page.locator("h1")).to_have_text("✗ 非正品")
        assert "专供" not in _text(page)
    finally:
        ctx.close()
    watch.check()
    pages = [u for u in watch.requests if urlsplit(u).path.startswith("/01/")]
    assert len(pages) >= 5, watch.requests


def test_the_verify_page_on_a_desktop_screen(
    browser: Browser, live_server: LiveServer, bottle: str
) -> None:
    ctx = new_context(browser, viewport=SIZES["desktop"])
    watch = LocalOnly(ctx, live_server.base_url)
    try:
        page = ctx.new_page()
        page.goto(bottle)
        expect(page.locator("h1")).to_have_text("✓ 正品")
        expect(page.locator(".mark")).to_have_text("专供济南市地区销售")
        no_sideways_scroll(page)
        shoot(page, "verify-desktop")
    finally:
        ctx.close()
    watch.check()
