"""A phone signed in by HQ's one-time QR code, and a scratched-off carton recorded on the phone:
Debian's chromium at phone size, over real HTTP, nothing loaded from another host."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.conftest import LiveServer
from tests.web.conftest import BEER_GTIN, DESKTOP, PHONE, Backend, new_context, sign_in
from tests.web.test_phone import SHOTS, LocalOnly, shoot
from tests.web.test_screenshots import no_sideways_scroll

pytestmark = pytest.mark.browser


@pytest.fixture
def contexts() -> Iterator[list[tuple[BrowserContext, LocalOnly]]]:
    """Browser profiles opened by the test, each checked for requests to other hosts."""
    made: list[tuple[BrowserContext, LocalOnly]] = []
    yield made
    for ctx, watch in made:
        ctx.close()
        watch.check()


def open_profile(
    made: list[tuple[BrowserContext, LocalOnly]],
    browser: Browser,
    server: LiveServer,
    *,
    phone: bool,
) -> Page:
    if phone:
        ctx = new_context(browser, viewport=PHONE, is_mobile=True, has_touch=True)
    else:
        ctx = new_context(browser, viewport=DESKTOP)
    made.append((ctx, LocalOnly(ctx, server.base_url)))
    return ctx.new_page()


def on_this_server(link: str, server: LiveServer) -> str:
    """The printed link points at CG_PUBLIC_BASE_URL; the test server listens elsewhere."""
    parts = urlsplit(link)
    return f"{server.base_url}{parts.path}#{parts.fragment}"


def test_hq_signs_a_phone_in_by_qr_code_and_revokes_it(
    browser: Browser, live_server: LiveServer, contexts: list[tuple[BrowserContext, LocalOnly]]
) -> None:
    hq = open_profile(contexts, browser, live_server, phone=False)
    sign_in(hq, live_server, "admin", lands_on="/hq")
    panel = hq.locator("#phone-signin")
    expect(panel).to_be_visible()
    hq.fill("#phone-user", "inspector")
    hq.click("#phone-form button[type=submit]")
    qr = panel.locator("img.qr")
    expect(qr).to_be_visible()
    expect(panel.locator("#phone-ticket")).to_contain_text("稽查员")
    # What a phone's camera sees: the QR code on HQ's screen holds the link HQ shows.
    seen = zxingcpp.read_barcodes(Image.open(io.BytesIO(qr.screenshot())))
    link = panel.locator("input.link").input_value()
    assert [s.text for s in seen] == [link]
    assert "/signin#ticket=" in link
    panel.screenshot(path=str(SHOTS / "hq-phone-signin-desktop.png"))

    phone = open_profile(contexts, browser, live_server, phone=True)
    phone.goto(on_this_server(link, live_server))
    phone.wait_for_url(f"{live_server.base_url}/inspector")
    expect(phone.locator("body")).to_have_attribute("data-ready", "true")
    expect(phone.locator("#who")).to_contain_text("inspector")
    token = phone.evaluate("localStorage.getItem('cg.token')")
    assert token and token != live_server.tokens["inspector"]

    # The same link on a second phone: refused, saying why, in Chinese.
    other = open_profile(contexts, browser, live_server, phone=True)
    other.goto(on_this_server(link, live_server))
    expect(other.locator("body")).to_have_attribute("data-link-error", "used")
    expect(other.locator("#link-error")).to_contain_text("已经用过")
    assert "ticket" not in other.url  # the ticket does not stay in the address bar
    no_sideways_scroll(other)
    shoot(other, "signin-link-used-phone")

    # HQ sees the phone and revokes it; the phone is sent back to sign in.
    hq.click("#phone-refresh")
    row = hq.locator("#phone-sessions li", has_text="inspector")
    expect(row).to_have_count(1)
    row.locator("button").click()
    expect(hq.locator("#phone-sessions li", has_text="inspector")).to_have_count(0)
    phone.reload()
    phone.wait_for_url(f"{live_server.base_url}/")
    assert phone.evaluate("localStorage.getItem('cg.token')") is None


def test_an_inspector_records_a_scratched_carton_and_hq_sees_it(
    browser: Browser,
    live_server: LiveServer,
    backend: Backend,
    contexts: list[tuple[BrowserContext, LocalOnly]],
) -> None:
    # A Jinan carton delivered to Jinan's distributor, one bottle code packed inside.
    (carton,) = backend.issue("370100", 1)
    bottle = backend.post(
        "admin",
        "/code-batches",
        {"gtin": BEER_GTIN, "region_code": "370100", "quantity": 1, "level": "item"},
    )["codes"][0]
    backend.post("admin", f"/cartons/{carton['serial']}/items", {"payloads": [bottle["payload"]]})
    backend.deliver([carton], to="D-370100-1", region="370100", number="WB-SCR-WEB")

    photo = io.BytesIO()
    Image.new("RGB", (320, 240), (180, 140, 90)).save(photo, format="JPEG")

    page = open_profile(contexts, browser, live_server, phone=True)
    sign_in(page, live_server, "inspector", lands_on="/inspector")
    page.select_option("#checkpoint", "LC-G3")
    form = page.locator("#scratched")
    expect(form).to_be_visible()
    form.locator("summary").click()
    page.select_option("#scr-product", BEER_GTIN)
    page.fill("#scr-count", "2")
    page.fill("#scr-price", "3.20")
    page.fill("#scr-item", bottle["payload"])
    page.set_input_files(
        "#scr-photos",
        files=[{"name": "carton.jpg", "mimeType": "image/jpeg", "buffer": photo.getvalue()}],
    )
    expect(page.locator("#scr-photo-count")).to_have_text("已选 1 张照片")
    page.fill("#scr-note", "箱码被刮，店主称从济南进货")
    page.click("#scr-form button[type=submit]")
    result = page.locator("#scr-result")
    expect(result.locator("[data-verdict]")).to_have_attribute("data-verdict", "diversion")
    expect(result).to_contain_text(carton["serial"])
    expect(result).to_contain_text("济南市")
    expect(page.locator("#scr-item")).to_have_value("")  # the form is ready for the next carton
    no_sideways_scroll(page)
    form.scroll_into_view_if_needed()
    shoot(page, "inspector-scratched-phone")
    record_id = result.locator("[data-record]").get_attribute("data-record")

    # Stored once, with the carton's normal diversion.
    assert [s["verdict"] for s in backend.scans_of(carton["serial"])] == ["diversion"]

    hq = open_profile(contexts, browser, live_server, phone=False)
    sign_in(hq, live_server, "auditor", lands_on="/hq")
    row = hq.locator(f"#scr-list li[data-record='{record_id}']")
    expect(row).to_contain_text("聊城")
    expect(row).to_contain_text(carton["serial"])
    expect(row.locator("img.scr-thumb")).to_have_attribute("src", re.compile(r"^blob:"))
