"""People are picked by name, not typed: HQ's phone sign-in and admin's squad form search the
user list and show each person's name (the party they act for) and role."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import LiveServer
from tests.web.conftest import Backend, Profiles, sign_in
from tests.web.test_admin import open_admin, tab
from tests.web.test_phone import SHOTS, shoot
from tests.web.test_screenshots import SIZES, no_sideways_scroll

pytestmark = pytest.mark.browser


def _jinans_name(backend: Backend) -> str:
    return str(backend.get("admin", "/distributors/D-370100-1")["name"])


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_hq_picks_a_distributors_staff_by_the_firms_name(
    live_server: LiveServer, backend: Backend, profiles: Profiles, size: str
) -> None:
    phone = size == "phone"
    page = profiles.open(viewport=SIZES[size], is_mobile=phone, has_touch=phone)
    sign_in(page, live_server, "admin", lands_on="/hq")
    name = _jinans_name(backend)
    page.locator("#phone-signin").scroll_into_view_if_needed()
    page.fill("#phone-user", "济南")  # part of the firm's name, in Chinese
    option = page.locator("#phone-user-list button[data-username='jinan-distributor']")
    expect(option.locator("strong")).to_have_text(name)
    expect(option).to_contain_text("经销商")
    # Only matching people are offered: Liaocheng's distributor is not.
    expect(
        page.locator("#phone-user-list button[data-username='liaocheng-distributor']")
    ).to_have_count(0)
    no_sideways_scroll(page)
    _shoot_panel(page, f"hq-people-picker-{size}")
    option.click()
    chip = page.locator("#phone-user-picked .chip")
    expect(chip).to_have_attribute("data-username", "jinan-distributor")
    expect(chip.locator("strong")).to_have_text(name)
    page.click("#phone-form button[type=submit]")
    ticket = page.locator("#phone-ticket")
    expect(ticket.locator("img.qr")).to_be_visible()
    expect(ticket).to_contain_text(name)  # the QR is for a name, not a login


def _shoot_panel(page: Page, name: str) -> None:
    """What the screen shows: the panel at the top, its list open below the search box."""
    page.locator("#phone-signin").evaluate("(el) => el.scrollIntoView({block: 'start'})")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_admin_picks_a_squads_inspectors_by_name(
    live_server: LiveServer, backend: Backend, profiles: Profiles, size: str
) -> None:
    phone = size == "phone"
    page = profiles.open(viewport=SIZES[size], is_mobile=phone, has_touch=phone)
    open_admin(page, live_server)
    tab(page, "squads")
    page.click("#add")
    page.select_option("#f-region_code", "370100")
    picker = page.locator("#f-inspector_usernames")
    picker.scroll_into_view_if_needed()
    picker.click()  # the list opens with every inspector, by name
    listed = page.locator("#f-inspector_usernames-list button[data-username]")
    expect(listed.first).to_be_visible()
    roles = listed.locator(".hint").all_text_contents()
    assert roles and all("稽查员" in r for r in roles)
    # By the person's own name, in Chinese: the name shows, the login beside it small.
    page.fill("#f-inspector_usernames", "建国")
    found = page.locator("#f-inspector_usernames-list button[data-username='inspector']")
    expect(found.locator("strong")).to_have_text("王建国")
    expect(found.locator(".hint")).to_contain_text("inspector")
    page.fill("#f-inspector_usernames", "insp")
    page.click("#f-inspector_usernames-list button[data-username='inspector']")
    expect(page.locator("#f-inspector_usernames-picked .chip strong")).to_have_text("王建国")
    expect(page.locator("#f-inspector_usernames-picked .chip")).to_have_count(1)
    # Picked people are not offered twice.
    page.fill("#f-inspector_usernames", "insp")
    expect(
        page.locator("#f-inspector_usernames-list button[data-username='inspector']")
    ).to_be_disabled()
    no_sideways_scroll(page)
    shoot(page, f"admin-squad-picker-{size}")
