"""A phone signed in by HQ's one-time QR code, and a scratched-off carton recorded on the phone:
Debian's chromium at phone size, over real HTTP, nothing loaded from another host."""

from __future__ import annotations

import contextlib
import io
import re
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, Route, expect
from sqlalchemy import create_engine, text

from app.auth.service import hash_token
from tests.conftest import LiveServer
from tests.web.conftest import (
    BEER_GTIN,
    DESKTOP,
    PHONE,
    SW_READY_WITHIN_A_MINUTE,
    Backend,
    Profiles,
    sign_in,
)
from tests.web.test_phone import SHOTS, shoot
from tests.web.test_screenshots import no_sideways_scroll

pytestmark = pytest.mark.browser


def open_profile(profiles: Profiles, *, phone: bool) -> Page:
    if phone:
        return profiles.open(viewport=PHONE, is_mobile=True, has_touch=True)
    return profiles.open(viewport=DESKTOP)


def on_this_server(link: str, server: LiveServer) -> str:
    """The printed link points at CG_PUBLIC_BASE_URL; the test server listens elsewhere."""
    parts = urlsplit(link)
    return f"{server.base_url}{parts.path}#{parts.fragment}"


def back_to_sign_in(phone: Page, server: LiveServer) -> None:
    """Reload a page whose session the server has ended: it returns to sign-in. Its own next
    API call (the inbox's poll) may already be taking it there, aborting the reload."""
    with contextlib.suppress(PlaywrightError):
        phone.reload()
    phone.wait_for_url(f"{server.base_url}/")
    expect(phone.locator("body")).to_have_attribute("data-ready", "true")


def test_hq_signs_a_phone_in_by_qr_code_and_revokes_it(
    live_server: LiveServer, profiles: Profiles
) -> None:
    hq = open_profile(profiles, phone=False)
    sign_in(hq, live_server, "admin", lands_on="/hq")
    panel = hq.locator("#phone-signin")
    expect(panel).to_be_visible()
    # Picked by name from the list, not typed: nothing picked yet is refused in words.
    hq.click("#phone-form button[type=submit]")
    expect(panel.locator("#phone-ticket")).to_contain_text("请先从列表中选择一位人员")
    hq.fill("#phone-user", "insp")
    hq.click("#phone-user-list button[data-username='inspector']")
    expect(panel.locator("#phone-user-picked .chip")).to_have_attribute(
        "data-username", "inspector"
    )
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

    phone = open_profile(profiles, phone=True)
    phone.goto(on_this_server(link, live_server))
    phone.wait_for_url(f"{live_server.base_url}/inspector")
    expect(phone.locator("body")).to_have_attribute("data-ready", "true")
    expect(phone.locator("#who")).to_contain_text("王建国")  # a name, not a login
    expect(phone.locator("#who")).to_have_attribute("title", "inspector")
    token = phone.evaluate("localStorage.getItem('cg.token')")
    assert token and token != live_server.tokens["inspector"]

    # The same link on a second phone: refused, saying why, in Chinese.
    other = open_profile(profiles, phone=True)
    other.goto(on_this_server(link, live_server))
    expect(other.locator("body")).to_have_attribute("data-link-error", "used")
    expect(other.locator("#link-error")).to_contain_text("已经用过")
    assert "ticket" not in other.url  # the ticket does not stay in the address bar
    no_sideways_scroll(other)
    shoot(other, "signin-link-used-phone")

    # HQ sees the phone and revokes it; the phone is sent back to sign in.
    hq.click("#phone-refresh")
    row = hq.locator("#phone-sessions li", has_text="王建国")
    expect(row).to_have_count(1)
    # HQ reads whose phone it is by name, the login small beside it to tell namesakes apart.
    expect(row.locator("strong.person")).to_have_text("王建国")
    expect(row.locator("small.login")).to_have_text("inspector")
    sessions_shot(hq, "hq-phone-sessions")
    row.locator("button").click()
    expect(hq.locator("#phone-sessions li", has_text="王建国")).to_have_count(0)
    back_to_sign_in(phone, live_server)
    expect(phone.locator("body")).to_have_attribute("data-ended", "revoked")
    expect(phone.locator("#signin-ended")).to_contain_text("已被总部注销")
    assert phone.evaluate("localStorage.getItem('cg.token')") is None
    shoot(phone, "signin-session-revoked-phone")


def sessions_shot(hq: Page, name: str) -> None:
    """HQ's list of signed-in phones at desktop size, then at phone size; no sideways scroll."""
    panel = hq.locator("#phone-sessions")
    for size, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        hq.set_viewport_size(viewport)
        panel.evaluate("(el) => el.scrollIntoView({block: 'center'})")
        no_sideways_scroll(hq)
        hq.screenshot(path=str(SHOTS / f"{name}-{size}.png"))
    hq.set_viewport_size(DESKTOP)


def test_an_inspector_records_a_scratched_carton_and_hq_sees_it(
    live_server: LiveServer,
    backend: Backend,
    profiles: Profiles,
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

    page = open_profile(profiles, phone=True)
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

    hq = open_profile(profiles, phone=False)
    sign_in(hq, live_server, "auditor", lands_on="/hq")
    row = hq.locator(f"#scr-list li[data-record='{record_id}']")
    expect(row).to_contain_text("聊城")
    expect(row).to_contain_text(carton["serial"])
    expect(row).to_contain_text("王建国")  # who recorded it, by name
    expect(row.locator("img.scr-thumb")).to_have_attribute("src", re.compile(r"^blob:"))


def _sql(server: LiveServer, statement: str, **params: Any) -> None:
    engine = create_engine(server.database_url)
    try:
        with engine.begin() as conn:
            conn.execute(text(statement), params)
    finally:
        engine.dispose()


def _phone_signed_in_by_link(
    profiles: Profiles,
    server: LiveServer,
    backend: Backend,
) -> tuple[Page, str]:
    link = backend.post("admin", "/sign-in/tickets", {"username": "inspector"})["link"]
    phone = open_profile(profiles, phone=True)
    phone.goto(on_this_server(link, server))
    phone.wait_for_url(f"{server.base_url}/inspector")
    expect(phone.locator("body")).to_have_attribute("data-ready", "true")
    token = phone.evaluate("localStorage.getItem('cg.token')")
    assert token
    return phone, str(token)


def _me(server: LiveServer, token: str) -> httpx.Response:
    return httpx.get(
        f"{server.base_url}/api/v1/me", headers={"Authorization": f"Bearer {token}"}, timeout=30
    )


def test_an_expired_session_sends_the_phone_back_to_sign_in_saying_why(
    live_server: LiveServer,
    backend: Backend,
    profiles: Profiles,
) -> None:
    phone, token = _phone_signed_in_by_link(profiles, live_server, backend)
    _sql(
        live_server,
        "UPDATE api_token SET expires_at = :t WHERE token_hash = :h",
        t=datetime.now(UTC) - timedelta(seconds=1),
        h=hash_token(token),
    )
    # A change made outside the server reaches it once its token cache lets go of the token
    # (CG_TOKEN_CACHE_SECONDS): wait for that, as a phone would meet it on its next call.
    deadline = time.monotonic() + 30
    while _me(live_server, token).status_code == 200:
        assert time.monotonic() < deadline, "the server kept accepting an expired session"
        time.sleep(0.5)
    assert "expired" in _me(live_server, token).json()["detail"]
    back_to_sign_in(phone, live_server)
    expect(phone.locator("body")).to_have_attribute("data-ended", "expired")
    expect(phone.locator("#signin-ended")).to_have_text("会话已过期，请向总部索取新的登录二维码。")
    assert phone.evaluate("localStorage.getItem('cg.token')") is None
    no_sideways_scroll(phone)
    shoot(phone, "signin-session-expired-phone")
    # Said once: the next visit to the sign-in page is a plain one.
    phone.reload()
    expect(phone.locator("body")).to_have_attribute("data-ready", "true")
    expect(phone.locator("#signin-ended")).to_be_hidden()


def test_signing_out_ends_the_session_on_the_server_even_when_offline(
    live_server: LiveServer,
    backend: Backend,
    profiles: Profiles,
) -> None:
    phone, token = _phone_signed_in_by_link(profiles, live_server, backend)
    phone.click("#sign-out")
    phone.wait_for_url(f"{live_server.base_url}/")
    expect(phone.locator("body")).to_have_attribute("data-signed-out", "server")
    expect(phone.locator("#signin-ended")).to_contain_text("已在服务器上结束")
    assert _me(live_server, token).json()["detail"] == "session revoked"

    # Without a network: signed out on the phone at once, on the server when it returns.
    phone, token = _phone_signed_in_by_link(profiles, live_server, backend)
    # The offline page shell (the service worker) serves the sign-in page without a network.
    # A worker that never installs fails the test after a minute rather than hanging it.
    assert phone.evaluate(SW_READY_WITHIN_A_MINUTE)
    phone.wait_for_function("navigator.serviceWorker.controller !== null")
    phone.context.set_offline(True)
    phone.click("#sign-out")
    phone.wait_for_url(f"{live_server.base_url}/")
    expect(phone.locator("#signin-ended")).to_contain_text("联网后会自动通知服务器")
    assert phone.evaluate("localStorage.getItem('cg.token')") is None
    shoot(phone, "signin-signed-out-offline-phone")
    expect(phone.locator("body")).to_have_attribute("data-signed-out", "phone")
    phone.context.set_offline(False)
    expect(phone.locator("body")).to_have_attribute("data-signed-out", "server")
    expect(phone.locator("#signin-ended")).to_contain_text("已在服务器上结束")
    assert phone.evaluate("localStorage.getItem('cg.signout.pending')") is None
    assert _me(live_server, token).json()["detail"] == "session revoked"


def _records_with_note(backend: Backend, note: str) -> list[dict[str, Any]]:
    items = backend.get("admin", "/scratched-cartons", limit=500)["items"]
    return [r for r in items if r["note"] == note]


def _fill_scratched(page: Page, note: str, photo: bytes) -> None:
    page.select_option("#scr-product", BEER_GTIN)
    page.fill("#scr-count", "3")
    page.fill("#scr-price", "2.80")
    page.set_input_files(
        "#scr-photos", files=[{"name": "carton.jpg", "mimeType": "image/jpeg", "buffer": photo}]
    )
    page.fill("#scr-note", note)
    page.click("#scr-form button[type=submit]")


def scratched_form_at_liaocheng(profiles: Profiles, server: LiveServer) -> Page:
    """The inspector's phone at Liaocheng's checkpoint, its scratched-carton form ready and open."""
    page = open_profile(profiles, phone=True)
    sign_in(page, server, "inspector", lands_on="/inspector")
    page.select_option("#checkpoint", "LC-G3")
    section = page.locator("#scratched")
    expect(section).to_have_attribute("data-ready", "true")
    section.locator("summary").click()
    return page


def test_a_scratched_carton_recorded_offline_arrives_once(
    live_server: LiveServer,
    backend: Backend,
    profiles: Profiles,
) -> None:
    buf = io.BytesIO()
    Image.new("RGB", (320, 240), (90, 140, 180)).save(buf, format="JPEG")
    photo = buf.getvalue()
    page = scratched_form_at_liaocheng(profiles, live_server)
    section = page.locator("#scratched")

    page.context.set_offline(True)
    note = "离线登记：箱码被刮"
    _fill_scratched(page, note, photo)
    expect(page.locator("#scr-result")).to_contain_text("已保存在本机")
    waiting = page.locator("#scr-pending li[data-state=waiting]")
    expect(waiting).to_have_count(1)
    expect(waiting).to_contain_text("3 箱")
    expect(waiting).to_contain_text("照片 1 张")
    expect(waiting).to_contain_text("聊城收费站")  # the checkpoint's name, not its code
    expect(page.locator("#sync")).to_have_attribute("data-scratched", "1")
    expect(page.locator("#sync")).to_contain_text("刮码记录 1 条待发送")
    expect(page.locator("#scr-note")).to_have_value("")  # ready for the next carton
    no_sideways_scroll(page)
    section.scroll_into_view_if_needed()
    shoot(page, "inspector-scratched-offline-phone")
    assert _records_with_note(backend, note) == []

    page.context.set_offline(False)
    expect(page.locator("#scr-pending li")).to_have_count(0)
    expect(page.locator("#sync")).to_have_attribute("data-scratched", "0")
    expect(page.locator("#scr-result [data-sent]")).to_have_attribute("data-sent", "1")
    expect(page.locator("#scr-result")).to_contain_text("已发送 1 条")
    (rec,) = _records_with_note(backend, note)
    assert rec["carton_count"] == 3
    assert rec["observed_price"] == "2.80"
    assert len(rec["photos"]) == 1
    section.scroll_into_view_if_needed()
    shoot(page, "inspector-scratched-synced-phone")
    # Reloaded, the phone has nothing left to send and the server still holds it once.
    page.reload()
    expect(page.locator("#scratched")).to_have_attribute("data-ready", "true")
    expect(page.locator("#scr-pending")).to_have_attribute("data-waiting", "0")
    assert len(_records_with_note(backend, note)) == 1


def test_a_scratched_carton_whose_answer_was_lost_is_stored_once(
    live_server: LiveServer,
    backend: Backend,
    profiles: Profiles,
) -> None:
    buf = io.BytesIO()
    Image.new("RGB", (200, 160), (120, 60, 60)).save(buf, format="JPEG")
    page = scratched_form_at_liaocheng(profiles, live_server)

    # The first POST reaches the server and is stored, but its answer never reaches the phone.
    keys: list[str] = []

    def lose_first_answer(route: Route) -> None:
        keys.append(route.request.headers.get("idempotency-key", ""))
        if len(keys) == 1:
            route.fetch()
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route("**/api/v1/scratched-cartons", lose_first_answer)
    note = "回执丢失：箱码被刮"
    _fill_scratched(page, note, buf.getvalue())
    expect(page.locator("#scr-result")).to_contain_text("已保存在本机")
    expect(page.locator("#scr-pending li")).to_have_count(0, timeout=20_000)
    expect(page.locator("#scr-result [data-sent]")).to_have_attribute("data-sent", "1")
    assert len(keys) == 2 and keys[0] == keys[1] and keys[0]
    (rec,) = _records_with_note(backend, note)
    assert page.locator("#scr-result [data-record]").get_attribute("data-record") == str(rec["id"])
