"""A printed waybill's QR on the inspector's phone: typed in by the wedge reader it is not a carton
scan; the page asks for the truck's plate and shows the check, with the route's city names, as a
green banner for the right truck and a red one that names the mismatch for another."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.conftest import LiveServer
from tests.transport.test_transport_http import _pdf_qr
from tests.web.conftest import PHONE, Backend, new_context
from tests.web.test_inspector import inspector_page, scan
from tests.web.test_phone import shoot
from tests.web.test_screenshots import no_sideways_scroll

pytestmark = pytest.mark.browser

PLATE = "鲁B5W2H7"
NUMBER = "WB-H14E-QR"


@pytest.fixture
def phone(browser: Browser) -> Iterator[BrowserContext]:
    ctx = new_context(browser, viewport=PHONE, is_mobile=True, has_touch=True)
    yield ctx
    ctx.close()


def bg(page: Page) -> str:
    js = "getComputedStyle(document.querySelector('#wb-banner')).backgroundColor"
    return str(page.evaluate(js))


def _printed_waybill_qr(backend: Backend, tmp_path: Path) -> str:
    backend.post(
        "admin",
        "/vehicles",
        {
            "plate": PLATE,
            "owner": "青岛顺达物流有限公司",
            "driver_name": "李师傅",
            "driver_phone": "13800138001",
            "distributor_codes": ["D-370200-1"],
        },
    )
    now = datetime.now(UTC)
    backend.post(
        "admin",
        "/waybills",
        {
            "number": NUMBER,
            "vehicle_plate": PLATE,
            "dispatched_at": (now - timedelta(hours=1)).isoformat(),
            "expected_arrival": (now + timedelta(hours=6)).isoformat(),
            "destination_distributor_code": "D-370200-1",
            "route_region_codes": ["370100", "370300", "370700", "370200"],
            "issuer": "物流部 王",
            "salesperson_code": "SP-370200",
            "carton_payloads": [c["payload"] for c in backend.issue("370200", 3)],
        },
    )
    r = httpx.get(
        f"{backend.server.base_url}/api/v1/waybills/{NUMBER}/waybill.pdf",
        headers={"Authorization": f"Bearer {backend.server.tokens['admin']}"},
        timeout=30,
    )
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    qr = _pdf_qr(r.content, tmp_path)
    assert f"/waybills/{NUMBER}/inspect?t=" in qr
    return qr


def test_a_printed_waybills_qr_checks_the_truck_in_front_of_the_inspector(
    phone: BrowserContext, live_server: LiveServer, backend: Backend, tmp_path: Path
) -> None:
    qr = _printed_waybill_qr(backend, tmp_path)
    page = inspector_page(phone, live_server)
    page.select_option("#checkpoint", "ZB-G20")  # on the G20 in Zibo: on the route
    posted: list[str] = []
    page.on("request", lambda req: posted.append(req.url) if req.method == "POST" else None)

    # The reader types the QR: a card asks for the plate, nothing is sent as a carton scan.
    scan(page, qr)
    card = page.locator("#waybill")
    expect(card).to_be_visible()
    expect(card.locator("#wb-hint")).to_contain_text(NUMBER)
    expect(page.locator("#wb-plate")).to_have_value("")
    expect(page.locator("#wb-plate")).to_be_focused()
    assert not [u for u in posted if "/api/v1/scans" in u]
    assert page.locator("#history li").count() == 0

    # The right truck, its plate typed as people write it: all fine, in green, with city names.
    page.locator("#wb-plate").fill("鲁b·5w2h7")
    page.click("#wb-form button[type=submit]")
    banner = page.locator("#wb-banner")
    expect(banner).to_have_attribute("data-ok", "true")
    expect(banner).to_contain_text("核查通过")
    expect(banner).to_contain_text("车牌相符")
    expect(banner).to_contain_text("在路线上")
    facts = page.locator("#wb-facts")
    expect(facts).to_contain_text("济南市 → 淄博市 → 潍坊市 → 青岛市")
    expect(facts).to_contain_text(NUMBER)
    expect(facts).to_contain_text("3 箱")
    expect(facts).to_contain_text("李师傅")
    expect(facts).not_to_contain_text("370100")
    expect(page.locator("#verdict")).to_have_class("verdict tone-green")
    assert [u for u in posted if u.endswith("/api/v1/waybill-inspections")]
    green = bg(page)
    assert not [u for u in posted if "/api/v1/scans" in u]

    # Another truck carrying the same paper: red, naming both plates.
    page.locator("#wb-plate").fill("鲁B00001")
    page.click("#wb-form button[type=submit]")
    expect(banner).to_have_attribute("data-ok", "false")
    expect(banner).to_contain_text("车牌不符")
    expect(banner).to_contain_text("鲁B00001")
    expect(banner).to_contain_text(PLATE)
    expect(banner).not_to_contain_text("不在路线上")
    expect(page.locator("#verdict")).to_have_class("verdict tone-red")
    assert bg(page) != green and bg(page) != "rgba(0, 0, 0, 0)"
    no_sideways_scroll(page)
    card.scroll_into_view_if_needed()
    shoot(page, "inspector-waybill-phone")

    # A carton code typed afterwards is still a scan, not a waybill.
    page.click("#wb-close")
    expect(card).to_be_hidden()
    carton = backend.issue("370300", 1)[0]["payload"]
    scan(page, carton)
    expect(page.locator("#history li")).to_have_count(1)
