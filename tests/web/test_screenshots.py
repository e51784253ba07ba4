"""Every page at phone (390x844) and desktop (1280x800) size: nothing wider than the screen, no
request to another host, and a screenshot of each in docs/screenshots/ for the README."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.conftest import LiveServer
from tests.web.conftest import Backend, LocalOnly, new_context, sign_in, sign_out
from tests.web.test_phone import SHOTS, shoot

pytestmark = pytest.mark.browser

SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 800}}


@pytest.fixture(scope="module")
def violation(backend: Backend) -> int:
    """A Jinan carton found on a Liaocheng road, so that every page has something to show."""
    (vid,) = backend.divert(
        home="370100", to="D-370100-1", into="371500", checkpoint="LC-G3", number="WB-SHOT-1"
    )
    return vid


def no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    inner = page.evaluate("window.innerWidth")
    assert width <= inner, f"{page.url} is {width}px wide on a {inner}px screen"
    # No single element pokes out of the screen either (clipped by overflow: hidden or not).
    wide = page.evaluate(
        """() => [...document.querySelectorAll('main *')]
            .filter((el) => el.getClientRects().length)
            .filter((el) => getComputedStyle(el).visibility !== 'hidden' && !el.closest('svg'))
            .filter((el) => el.getBoundingClientRect().right > innerWidth + 1)
            .map((el) => `${el.tagName}#${el.id}.${el.className} ${el.textContent.slice(0, 40)}`)
            .slice(0, 5)"""
    )
    assert wide == [], f"{page.url}: cut off on the right: {wide}"


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_every_page_fits_and_is_photographed(
    browser: Browser, live_server: LiveServer, backend: Backend, violation: int, size: str
) -> None:
    phone = size == "phone"
    ctx = new_context(browser, viewport=SIZES[size], is_mobile=phone, has_touch=phone)
    watch = LocalOnly(ctx, live_server.base_url)
    try:
        page = ctx.new_page()
        page.goto(f"{live_server.base_url}/")
        expect(page.locator("body")).to_have_attribute("data-ready", "true")
        no_sideways_scroll(page)
        shoot(page, f"signin-{size}")

        sign_in(page, live_server, "inspector", lands_on="/inspector")
        (code,) = backend.issue("370100", 1)
        page.select_option("#checkpoint", "LC-G3")
        page.fill("#price", "3.00")
        page.locator("#payload").fill(code["element_string"])
        page.keyboard.press("Enter")
        expect(page.locator("#verdict")).to_have_attribute("data-verdict", "diversion")
        no_sideways_scroll(page)
        shoot(page, f"inspector-{size}")
        page.click("#lang")
        expect(page.locator("body")).to_have_attribute("data-ready", "true")
        expect(page.locator("#scan-h")).to_have_text("Scan")
        no_sideways_scroll(page)
        shoot(page, f"inspector-en-{size}")
        page.click("#lang")
        expect(page.locator("#scan-h")).to_have_text("扫码")
        sign_out(page, live_server)

        sign_in(page, live_server, "jinan-distributor", lands_on="/distributor")
        page.locator(f"tr[data-violation-id='{violation}']").click()
        expect(page.locator("#detail")).to_have_attribute("data-violation-id", str(violation))
        expect(page.locator("#detail")).to_contain_text("聊城市")
        # 我的下级客户 is in the picture: the demo's Jinan 二批 by name.
        expect(page.locator("#sub-customers tr[data-sub-customer]")).to_have_count(5)
        expect(page.locator("#sub-customers")).to_contain_text("济南市酒水批发市场二批")
        no_sideways_scroll(page)
        shoot(page, f"distributor-{size}")
        page.click("#inbox-btn")
        expect(page.locator("#inbox li[data-kind]").first).to_be_visible()
        no_sideways_scroll(page)
        page.screenshot(path=str(SHOTS / f"inbox-{size}.png"))
        sign_out(page, live_server)

        sign_in(page, live_server, "auditor", lands_on="/hq")
        page.locator(f"tr[data-violation-id='{violation}']").click()
        expect(page.locator("#detail")).to_have_attribute("data-violation-id", str(violation))
        expect(page.locator("#map .map-canvas canvas").first).to_be_visible()
        no_sideways_scroll(page)
        shoot(page, f"hq-{size}")
    finally:
        ctx.close()
    watch.check()
