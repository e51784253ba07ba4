"""A phone shared by two inspectors: what one queued offline is never sent under the other's
name, and arrives once, as theirs, when they sign in again. Debian's chromium at phone size."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Route, expect
from sqlalchemy import bindparam, create_engine, text

from app.models import Role
from tests.conftest import LiveServer
from tests.web.conftest import DESKTOP, PHONE, Backend, LocalOnly, new_context
from tests.web.test_phone import SHOTS, scan, shoot
from tests.web.test_phone_sign_in import on_this_server
from tests.web.test_screenshots import no_sideways_scroll

pytestmark = pytest.mark.browser

_SCANS_OF = text(
    "SELECT c.serial, u.username FROM scan s JOIN carton c ON c.id = s.carton_id "
    "JOIN app_user u ON u.id = s.user_id WHERE c.serial IN :serials ORDER BY c.serial"
).bindparams(bindparam("serials", expanding=True))


@pytest.fixture
def shared_phone(browser: Browser, live_server: LiveServer) -> Iterator[BrowserContext]:
    """One browser profile: the same phone, passed from hand to hand."""
    ctx = new_context(browser, viewport=PHONE, is_mobile=True, has_touch=True)
    watch = LocalOnly(ctx, live_server.base_url)
    yield ctx
    ctx.close()
    watch.check()


def _signs_in(page: Page, server: LiveServer, backend: Backend, username: str) -> None:
    """HQ's one-time link for `username`, opened on the phone."""
    link = backend.post("admin", "/sign-in/tickets", {"username": username})["link"]
    page.goto(on_this_server(link, server))
    page.wait_for_url(f"{server.base_url}/inspector")
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    expect(page.locator("#who")).to_have_attribute("title", username)


def _stored(server: LiveServer, serials: list[str]) -> list[tuple[str, str]]:
    """(serial, username) of every scan the server stored of these cartons."""
    engine = create_engine(server.database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(_SCANS_OF, {"serials": serials}).all()
    finally:
        engine.dispose()
    return [(str(s), str(u)) for s, u in rows]


def _wait_for(check: Callable[[], bool], seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "the phone never sent it"
        time.sleep(0.25)


def test_a_shared_phone_never_sends_one_users_scans_under_another(
    shared_phone: BrowserContext, live_server: LiveServer, backend: Backend
) -> None:
    backend.add_user("inspector-b", Role.inspector)
    cartons = backend.issue("370100", 2)
    serials = sorted(c["serial"] for c in cartons)
    phone = shared_phone.new_page()

    # Inspector A scans two cartons without a network.
    _signs_in(phone, live_server, backend, "inspector")
    # The offline page shell (the service worker) must be in place before the network goes;
    # waited for with a time limit, so that a worker that never installs fails, not hangs.
    phone.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=60_000)
    phone.select_option("#checkpoint", "JN-G2-N")
    shared_phone.set_offline(True)
    for c in cartons:
        scan(phone, c["element_string"])
    expect(phone.locator("#sync")).to_have_attribute("data-waiting", "2")

    # Signing out asks first; offline, "send first" cannot, and says so.
    phone.click("#sign-out")
    dialog = phone.locator("#signout-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_have_attribute("data-pending", "2")
    expect(dialog.locator("h2")).to_have_text("还有 2 条记录没有发送")
    expect(dialog).to_contain_text("只会以 王建国 的名义发送")  # the person, by name
    phone.click("#signout-send")
    expect(phone.locator("#signout-status")).to_contain_text("现在没有网络")
    assert phone.url == f"{live_server.base_url}/inspector"  # still signed in
    no_sideways_scroll(phone)
    shoot(phone, "signout-pending-phone")
    phone.set_viewport_size(DESKTOP)
    phone.screenshot(path=str(SHOTS / "signout-pending-desktop.png"))
    phone.set_viewport_size(PHONE)
    phone.click("#signout-keep")
    phone.wait_for_url(f"{live_server.base_url}/")
    assert phone.evaluate("localStorage.getItem('cg.token')") is None

    # Inspector B signs in on the same phone, online: A's scans stay, held for A.
    shared_phone.set_offline(False)
    _signs_in(phone, live_server, backend, "inspector-b")
    sync = phone.locator("#sync")
    expect(sync).to_have_attribute("data-held", "2")
    expect(sync).to_have_attribute("data-waiting", "0")
    expect(sync).to_contain_text("待 inspector 登录后发送 2 条")
    no_sideways_scroll(phone)
    shoot(phone, "inspector-held-for-other-phone")
    # However often B's page tries to send, nothing of A's goes out.
    phone.evaluate("window.dispatchEvent(new Event('online'))")
    phone.wait_for_timeout(1500)
    assert _stored(live_server, serials) == []
    scan(phone, cartons[0]["element_string"])  # B's own scan goes out under B at once
    _wait_for(lambda: _stored(live_server, serials) != [])
    assert _stored(live_server, serials) == [(cartons[0]["serial"], "inspector-b")]
    expect(sync).to_have_attribute("data-held", "2")

    # Nothing of B's waits: B signs out without a question. A signs in again: A's scans arrive,
    # once each, under A.
    phone.click("#sign-out")
    phone.wait_for_url(f"{live_server.base_url}/")
    _signs_in(phone, live_server, backend, "inspector")
    _wait_for(lambda: len(_stored(live_server, serials)) >= 3)
    expect(sync).to_have_attribute("data-waiting", "0", timeout=20_000)
    expect(sync).to_have_attribute("data-held", "0")
    phone.reload()
    expect(phone.locator("body")).to_have_attribute("data-ready", "true")
    phone.wait_for_timeout(1000)
    stored = _stored(live_server, serials)
    assert sorted(u for s, u in stored) == ["inspector", "inspector", "inspector-b"]
    assert sorted(s for s, u in stored if u == "inspector") == serials


def test_send_first_sends_the_queue_then_signs_out(
    shared_phone: BrowserContext, live_server: LiveServer, backend: Backend
) -> None:
    (carton,) = backend.issue("370100", 1)
    phone = shared_phone.new_page()
    _signs_in(phone, live_server, backend, "inspector")
    phone.select_option("#checkpoint", "JN-G2-N")
    # The server is unreachable for scans for a while: the scan waits in the outbox.
    blocked = {"on": True}

    def scans(route: Route) -> None:
        if blocked["on"]:
            route.abort("connectionrefused")
        else:
            route.continue_()

    phone.route("**/api/v1/scans", scans)
    scan(phone, carton["element_string"])
    expect(phone.locator("#sync")).to_have_attribute("data-waiting", "1")
    phone.click("#sign-out")
    expect(phone.locator("#signout-dialog")).to_have_attribute("data-pending", "1")
    # The network is back as the user answers (not before: the outbox would send on its own).
    blocked["on"] = False
    phone.click("#signout-send")
    phone.wait_for_url(f"{live_server.base_url}/")
    expect(phone.locator("body")).to_have_attribute("data-signed-out", "server")
    assert _stored(live_server, [carton["serial"]]) == [(carton["serial"], "inspector")]
