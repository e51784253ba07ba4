"""Transport and squads on the admin's page, in a real browser: a vehicle put on the register,
a waybill issued for it with a batch's cartons and printed as a PDF that names the truck, the
vehicle revoked; a squad formed for Jinan whose inspector's scans show in the month's report.
Refusals read in Chinese."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.conftest import LiveServer
from tests.web.conftest import PHONE, Backend, Profiles, new_context
from tests.web.test_admin import open_admin, tab
from tests.web.test_phone import shoot
from tests.web.test_screenshots import SIZES, no_sideways_scroll

pytestmark = pytest.mark.browser

PLATE = "鲁B88K27"  # typed as 鲁b·88k27: the register keeps one form


def flash(page: Page, text: str) -> None:
    expect(page.locator("#flash")).to_contain_text(text)
    expect(page.locator("#editor")).to_be_hidden()


def refused(page: Page, text: str) -> None:
    expect(page.locator("#editor-message")).to_contain_text(text)
    expect(page.locator("#editor")).to_be_visible()


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    src = tmp_path / "waybill.pdf"
    src.write_bytes(pdf)
    out = subprocess.run(["pdftotext", str(src), "-"], check=True, capture_output=True)
    return out.stdout.decode()


def test_register_a_vehicle_issue_and_print_its_waybill_then_revoke_it(
    live_server: LiveServer, backend: Backend, profiles: Profiles, tmp_path: Path
) -> None:
    page = profiles.open(accept_downloads=True)
    open_admin(page, live_server)
    tab(page, "vehicles")

    # Not a plate: the refusal says why in Chinese, naming the field.
    page.click("#add")
    page.fill("#f-plate", "XA12345")
    page.fill("#f-owner", "济南顺达物流有限公司")
    page.fill("#f-driver_name", "张师傅")
    page.fill("#f-driver_phone", "13800138000")
    page.select_option("#f-distributor_codes", ["D-370100-1"])
    page.click("#save")
    refused(page, "车牌号：车牌格式不对")

    page.fill("#f-plate", "鲁b·88k27")
    page.click("#save")
    flash(page, f"已创建：{PLATE}")
    row = page.locator(f"#list tr[data-key='{PLATE}']")
    expect(row).to_contain_text("济南顺达物流有限公司")
    expect(row).to_contain_text("济南市一批商行")  # the approved distributor by name
    vehicle = backend.get("admin", f"/vehicles/{PLATE}")
    assert (vehicle["distributor_codes"], vehicle["status"]) == (["D-370100-1"], "active")

    # Edited: a new phone and one more distributor; the plate stays as registered.
    page.locator(f"#list tr[data-key='{PLATE}']").click()
    expect(page.locator("#editor-form")).to_have_attribute("data-mode", "edit")
    expect(page.locator("#f-plate")).to_be_disabled()
    page.fill("#f-driver_phone", "13800138001")
    page.select_option("#f-distributor_codes", ["D-370100-1", "D-370200-1"])
    page.click("#save")
    flash(page, f"已保存：{PLATE}")
    vehicle = backend.get("admin", f"/vehicles/{PLATE}")
    assert (vehicle["driver_phone"], sorted(vehicle["distributor_codes"])) == (
        "13800138001",
        ["D-370100-1", "D-370200-1"],
    )
    expect(row).to_contain_text("青岛市一批商行")

    # The same truck again: 409, in words.
    page.click("#add")
    page.fill("#f-plate", PLATE)
    page.fill("#f-owner", "别人")
    page.fill("#f-driver_name", "李师傅")
    page.fill("#f-driver_phone", "13900139000")
    page.click("#save")
    refused(page, "该车牌已经备案")
    page.click("#editor button.secondary")

    # A waybill for it, the cartons loaded from a code batch, the route from the destination.
    batch = backend.post(
        "admin",
        "/code-batches",
        {"gtin": "06901234560015", "region_code": "370100", "quantity": 3},
    )
    tab(page, "waybills")
    page.click("#add")
    page.select_option("#f-vehicle_plate", PLATE)
    expect(page.locator("#f-driver")).to_have_value("张师傅")
    # Liaocheng's distributor is not on the truck's approval: the issue is refused, in Chinese.
    page.select_option("#f-destination_distributor_code", "D-371500-1")
    expect(page.locator("#vehicle-approved")).to_contain_text("未获准")
    page.select_option("#f-batch", str(batch["id"]))
    page.click("#load-batch")
    expect(page.locator("#carton-count")).to_have_text("共 3 箱")
    page.fill("#f-number", "WB-H14-UI-1")
    page.click("#save")
    refused(page, f"车辆 {PLATE} 未获准给 聊城市一批商行 送货")

    page.locator("#route-list li button").click()  # the wrong city off the route
    page.select_option("#f-destination_distributor_code", "D-370100-1")
    expect(page.locator("#route-list li")).to_have_count(1)
    expect(page.locator("#route-list")).to_contain_text("济南市")
    page.click("#save")
    flash(page, "运单 WB-H14-UI-1 已开具：3 箱")
    waybill = backend.get("admin", "/waybills/WB-H14-UI-1")
    assert (waybill["vehicle_plate"], waybill["route_region_codes"], waybill["cartons"]) == (
        PLATE,
        ["370100"],
        3,
    )
    row = page.locator("#list tr[data-key='WB-H14-UI-1']")
    expect(row).to_contain_text("济南市一批商行")
    expect(row).to_contain_text("在途")

    # The printable waybill: a PDF that names the truck.
    with page.expect_download() as got:
        row.locator("button[data-action='pdf']").click()
    pdf = Path(got.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF-")
    assert got.value.suggested_filename == "waybill-WB-H14-UI-1.pdf"
    text = pdf_text(pdf, tmp_path)
    assert PLATE in text.replace("·", "").replace(" ", ""), text[:500]

    # Its cartons are on board: the same cartons on a second waybill are refused, in words.
    page.click("#add")
    page.select_option("#f-vehicle_plate", PLATE)
    page.select_option("#f-destination_distributor_code", "D-370100-1")
    page.fill("#f-carton_payloads", batch["codes"][0]["serial"])
    page.click("#save")
    refused(page, "这些箱子已在另一张在途运单上")
    page.click("#editor button.secondary")

    # Revoked: the truck leaves the vehicle list of a new waybill.
    tab(page, "vehicles")
    page.locator(f"#list tr[data-key='{PLATE}'] button[data-action='revoke']").click()
    page.click("#save")
    refused(page, "请填写")
    page.fill("#f-revoke-reason", "车辆报废")
    page.click("#save")
    flash(page, f"已吊销：{PLATE}")
    row = page.locator(f"#list tr[data-key='{PLATE}']")
    expect(row).to_have_attribute("data-status", "revoked")
    expect(row).to_contain_text("车辆报废")
    assert backend.get("admin", f"/vehicles/{PLATE}")["status"] == "revoked"
    tab(page, "waybills")
    page.click("#add")
    expect(page.locator(f"#f-vehicle_plate option[value='{PLATE}']")).to_have_count(0)


def test_a_squad_for_jinan_and_its_month_in_the_report(
    browser: Browser, live_server: LiveServer, backend: Backend, tmp_path: Path
) -> None:
    ctx = new_context(browser, accept_downloads=True)
    page = ctx.new_page()
    open_admin(page, live_server)
    tab(page, "squads")
    page.click("#add")
    page.select_option("#f-region_code", "370100")
    expect(page.locator("#f-name")).to_have_value("济南市反窜货行动组")
    # Only distributors holding Jinan may lead; only Jinan's checkpoints may be staffed.
    expect(page.locator("#f-leader_distributor_code option[value='D-371500-1']")).to_have_count(0)
    expect(page.locator("#f-checkpoint_codes option[value='LC-G3']")).to_have_count(0)
    page.select_option("#f-leader_distributor_code", "D-370100-1")
    page.select_option("#f-salesperson_codes", ["SP-370100"])
    page.select_option("#f-checkpoint_codes", ["JN-G2-N", "JN-G20-E"])
    # Inspectors are picked by name; only inspectors are offered.
    page.fill("#f-inspector_usernames", "jinan")
    expect(page.locator("#f-inspector_usernames-list")).to_contain_text("没有找到匹配的人员")
    page.fill("#f-inspector_usernames", "insp")
    page.click("#f-inspector_usernames-list button[data-username='inspector']")
    expect(page.locator("#f-inspector_usernames-picked .chip")).to_have_count(1)
    page.click("#save")
    flash(page, "已创建：济南市反窜货行动组")
    row = page.locator("#list tr[data-key='SQ-370100']")
    expect(row).to_contain_text("济南市一批商行")
    expect(row).to_contain_text("G2京沪高速 济南北收费站")
    # The inspector by name; the login only on hover.
    expect(row.locator(".person[data-username='inspector']")).to_have_text("王建国")

    # A second squad for Jinan: refused in words.
    page.click("#add")
    page.select_option("#f-region_code", "370100")
    page.fill("#f-code", "SQ-370100-B")
    page.select_option("#f-leader_distributor_code", "D-370100-1")
    page.click("#save")
    refused(page, "该区域已经有行动组了")
    page.click("#editor button.secondary")

    # The squad's inspector scans two cartons at its checkpoint: the month's report counts them.
    codes = backend.issue("370100", 2)
    backend.scan([c["element_string"] for c in codes], "JN-G2-N")
    page.reload()
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    report_row = page.locator("#squad-report tr[data-squad='SQ-370100']")
    expect(report_row).to_contain_text("济南市反窜货行动组")
    expected = backend.get("admin", "/squads/report")["items"]
    mine = next(r for r in expected if r["squad_code"] == "SQ-370100")
    assert mine["scans"] >= 2
    expect(report_row.locator("td[data-col='scans']")).to_have_text(str(mine["scans"]))

    with page.expect_download() as got:
        page.click("#report-csv")
    csv = Path(got.value.path()).read_text(encoding="utf-8-sig")
    assert "济南市反窜货行动组" in csv
    assert got.value.suggested_filename.startswith("squads-")
    ctx.close()


def ensure_register(backend: Backend) -> None:
    """The demo's truck on the register and a squad for Qingdao, so that the pages have rows
    to show however these tests are picked."""
    if not backend.get("admin", "/vehicles", q="3J521")["items"]:
        backend.post(
            "admin",
            "/vehicles",
            {
                "plate": "鲁A·3J521",
                "owner": "济南顺达物流有限公司",
                "driver_name": "王师傅",
                "driver_phone": "13700137000",
                "distributor_codes": ["D-370100-1", "D-370200-1"],
            },
        )
    if not any(s["region"]["code"] == "370200" for s in backend.get("admin", "/squads")["items"]):
        backend.post(
            "admin",
            "/squads",
            {
                "code": "SQ-370200",
                "name": "青岛市反窜货行动组",
                "region_code": "370200",
                "leader_distributor_code": "D-370200-1",
                "salesperson_codes": ["SP-370200"],
                "checkpoint_codes": ["QD-G20-W"],
            },
        )


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_transport_pages_fit_and_are_photographed(
    browser: Browser, live_server: LiveServer, backend: Backend, size: str
) -> None:
    phone = size == "phone"
    viewport = PHONE if phone else SIZES[size]
    ctx = new_context(browser, viewport=viewport, is_mobile=phone, has_touch=phone)
    ensure_register(backend)
    page = ctx.new_page()
    open_admin(page, live_server)

    tab(page, "vehicles")
    expect(page.locator("#list tbody tr").first).to_be_visible()
    no_sideways_scroll(page)
    shoot(page, f"admin-vehicles-{size}")

    tab(page, "waybills")
    expect(page.locator("#list tbody tr").first).to_be_visible()
    no_sideways_scroll(page)
    shoot(page, f"admin-waybills-{size}")
    page.click("#add")
    page.select_option("#f-destination_distributor_code", "D-370100-1")
    expect(page.locator("#route-list li")).to_have_count(1)
    no_sideways_scroll(page)
    shoot(page, f"admin-waybill-issue-{size}")

    tab(page, "squads")
    expect(page.locator("#squad-report tbody tr").first).to_be_visible()
    no_sideways_scroll(page)
    shoot(page, f"admin-squads-{size}")
    ctx.close()
