"""The distributor's reports and HQ's audit queue, map and charts in a real browser, on
violations made the real way: coded cartons delivered on waybills, then scanned elsewhere."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import BrowserContext, Locator, Page, expect

from app.models import Role
from tests.conftest import LiveServer
from tests.web.conftest import Backend, sign_in

pytestmark = pytest.mark.browser


def row(page: Page, violation_id: int) -> Locator:
    return page.locator(f"tr[data-violation-id='{violation_id}']")


def open_violation(page: Page, violation_id: int) -> None:
    row(page, violation_id).click()
    expect(page.locator("#detail")).to_have_attribute("data-violation-id", str(violation_id))


def test_a_distributor_sees_its_own_reports_appeals_and_its_credited_sales(
    context: BrowserContext, live_server: LiveServer, backend: Backend
) -> None:
    backend.add_user("yantai-distributor", Role.distributor, distributor="D-370600-1")
    # Yantai goods found in Qingdao (against Yantai), Qingdao goods found in Yantai (for it),
    # and a Jinan-Liaocheng case that does not concern Yantai at all.
    (against,) = backend.divert(
        home="370600", to="D-370600-1", into="370200", checkpoint="QD-G20-W", number="WB-YT-1"
    )
    (favour,) = backend.divert(
        home="370200", to="D-370200-1", into="370600", checkpoint="YT-G18", number="WB-QD-1"
    )
    (other,) = backend.divert(
        home="370100", to="D-370100-1", into="371500", checkpoint="LC-G3", number="WB-JN-9"
    )
    page = context.new_page()
    sign_in(page, live_server, "yantai-distributor", lands_on="/distributor")
    rows = page.locator("tr[data-violation-id]")
    expect(rows).to_have_count(2)
    expect(row(page, against).locator("[data-side]")).to_have_attribute("data-side", "against")
    expect(row(page, favour).locator("[data-side]")).to_have_attribute("data-side", "for")
    expect(row(page, other)).to_have_count(0)

    # Goods delivered to Yantai this month: one carton at 48.00.
    expect(page.locator("#balances tr[data-party='D-370600-1'] td.num")).to_have_text("¥48.00")

    # Only the diverting side may appeal.
    open_violation(page, favour)
    expect(page.locator("#detail form")).to_have_count(0)
    open_violation(page, against)
    detail = page.locator("#detail")
    expect(detail.locator("tr[data-scan-id]")).to_have_count(1)
    expect(detail.locator("tr[data-scan-id]")).to_contain_text("青岛收费站(流亭)")
    page.fill("#appeal-reason", "货物为经批准的展会样品 Samples for an approved trade fair")
    page.fill("#appeal-evidence", "DN-2026-1188")
    page.click("button[value=appeal]")
    expect(detail).to_have_attribute("data-status", "appealed")
    expect(detail.locator("form")).to_have_count(0)
    expect(detail.locator(".timeline li[data-to-status=appealed]")).to_contain_text("DN-2026-1188")
    expect(row(page, against).locator("[data-status]")).to_have_attribute("data-status", "appealed")
    assert backend.get("admin", f"/violations/{against}")["status"] == "appealed"

    # Someone else's report is not there to open, even by its number.
    assert (
        page.evaluate(
            "id => fetch(`/api/v1/violations/${id}`, {headers: {Authorization: "
            "`Bearer ${localStorage.getItem('cg.token')}`}}).then(r => r.status)",
            other,
        )
        == 404
    )


def test_a_distributor_with_nothing_to_report_sees_helpful_empty_states(
    context: BrowserContext, live_server: LiveServer, backend: Backend
) -> None:
    backend.add_user("weifang-distributor", Role.distributor, distributor="D-370700-1")
    page = context.new_page()
    sign_in(page, live_server, "weifang-distributor", lands_on="/distributor")
    expect(page.locator("[data-empty=violations]")).to_contain_text("目前没有涉及您的窜货记录")
    expect(page.locator("[data-empty=balances]")).to_contain_text("本月没有到货")


def test_a_salesperson_sees_the_reports_of_their_customers_without_appealing(
    context: BrowserContext, live_server: LiveServer, backend: Backend
) -> None:
    (theirs,) = backend.divert(
        home="370100", to="D-370100-2", into="371700", checkpoint="HZ-G35", number="WB-JN-S"
    )
    (not_theirs,) = backend.divert(
        home="370600", to="D-370600-2", into="370700", checkpoint="WF-G20", number="WB-YT-S"
    )
    page = context.new_page()
    sign_in(page, live_server, "jinan-sales", lands_on="/distributor")
    expect(page.locator("#party")).to_contain_text("济南市业务员")
    expect(row(page, theirs).locator("[data-side]")).to_have_attribute("data-side", "against")
    expect(row(page, not_theirs)).to_have_count(0)
    open_violation(page, theirs)
    expect(page.locator("#detail")).to_contain_text("济南市二批商行")
    expect(page.locator("#detail form")).to_have_count(0)


def test_hq_rules_on_an_appeal_then_reverses_and_dismisses(
    context: BrowserContext, live_server: LiveServer, backend: Backend
) -> None:
    (appealed,) = backend.divert(
        home="370100", to="D-370100-1", into="370300", checkpoint="ZB-G20", number="WB-JN-20"
    )
    backend.post(
        "jinan-distributor", f"/violations/{appealed}/appeal", {"reason": "运输途中 in transit"}
    )
    (opened,) = backend.divert(
        home="370100", to="D-370100-1", into="370700", checkpoint="WF-G20", number="WB-JN-21"
    )
    page = context.new_page()
    sign_in(page, live_server, "auditor", lands_on="/hq")
    # The queue holds both, appeals first.
    expect(row(page, appealed)).to_have_count(1)
    expect(row(page, opened)).to_have_count(1)
    statuses = page.locator("#queue tr[data-violation-id] [data-status]").evaluate_all(
        "els => els.map(e => e.dataset.status)"
    )
    assert statuses == sorted(statuses, key=lambda s: s != "appealed")

    open_violation(page, appealed)
    detail = page.locator("#detail")
    expect(detail.locator("h3").first).to_contain_text("裁定申诉")
    page.fill("#decide-note", "送货单与扫码地点不符 The delivery note does not match")
    page.click("button[value=confirm]")
    expect(detail).to_have_attribute("data-status", "confirmed")
    # The confirmation moved the value on the ledger, and the queue no longer holds it.
    expect(detail.locator("tr[data-entry-id]").first).to_be_visible()
    expect(row(page, appealed)).to_have_count(0)
    assert backend.get("admin", f"/violations/{appealed}")["status"] == "confirmed"

    page.fill("#reverse-note", "复核发现误判 A second look showed a mistake")
    page.click("button[value=reverse]")
    expect(detail).to_have_attribute("data-status", "reversed")
    steps = detail.locator(".timeline li").evaluate_all("els => els.map(e => e.dataset.toStatus)")
    assert steps == ["open", "appealed", "confirmed", "reversed"]
    assert backend.get("admin", f"/violations/{appealed}")["status"] == "reversed"

    open_violation(page, opened)
    page.fill("#decide-note", "库存调拨 A stock transfer")
    page.click("button[value=dismiss]")
    expect(detail).to_have_attribute("data-status", "dismissed")
    assert backend.get("admin", f"/violations/{opened}")["status"] == "dismissed"
    page.click("button[data-tab=dismissed]")
    expect(row(page, opened)).to_have_count(1)


def test_hq_map_draws_every_region_and_the_diversion_flows_and_lists_page_through(
    context: BrowserContext, live_server: LiveServer, backend: Backend
) -> None:
    ids = backend.divert(
        home="370200",
        to="D-370200-1",
        into="371700",
        checkpoint="HZ-G35",
        number="WB-M",
        cartons=21,
    )
    regions = backend.get("admin", "/regions", limit=500)["items"]
    with_boundary = {r["code"] for r in regions if r["boundary"]}
    page = context.new_page()
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    sign_in(page, live_server, "auditor", lands_on="/hq")

    # ECharts draws the regions and flows on a canvas; the container says what it drew.
    page_map = page.locator("#map")
    expect(page_map).to_have_attribute("data-regions", ",".join(sorted(with_boundary)))
    assert len(with_boundary) >= 16  # every Shandong city has its real boundary in the demo
    canvas = page.locator("#map .map-canvas canvas").first
    expect(canvas).to_be_visible()
    box = canvas.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 300
    # The canvas is not blank: the regions are filled with their colour.
    painted = canvas.evaluate(
        """c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
               let n = 0; for (let i = 0; i < d.length; i += 4) if (d[i + 3] && d[i] < 240) n++;
               return n; }"""
    )
    assert painted > 10_000
    flows = (page_map.get_attribute("data-flows") or "").split(",")
    assert "370200>371700" in flows
    row_ = page.locator("tr[data-flow='370200>371700']")
    expect(row_).to_contain_text("菏泽市")
    expect(row_).to_contain_text("青岛市")
    assert int(row_.get_attribute("data-count") or 0) >= 1

    weeks = json.loads(page.locator("#chart-weekly").get_attribute("data-weeks") or "[]")
    assert weeks[-1] >= 21
    expect(page.locator("#chart-weekly canvas").first).to_be_visible()
    assert "371700" in (page.locator("#chart-value").get_attribute("data-regions") or "")
    assert "¥" in (page.locator("#chart-value").get_attribute("data-values") or "")
    # Map, boundaries and library all come from this server: nothing leaves for tiles or a CDN.
    assert any(u.endswith("/static/vendor/echarts.js") for u in requested)
    outside = [u for u in requested if not u.startswith((live_server.base_url, "data:", "blob:"))]
    assert outside == []

    chain = backend.get("auditor", "/audit-log/verify")
    assert chain["ok"] is True
    expect(page.locator("#chain")).to_have_attribute("data-ok", "true")
    expect(page.locator("#chain")).to_contain_text("审计链完整")

    # The queue pages through every violation, 20 at a time, none twice.
    total = backend.get("auditor", "/violations", status="open", limit=1)["total"]
    assert total >= 21
    page.click("#queue button[data-tab=all]")
    expect(page.locator("#queue [data-view]")).to_have_attribute("data-view", "all@0")
    rows = page.locator("#queue tr[data-violation-id]")
    expect(rows).to_have_count(20)
    seen = rows.evaluate_all("els => els.map(e => e.dataset.violationId)")
    every = backend.get("auditor", "/violations", limit=1)["total"]
    for start in range(20, every, 20):
        page.click("#queue button[data-action=next]")
        expect(page.locator("#queue [data-view]")).to_have_attribute("data-view", f"all@{start}")
        expect(page.locator("#queue .pager-info")).to_contain_text(f"{start + 1}–")
        expect(rows).to_have_count(min(20, every - start))
        seen += rows.evaluate_all("els => els.map(e => e.dataset.violationId)")
    assert len(seen) == len(set(seen))
    assert len(seen) == every
    assert {str(i) for i in ids} <= set(seen)


def test_hq_sees_that_the_audit_chain_was_tampered_with(
    context: BrowserContext, live_server: LiveServer, backend: Backend
) -> None:
    """Last in this module: it breaks the served database's audit chain for good."""
    backend.tamper_with_audit_entry(2)
    page = context.new_page()
    sign_in(page, live_server, "auditor", lands_on="/hq")
    expect(page.locator("#chain")).to_have_attribute("data-ok", "false")
    expect(page.locator("#chain")).to_contain_text("审计链异常：#2")


def test_a_distributor_views_the_photo_that_proves_a_diversion(
    context: BrowserContext, live_server: LiveServer, backend: Backend
) -> None:
    import io
    from datetime import UTC, datetime

    import httpx
    import segno

    codes = backend.issue("370100", 1)
    backend.deliver(codes, to="D-370100-1", region="370100", number="WB-PHOTO-1")
    buf = io.BytesIO()
    segno.make(codes[0]["payload"], error="m").save(buf, kind="png", scale=8, border=4)
    r = httpx.post(
        f"{live_server.base_url}/api/v1/scans/photo",
        headers={"Authorization": f"Bearer {live_server.tokens['inspector']}"},
        files={"file": ("shelf.png", buf.getvalue(), "image/png")},
        data={"checkpoint_code": "HZ-G35", "scanned_at": datetime.now(UTC).isoformat()},
    )
    assert r.status_code == 200, r.text
    (result,) = r.json()["results"]
    assert result["verdict"] == "diversion"
    page = context.new_page()
    sign_in(page, live_server, "jinan-distributor", lands_on="/distributor")
    open_violation(page, result["violation_id"])
    page.locator("#detail button[data-photo]").click()
    photo = page.locator("#detail img.evidence-photo")
    expect(photo).to_be_visible()
    width = photo.evaluate("img => img.decode().then(() => img.naturalWidth)")
    assert width == segno.make(codes[0]["payload"], error="m").symbol_size(scale=8, border=4)[0]
