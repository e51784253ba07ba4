"""The inbox in the page bar: a distributor hears of a new case against it, opens it from the
inbox, and the unread count goes down; HQ hears of it too; the inspector has an inbox as well."""

from __future__ import annotations

import pytest
from playwright.sync_api import BrowserContext, expect

from tests.conftest import LiveServer
from tests.web.conftest import Backend, sign_in, sign_out

pytestmark = pytest.mark.browser


def test_a_new_case_is_in_the_inbox_and_opening_it_shows_it_and_marks_it_read(
    context: BrowserContext, live_server: LiveServer, backend: Backend
) -> None:
    (vid,) = backend.divert(
        home="370100", to="D-370100-1", into="371500", checkpoint="LC-G3", number="WB-INBOX-1"
    )
    page = context.new_page()
    sign_in(page, live_server, "jinan-distributor", lands_on="/distributor")
    count = page.locator("#inbox-btn .inbox-count")
    unread = int(backend.get("jinan-distributor", "/inbox")["unread"])
    assert unread >= 1
    expect(count).to_have_attribute("data-unread", str(unread))
    page.click("#inbox-btn")
    expect(page.locator("#inbox")).to_be_visible()
    item = page.locator("#inbox li[data-kind='violation.opened']").filter(has_text=f"#{vid}")
    expect(item).to_have_attribute("data-read", "false")
    expect(item).to_contain_text("聊城市")  # the region's name, not 371500
    expect(item).to_contain_text("¥48.00")
    item.locator("button").click()
    expect(page.locator("#detail")).to_have_attribute("data-violation-id", str(vid))
    expect(count).to_have_attribute("data-unread", str(unread - 1))
    expect(item).to_have_attribute("data-read", "true")
    sign_out(page, live_server)

    sign_in(page, live_server, "auditor", lands_on="/hq")
    page.click("#inbox-btn")
    hq_item = page.locator("#inbox li[data-kind='violation.opened']").filter(has_text=f"#{vid}")
    expect(hq_item).to_have_attribute("data-read", "false")  # each reader's own mark
    sign_out(page, live_server)

    sign_in(page, live_server, "inspector", lands_on="/inspector")
    expect(page.locator("#inbox-btn")).to_be_visible()
