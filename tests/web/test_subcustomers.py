"""我的下级客户 on the distributor's page, in a real browser on the demo data: the distributor's own
二批 and shops by name with their status, credit score and certificate, and nobody else's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from app.models import Role
from tests.conftest import LiveServer
from tests.web.conftest import PHONE, Backend, new_context, sign_in

pytestmark = pytest.mark.browser

# The demo's Jinan sub-customers (distributor D-370100-1) and the status each is in after the
# test's own changes: T1 revoked by the distributor, R2 registered by it and still pending.
JINAN = {
    "SC-370100-W1": ("济南市酒水批发市场二批", "approved", "已授权"),
    "SC-370100-W2": ("济南市物流园二批", "approved", "已授权"),
    "SC-370100-T1": ("济南市终端批发部", "revoked", "已撤销"),
    "SC-370100-R1": ("济南市便利店", "approved", "已授权"),
    "SC-370100-R2": ("济南市新开零售店", "pending", "待审批"),
}


def sub_row(page: Page, code: str) -> Locator:
    return page.locator(f"#sub-customers tr[data-sub-customer='{code}']")


def others(backend: Backend, distributor: str) -> list[str]:
    """Names of the sub-customers of every distributor but `distributor`."""
    items = backend.get("admin", "/sub-customers", limit=500)["items"]
    names = [sc["name"] for sc in items if sc["distributor_code"] != distributor]
    assert len(names) >= 4  # the demo gives every city distributor its own
    return names


def dumped_into_liaocheng(backend: Backend) -> None:
    """A carton delivered to Jinan's distributor, shipped to its logistics-park 二批, scanned in
    by that 二批 and found on a Liaocheng road: a diversion naming the 二批."""
    (code,) = backend.issue("370100", 1)
    backend.deliver([code], to="D-370100-1", region="370100", number="WB-SC-DUMP")
    at = datetime.now(UTC)
    item = {"payload": code["element_string"]}
    ship = {**item, "to_party_code": "SC-370100-W2", "at": (at - timedelta(minutes=30)).isoformat()}
    backend.post("jinan-distributor", "/custody/ship", {"items": [ship]})
    receive = {**item, "at": (at - timedelta(minutes=20)).isoformat()}
    backend.post("jinan-dumper", "/custody/receive", {"items": [receive]})
    (found,) = backend.scan([code["element_string"]], "LC-G3")
    assert found["verdict"] == "diversion"


def test_a_distributor_sees_its_own_sub_customers_by_name_with_status_credit_and_certificate(
    context: BrowserContext, live_server: LiveServer, backend: Backend
) -> None:
    backend.post("jinan-distributor", "/sub-customers/SC-370100-T1/revoke", {"reason": "停业"})
    # The demo's dumping 二批 takes in one more Jinan carton that is then found in Liaocheng, and
    # HQ confirms all its diversions: its score falls below the policy's revocation line.
    dumped_into_liaocheng(backend)
    against_w2 = [
        v
        for v in backend.get("auditor", "/violations", limit=200)["items"]
        if v.get("diverting_sub_customer_code") == "SC-370100-W2"
    ]
    # Three diversions; it also sold below the floor, and those price cases count on its record.
    dumped = [v["id"] for v in against_w2 if v["kind"] == "diversion"]
    assert len(dumped) == 3
    assert len(against_w2) > 3
    for vid in dumped:
        backend.post(
            "auditor", f"/violations/{vid}/decide", {"decision": "confirm", "note": "属实"}
        )
    w2_now = backend.get("jinan-distributor", "/sub-customers/SC-370100-W2")
    assert w2_now["revocation_recommended"] is True

    page = context.new_page()
    sign_in(page, live_server, "jinan-distributor", lands_on="/distributor")
    section = page.locator("#sub-customers-card")
    expect(section.locator("h2")).to_have_text("我的下级客户")
    rows = page.locator("#sub-customers tr[data-sub-customer]")
    expect(rows).to_have_count(len(JINAN))
    assert set(rows.evaluate_all("els => els.map(e => e.dataset.subCustomer)")) == set(JINAN)
    for code, (name, status, label) in JINAN.items():
        r = sub_row(page, code)
        expect(r.locator("strong")).to_have_text(name)
        expect(r.locator(".badge[data-sc-status]")).to_have_attribute("data-sc-status", status)
        expect(r.locator(".badge[data-sc-status]")).to_have_text(label)
        expect(r).to_contain_text("济南市")  # the region by name
    # Names, not codes: no code and no region number is printed.
    text = page.locator("#sub-customers").inner_text()
    assert "SC-370100" not in text and "370100" not in text
    # Nobody else's sub-customers.
    for name in others(backend, "D-370100-1"):
        assert name not in text, name

    expect(sub_row(page, "SC-370100-W1")).to_contain_text("二级批发")
    expect(sub_row(page, "SC-370100-R2")).to_contain_text("零售店")
    # Credit: the dumping 二批 is at the line and flagged; the other is clean.
    w2 = sub_row(page, "SC-370100-W2")
    expect(w2).to_contain_text(f"{w2_now['credit_score']} 分")
    expect(w2.locator("[data-revoke=recommended]")).to_have_text("建议撤销授权")
    expect(w2).to_contain_text(f"{len(against_w2)} 起违规记录（窜货、乱价）")
    expect(sub_row(page, "SC-370100-W1")).to_contain_text("100 分")
    expect(sub_row(page, "SC-370100-W1").locator("[data-revoke]")).to_have_count(0)
    # Cartons held now and the median time to receipt, in words.
    expect(w2.locator("[data-cartons]")).to_have_text(str(w2_now["cartons_held"]))
    assert w2_now["cartons_held"] == 5
    expect(sub_row(page, "SC-370100-W1").locator("[data-hours]")).to_have_text("23小时")
    expect(sub_row(page, "SC-370100-R2").locator("[data-hours]")).to_have_text("尚无收货")

    # A certificate only for the approved; the PDF comes with the token and opens in a new tab.
    for code, (_name, status, _label) in JINAN.items():
        expect(sub_row(page, code).locator("button[data-certificate]")).to_have_count(
            1 if status == "approved" else 0
        )
    expect(sub_row(page, "SC-370100-R2")).to_contain_text("获批后签发")
    expect(sub_row(page, "SC-370100-T1")).to_contain_text("证书已失效")
    with (
        context.expect_page() as opened,
        page.expect_response(lambda r: r.url.endswith("/SC-370100-W1/certificate.pdf")) as got,
    ):
        sub_row(page, "SC-370100-W1").locator("button[data-certificate]").click()
    response = got.value
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.request.headers["authorization"].startswith("Bearer cg_")
    tab = opened.value
    tab.wait_for_url("blob:**")
    assert tab.url.startswith(f"blob:{live_server.base_url}/")
    expect(sub_row(page, "SC-370100-W1").locator(".error")).to_have_text("")


def test_another_distributor_sees_only_its_own_on_a_phone_and_in_english(
    browser: Browser, live_server: LiveServer, backend: Backend
) -> None:
    ctx = new_context(browser, viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        page = ctx.new_page()
        sign_in(page, live_server, "liaocheng-distributor", lands_on="/distributor")
        rows = page.locator("#sub-customers tr[data-sub-customer]")
        expect(rows).to_have_count(4)
        codes = rows.evaluate_all("els => els.map(e => e.dataset.subCustomer)")
        assert sorted(codes) == [f"SC-371500-{s}" for s in ("R1", "T1", "W1", "W2")]
        text = page.locator("#sub-customers").inner_text()
        assert "聊城市酒水批发市场二批" in text
        for name in others(backend, "D-371500-1"):
            assert name not in text, name
        # A card each: no header row, every cell labelled, nothing wider than the screen.
        expect(page.locator("#sub-customers thead")).to_be_hidden()
        first = rows.first
        expect(first.locator("td").nth(2)).to_have_attribute("data-label", "状态")
        box = first.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]

        page.click("#lang")
        expect(page.locator("body")).to_have_attribute("data-ready", "true")
        expect(page.locator("#sub-customers-h")).to_have_text("My sub-customers")
        expect(page.locator("#sub-customers .badge[data-sc-status=approved]").first).to_have_text(
            "Authorized"
        )
        w1 = page.locator("#sub-customers tr[data-sub-customer='SC-371500-W1']")
        expect(w1.locator("[data-hours]")).to_have_text("Nothing received yet")
        expect(w1).to_contain_text("Second-tier wholesaler")
    finally:
        ctx.close()


def test_a_distributor_without_sub_customers_is_told_how_they_appear(
    context: BrowserContext, live_server: LiveServer, backend: Backend
) -> None:
    backend.add_user("jinan-second", Role.distributor, distributor="D-370100-2")
    page = context.new_page()
    sign_in(page, live_server, "jinan-second", lands_on="/distributor")
    empty = page.locator("[data-empty=sub-customers]")
    expect(empty).to_contain_text("您还没有下级客户")
    expect(empty).to_contain_text("总部审批后")
    expect(page.locator("#sub-customers tr")).to_have_count(0)
