"""The inspector's phone page in a real browser: sign-in, verdicts, GPS, photos, and scans made
offline that must reach the server exactly once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import segno
from playwright.sync_api import Browser, BrowserContext, Page, Route, expect

from tests.conftest import LiveServer
from tests.web.conftest import PHONE, SW_READY_WITHIN_A_MINUTE, Backend, new_context, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def phone(browser: Browser, live_server: LiveServer) -> Iterator[BrowserContext]:
    ctx = new_context(
        browser,
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        geolocation={"latitude": 36.651, "longitude": 117.12},  # the centre of Jinan
        permissions=["geolocation"],
    )
    yield ctx
    ctx.close()


def inspector_page(ctx: BrowserContext, server: LiveServer) -> Page:
    page = ctx.new_page()
    sign_in(page, server, "inspector", lands_on="/inspector")
    return page


def scan(page: Page, payload: str) -> None:
    """What a keyboard-wedge reader does: type the code into the focused field, then Enter."""
    page.locator("#payload").focus()
    page.keyboard.type(payload)
    page.keyboard.press("Enter")


def waiting(page: Page, n: int) -> None:
    expect(page.locator("#sync")).to_have_attribute("data-waiting", str(n))


@pytest.mark.parametrize(
    ("user", "lands_on"),
    [
        ("inspector", "/inspector"),
        ("jinan-distributor", "/distributor"),
        ("jinan-sales", "/distributor"),
        ("auditor", "/hq"),
    ],
)
def test_sign_in_opens_the_page_for_the_role(
    context: BrowserContext, live_server: LiveServer, user: str, lands_on: str
) -> None:
    page = context.new_page()
    sign_in(page, live_server, user, lands_on=lands_on)
    # The header names the person; their login rides along on hover.
    expect(page.locator("#who")).to_have_attribute("title", user)
    # Another role's page sends the user back to their own.
    other = "/hq" if lands_on != "/hq" else "/distributor"
    page.goto(f"{live_server.base_url}{other}")
    page.wait_for_url(f"{live_server.base_url}{lands_on}")
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    page.click("#sign-out")
    page.wait_for_url(f"{live_server.base_url}/")
    assert page.evaluate("localStorage.getItem('cg.token')") is None


def test_a_wrong_token_is_refused_and_pages_need_a_sign_in(
    context: BrowserContext, live_server: LiveServer
) -> None:
    page = context.new_page()
    page.goto(f"{live_server.base_url}/inspector")
    page.wait_for_url(f"{live_server.base_url}/")
    page.fill("#token", "cg_not-a-real-token")
    page.click("button[type=submit]")
    expect(page.locator("#sign-in-error")).to_contain_text("令牌无效")
    assert page.url == f"{live_server.base_url}/"


def test_a_wedge_scan_shows_its_verdict_at_once(
    phone: BrowserContext, live_server: LiveServer, backend: Backend
) -> None:
    home, away = backend.issue("370100", 2)
    backend.deliver([home, away], to="D-370100-1", region="370100", number="WB-WEB-1")
    page = inspector_page(phone, live_server)
    # The checkpoints come from the API, by name.
    expect(page.locator("#checkpoint option[value='JN-G2-N']")).to_contain_text("济南北收费站")

    page.select_option("#checkpoint", "JN-G2-N")
    scan(page, home["element_string"])
    verdict = page.locator("#verdict")
    expect(verdict).to_have_attribute("data-verdict", "in_region")
    expect(verdict).to_have_class("verdict tone-green")
    expect(verdict).to_contain_text(home["serial"])

    # Jinan goods on a Liaocheng road, sold under the wholesale floor (3.60 a unit).
    page.select_option("#checkpoint", "LC-G3")
    page.fill("#price", "3.00")
    scan(page, away["payload"])
    expect(verdict).to_have_attribute("data-verdict", "diversion")
    expect(verdict).to_have_class("verdict tone-red")
    expect(verdict).to_have_attribute("data-findings", "price_violation")
    expect(verdict.locator(".finding")).to_contain_text("低于限价")
    expect(verdict).to_contain_text("违规单 #")

    scan(page, "NOT-A-CARTON-CODE")
    expect(verdict).to_have_attribute("data-verdict", "unreadable")
    expect(verdict).to_have_class("verdict tone-grey")

    history = page.locator("#history li")
    expect(history).to_have_count(3)
    expect(history.nth(0).locator(".badge")).to_have_attribute("data-verdict", "unreadable")
    expect(history.nth(2).locator(".badge")).to_have_attribute("data-verdict", "in_region")
    # The reader's field is ready for the next carton.
    expect(page.locator("#payload")).to_be_focused()
    expect(page.locator("#payload")).to_have_value("")

    stored = backend.scans_of(away["serial"])
    assert [(s["checkpoint_code"], s["verdict"], s["findings"]) for s in stored] == [
        ("LC-G3", "diversion", ["price_violation"])
    ]


def test_gps_places_the_scan_in_the_region_around_the_phone(
    phone: BrowserContext, live_server: LiveServer, backend: Backend
) -> None:
    (code,) = backend.issue("370100", 1)
    page = inspector_page(phone, live_server)
    page.select_option("#checkpoint", "")
    page.click("#gps")
    expect(page.locator("#gps-status")).to_contain_text("36.65100, 117.12000")
    scan(page, code["element_string"])
    expect(page.locator("#verdict")).to_have_attribute("data-verdict", "in_region")
    expect(page.locator("#verdict")).to_contain_text("济南市")
    (stored,) = backend.scans_of(code["serial"])
    assert (stored["checkpoint_code"], stored["region_code"]) == (None, "370100")
    assert (stored["lat"], stored["lon"]) == pytest.approx((36.651, 117.12))


def test_a_photo_of_a_carton_label_is_decoded_and_judged(
    phone: BrowserContext, live_server: LiveServer, backend: Backend, tmp_path: Path
) -> None:
    (code,) = backend.issue("370200", 1)  # a Qingdao carton
    label = tmp_path / "label.png"
    segno.make_qr(code["payload"], error="m").save(str(label), scale=8, border=4)
    page = inspector_page(phone, live_server)
    page.select_option("#checkpoint", "JN-G20-E")
    page.set_input_files("#photo", label)
    verdict = page.locator("#verdict")
    expect(verdict).to_contain_text(code["serial"])
    expect(verdict).to_contain_text("照片中 1 个条码")
    assert verdict.get_attribute("data-verdict") in ("diversion", "in_transit")
    (stored,) = backend.scans_of(code["serial"])
    assert (stored["checkpoint_code"], stored["source"]) == ("JN-G20-E", "photo")


def test_scans_made_offline_wait_then_reach_the_server_exactly_once(
    phone: BrowserContext, live_server: LiveServer, backend: Backend
) -> None:
    codes = backend.issue("370100", 3)
    page = inspector_page(phone, live_server)
    page.select_option("#checkpoint", "JN-G2-N")
    # The service worker has stored the page shell before the network goes.
    # A worker that never installs fails the test after a minute rather than hanging it.
    assert page.evaluate(SW_READY_WITHIN_A_MINUTE)

    phone.set_offline(True)
    expect(page.locator("#net")).to_have_attribute("data-online", "false")
    for c in codes[:2]:
        scan(page, c["element_string"])
    waiting(page, 2)
    expect(page.locator("#sync")).to_contain_text("2 条待同步")
    expect(page.locator("#history li[data-state=waiting]")).to_have_count(2)

    # Still offline, the page reloads from the service worker and still holds the queue.
    reloaded = page.reload()
    assert reloaded is not None and reloaded.from_service_worker
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    waiting(page, 2)
    scan(page, codes[2]["element_string"])
    waiting(page, 3)

    phone.set_offline(False)
    waiting(page, 0)
    expect(page.locator("#history li[data-state=waiting]")).to_have_count(0)
    expect(
        page.locator("#history li[data-state=done] .badge[data-verdict=in_region]")
    ).to_have_count(3)
    for c in codes:
        assert [s["verdict"] for s in backend.scans_of(c["serial"])] == ["in_region"]


def test_a_lost_response_is_retried_with_the_same_key_and_stored_once(
    browser: Browser, live_server: LiveServer, backend: Backend
) -> None:
    # No service worker here, so that the test can cut the page's own requests.
    ctx = new_context(browser, viewport=PHONE, service_workers="block")
    (code,) = backend.issue("370100", 1)
    keys: list[str] = []

    def lose_first_answer(route: Route) -> None:
        keys.append(route.request.headers["idempotency-key"])
        if len(keys) == 1:
            route.fetch()  # the server stores the scan ...
            route.abort("connectionreset")  # ... and the answer never arrives
        else:
            route.continue_()

    try:
        page = inspector_page(ctx, live_server)
        page.route("**/api/v1/scans", lose_first_answer)
        page.select_option("#checkpoint", "JN-G2-N")
        scan(page, code["element_string"])
        waiting(page, 1)
        expect(page.locator("#verdict")).to_have_attribute("data-verdict", "in_region")
        waiting(page, 0)
    finally:
        ctx.close()
    assert len(keys) == 2
    assert keys[0] == keys[1]
    assert [s["verdict"] for s in backend.scans_of(code["serial"])] == ["in_region"]


def test_money_and_times_are_exact_in_the_page(
    context: BrowserContext, live_server: LiveServer
) -> None:
    """Sums of money stay in integer fen (0.10 + 0.20 is 0.30, not 0.30000000000000004), and
    scan times carry the phone's UTC offset."""
    page = context.new_page()
    page.goto(f"{live_server.base_url}/")
    got = page.evaluate(
        """async () => {
            const c = await import("/static/js/core.js");
            const charts = await import("/static/js/charts.js");
            const monday = charts.perWeek(
                [{ detected_at: "2026-11-23T00:30:00+08:00" }],
                { weeks: 2, now: new Date("2026-11-24T12:00:00+08:00") },
            );
            return {
                sum: c.fenText(c.toFen("0.10") + c.toFen("0.20")),
                big: c.fenText(c.toFen("12345678901234567.89")),
                debit: c.money("-96.00"),
                bad: c.toFen("1.234"),
                iso: c.isoWithOffset(new Date(Date.UTC(2026, 10, 22, 0, 0, 0))),
                weeks: monday.map((b) => b.count),
            };
        }"""
    )
    assert got == {
        "sum": "¥0.30",
        "big": "¥12,345,678,901,234,567.89",
        "debit": "-¥96.00",
        "bad": None,
        "iso": "2026-11-22T08:00:00.000+08:00",
        "weeks": [0, 1],
    }
