"""The inspector's phone for real: the camera decoding a printed label continuously, verdicts
given offline and confirmed later, photos taken offline, both languages, hand-off scans, and no
request ever leaving the local server."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import numpy as np
import pytest
import segno
import zxingcpp
from PIL import Image
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    Playwright,
    Route,
    expect,
    sync_playwright,
)

from app.codes.labels import _gs1_128_bars
from tests.conftest import LiveServer
from tests.web.conftest import (
    BEER_GTIN,
    CHROMIUM,
    CHROMIUM_ARGS,
    PHONE,
    SW_READY_WITHIN_A_MINUTE,
    Backend,
    LocalOnly,
    new_context,
    sign_in,
)

pytestmark = pytest.mark.browser


# ---- every request stays on the local server ---------------------------------------------------


@pytest.fixture
def phone(browser: Browser, live_server: LiveServer) -> Iterator[tuple[BrowserContext, LocalOnly]]:
    ctx = new_context(browser, viewport=PHONE, is_mobile=True, has_touch=True)
    watch = LocalOnly(ctx, live_server.base_url)
    yield ctx, watch
    ctx.close()
    watch.check()


def scan(page: Page, payload: str) -> None:
    page.locator("#payload").focus()
    page.keyboard.type(payload)
    page.keyboard.press("Enter")


SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def shoot(page: Page, name: str) -> None:
    """A full-page screenshot for the README (docs/screenshots/NAME.png)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


# ---- a printed label in front of a fake camera ---------------------------------------------------


def label_png(server: LiveServer, region: str, out: Path) -> dict[str, str]:
    """Issue one carton code and print its thermal label (QR + GS1 DataMatrix) to a PNG, as a
    phone would see the label on a carton."""
    r = httpx.post(
        f"{server.base_url}/api/v1/code-batches",
        headers={"Authorization": f"Bearer {server.tokens['admin']}"},
        json={"gtin": BEER_GTIN, "region_code": region, "quantity": 1},
        timeout=30,
    )
    assert r.status_code == 201, r.text
    batch = r.json()
    pdf = httpx.get(
        f"{server.base_url}/api/v1/code-batches/{batch['id']}/labels.pdf",
        params={"layout": "thermal"},
        headers={"Authorization": f"Bearer {server.tokens['admin']}"},
        timeout=30,
    )
    assert pdf.status_code == 200, pdf.text
    (out.parent / "label.pdf").write_bytes(pdf.content)
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "150",
            "-singlefile",
            str(out.parent / "label.pdf"),
            str(out.with_suffix("")),
        ],
        check=True,
    )
    return dict(batch["codes"][0])


def write_y4m(
    picture: Path,
    out: Path,
    *,
    size: tuple[int, int] = (1280, 720),
    frames: int = 12,
    fill: float = 0.7,
) -> None:
    """A short Y4M (4:2:0) video of the picture held in front of the camera on a grey desk,
    drifting a little from frame to frame as a hand would."""
    w, h = size
    label = Image.open(picture).convert("RGB")
    label.thumbnail((int(w * fill), int(h * 0.85)))
    with out.open("wb") as f:
        f.write(f"YUV4MPEG2 W{w} H{h} F10:1 Ip A1:1 C420jpeg\n".encode())
        for i in range(frames):
            frame = Image.new("RGB", size, (96, 100, 104))
            frame.paste(
                label, ((w - label.width) // 2 + (i % 4) * 3, (h - label.height) // 2 + (i % 3) * 2)
            )
            ycc = np.asarray(frame.convert("YCbCr"))
            f.write(b"FRAME\n")
            f.write(np.ascontiguousarray(ycc[:, :, 0]).tobytes())
            for c in (1, 2):
                chroma = Image.fromarray(np.ascontiguousarray(ycc[:, :, c])).resize(
                    (w // 2, h // 2)
                )
                f.write(np.asarray(chroma).tobytes())


def symbol_png(kind: str, code: dict[str, str], out: Path) -> None:
    """Only one symbol in view: a GS1 DataMatrix or a GS1-128 of the carton's element string."""
    raw = (
        code["element_string"]
        .replace("(01)", "01")
        .replace("(21)", "21")
        .replace("(91)", "\x1d91")
        .replace("(92)", "\x1d92")
    )
    if kind == "datamatrix":
        symbol = zxingcpp.create_barcode(
            code["element_string"], zxingcpp.BarcodeFormat.DataMatrix, gs1=True
        )
        Image.fromarray(np.asarray(symbol.to_image(scale=12, add_quiet_zones=True))).save(out)
        return
    # GS1-128 as the A4 label prints it: the label's own bar pattern, 2 px a module.
    bars = np.array([0] * 12 + _gs1_128_bars(raw) + [0] * 12, dtype=np.uint8)
    row = np.where(np.repeat(bars, 2) == 1, 0, 255).astype(np.uint8)
    Image.fromarray(np.tile(row, (160, 1))).save(out)


@pytest.fixture
def camera_browser(tmp_path: Path, live_server: LiveServer) -> Iterator[tuple[Playwright, Path]]:
    with sync_playwright() as p:
        yield p, tmp_path


@pytest.mark.parametrize("kind", ["label", "datamatrix", "gs1-128"])
def test_the_camera_reads_a_printed_label_and_the_verdict_appears_once(
    camera_browser: tuple[Playwright, Path],
    live_server: LiveServer,
    backend: Backend,
    kind: str,
    record_property: Callable[[str, object], None],
) -> None:
    """`label`: the thermal label as printed (QR and GS1 DataMatrix of one carton, both in view);
    the others hold a single GS1 symbol, which the page sends with its symbology identifier."""
    p, tmp = camera_browser
    code = label_png(live_server, "370100", tmp / "label.png")  # a Jinan carton
    if kind != "label":
        symbol_png(kind, code, tmp / "label.png")
    # A GS1-128 of a whole carton code is about 700 modules long: held close, across the view.
    if kind == "gs1-128":
        write_y4m(tmp / "label.png", tmp / "camera.y4m", size=(1920, 1080), fill=0.95)
    else:
        write_y4m(tmp / "label.png", tmp / "camera.y4m")
    browser = p.chromium.launch(
        executable_path=CHROMIUM,
        args=[
            *CHROMIUM_ARGS,
            "--use-fake-device-for-media-stream",
            "--use-fake-ui-for-media-stream",
            f"--use-file-for-fake-video-capture={tmp / 'camera.y4m'}",
        ],
    )
    try:
        ctx = new_context(browser, viewport=PHONE, is_mobile=True, has_touch=True)
        watch = LocalOnly(ctx, live_server.base_url)
        ctx.grant_permissions(["camera"], origin=live_server.base_url)
        page = ctx.new_page()
        sign_in(page, live_server, "inspector", lands_on="/inspector")
        page.select_option("#checkpoint", "LC-G3")  # a Liaocheng road
        page.click("#camera-toggle")
        expect(page.locator("body")).to_have_attribute("data-camera", "on")
        verdict = page.locator("#verdict")
        expect(verdict).to_have_attribute("data-verdict", "diversion", timeout=20_000)
        expect(verdict).to_have_attribute("data-provisional", "false")
        expect(verdict.locator(".sentence")).to_have_text(
            "该箱专供济南市，在聊城市被查到，无有效运单"
        )
        if kind == "label":
            shoot(page, "inspector-camera-phone")
        # The label stays in view (QR and DataMatrix both readable): still one scan.
        page.wait_for_timeout(2500)
        # Each frame is read well within a second, even on this shared test machine.
        decode_ms = int(page.locator("body").get_attribute("data-decode-ms") or "-1")
        record_property("decode_ms", decode_ms)
        record_property("frame", page.locator("body").get_attribute("data-frame"))
        assert 0 <= decode_ms < 1000
        page.click("#camera-toggle")
        expect(page.locator("body")).to_have_attribute("data-camera", "off")
        stored = backend.scans_of(code["serial"])
        assert [(s["checkpoint_code"], s["verdict"]) for s in stored] == [("LC-G3", "diversion")]
        expect(page.locator("#history li")).to_have_count(1)
        prefix = {"label": "", "datamatrix": "]d2", "gs1-128": "]C1"}[kind]
        sent = page.locator("#history li .payload").inner_text()
        assert sent.startswith(prefix) and code["serial"] in sent
        # The decoder and its WebAssembly came from this server.
        assert any(u.endswith("/static/vendor/zxing_reader.wasm") for u in watch.requests)
        watch.check()
        ctx.close()
    finally:
        browser.close()


# ---- offline: provisional verdicts, then the real ones -----------------------------------------


@pytest.mark.parametrize(
    ("user", "knows_waybills"),
    # Inspectors may not read waybills (party data), so only the server knows `passing` is in
    # transit; an admin's phone caches the waybills on its roads and knows it offline too.
    [("inspector", False), ("admin", True)],
)
def test_offline_scans_get_a_provisional_verdict_then_the_real_one_and_are_stored_once(
    phone: tuple[BrowserContext, LocalOnly],
    live_server: LiveServer,
    backend: Backend,
    user: str,
    knows_waybills: bool,
) -> None:
    ctx, _watch = phone
    home, moved, away = backend.issue("370100", 3)
    # `moved` is coded for Jinan but was delivered to a Liaocheng distributor: only the server
    # knows that its territory is Liaocheng now.
    backend.deliver([moved], to="D-371500-1", region="371500", number=f"WB-PHONE-MOVED-{user}")
    backend.deliver([away], to="D-370100-1", region="370100", number=f"WB-PHONE-AWAY-{user}")
    # `passing` is on its way to Qingdao on a waybill whose route crosses Liaocheng.
    (passing,) = backend.issue("370200", 1)
    now = datetime.now(UTC)
    backend.post(
        "admin",
        "/waybills",
        {
            "number": f"WB-PHONE-PASSING-{user}",
            "vehicle_plate": "鲁B12345",
            "dispatched_at": (now - timedelta(hours=1)).isoformat(),
            "expected_arrival": (now + timedelta(hours=5)).isoformat(),
            "destination_distributor_code": "D-370200-1",
            "route_region_codes": ["371500", "370200"],
            "issuer": "logistics",
            "salesperson_code": "SP-370200",
            "carton_payloads": [passing["element_string"]],
        },
    )
    page = ctx.new_page()
    sign_in(page, live_server, user, lands_on="/hq" if user == "admin" else "/inspector")
    if user == "admin":
        page.goto(f"{live_server.base_url}/inspector")
        expect(page.locator("body")).to_have_attribute("data-ready", "true")
        page.click("[data-mode=inspect]")
    # A worker that never installs fails the test after a minute rather than hanging it.
    assert page.evaluate(SW_READY_WITHIN_A_MINUTE)
    page.select_option("#checkpoint", "LC-G3")
    if knows_waybills:
        # Choosing the checkpoint keeps the waybills on its roads for offline use.
        page.wait_for_function(
            "() => JSON.parse(localStorage.getItem('cg.waybills') || '[]')"
            f".some((w) => w.number === 'WB-PHONE-PASSING-{user}')"
        )

    ctx.set_offline(True)
    expect(page.locator("#net")).to_have_attribute("data-online", "false")
    verdict = page.locator("#verdict")
    scan(page, away["element_string"])
    expect(verdict).to_have_attribute("data-provisional", "true")
    expect(verdict).to_have_attribute("data-verdict", "diversion")
    expect(verdict.locator(".verdict-main")).to_have_text("疑似窜货（待确认）")
    expect(verdict).to_contain_text("离线判断")
    expect(verdict.locator(".sentence")).to_contain_text("专供济南市，在聊城市被扫描")
    scan(page, moved["payload"])
    expect(verdict.locator(".verdict-main")).to_have_text("疑似窜货（待确认）")
    scan(page, passing["element_string"])
    if knows_waybills:
        expect(verdict.locator(".verdict-main")).to_have_text("运输途中（待确认）")
        expect(verdict.locator(".sentence")).to_contain_text(f"WB-PHONE-PASSING-{user}")
    else:
        expect(verdict.locator(".verdict-main")).to_have_text("疑似窜货（待确认）")
    page.select_option("#checkpoint", "JN-G2-N")
    scan(page, home["element_string"])
    expect(verdict).to_have_attribute("data-verdict", "in_region")
    expect(verdict.locator(".verdict-main")).to_have_text("区域内（待确认）")
    expect(page.locator("#history .badge[data-provisional=true]")).to_have_count(4)
    expect(page.locator("#sync")).to_have_attribute("data-waiting", "4")
    if user == "inspector":
        shoot(page, "inspector-offline-phone")

    ctx.set_offline(False)
    expect(page.locator("#sync")).to_have_attribute("data-waiting", "0", timeout=20_000)
    changes = page.locator("#changes-list li")
    expect(changes).to_have_count(4)
    changed = page.locator("#changes-list li[data-changed=true]")
    expect(changed).to_have_count(1 if knows_waybills else 2)
    expect(
        page.locator(f"#changes-list li[data-changed=true]:has-text('{moved['serial']}')")
    ).to_contain_text(f"{moved['serial']}：疑似窜货（待确认） → 本区域")
    if not knows_waybills:
        expect(changed.filter(has_text=passing["serial"])).to_contain_text("→ 运输途中")
    expect(page.locator("#changes-list li[data-changed=false]")).to_have_count(
        3 if knows_waybills else 2
    )
    expect(page.locator("#history .badge[data-provisional=true]")).to_have_count(0)
    if user == "inspector":
        shoot(page, "inspector-confirmed-phone")
    for c, want in (
        (away, "diversion"),
        (moved, "in_region"),
        (home, "in_region"),
        (passing, "in_transit"),
    ):
        assert [s["verdict"] for s in backend.scans_of(c["serial"])] == [want]


def test_a_photo_taken_offline_is_judged_on_the_phone_and_arrives_once(
    phone: tuple[BrowserContext, LocalOnly],
    live_server: LiveServer,
    backend: Backend,
    tmp_path: Path,
) -> None:
    ctx, _watch = phone
    (code,) = backend.issue("370200", 1)  # a Qingdao carton, photographed in Jinan
    photo = tmp_path / "carton.png"
    segno.make_qr(code["payload"], error="m").save(str(photo), scale=8, border=4)
    page = ctx.new_page()
    sign_in(page, live_server, "inspector", lands_on="/inspector")
    # A worker that never installs fails the test after a minute rather than hanging it.
    assert page.evaluate(SW_READY_WITHIN_A_MINUTE)
    page.select_option("#checkpoint", "JN-G20-E")
    ctx.set_offline(True)
    expect(page.locator("#net")).to_have_attribute("data-online", "false")
    page.set_input_files("#photo", photo)
    verdict = page.locator("#verdict")
    expect(verdict).to_have_attribute("data-provisional", "true")
    expect(verdict.locator(".verdict-main")).to_have_text("疑似窜货（待确认）")
    expect(verdict).to_contain_text("照片已保存")
    expect(page.locator("#sync")).to_have_attribute("data-waiting", "1")
    assert backend.scans_of(code["serial"]) == []

    ctx.set_offline(False)
    expect(page.locator("#sync")).to_have_attribute("data-waiting", "0", timeout=20_000)
    expect(verdict).to_have_attribute("data-provisional", "false")
    expect(verdict).to_have_attribute("data-verdict", "diversion")
    expect(page.locator("#changes-list li")).to_have_count(1)
    stored = backend.scans_of(code["serial"])
    assert [(s["source"], s["checkpoint_code"]) for s in stored] == [("photo", "JN-G20-E")]
    assert stored[0]["photo_sha256"]


# ---- the price field, both languages, hand-off ---------------------------------------------------


def test_the_observed_price_never_carries_over_to_the_next_carton(
    phone: tuple[BrowserContext, LocalOnly], live_server: LiveServer, backend: Backend
) -> None:
    ctx, _ = phone
    cheap, next_one = backend.issue("370100", 2)
    backend.deliver([cheap, next_one], to="D-370100-1", region="370100", number="WB-PHONE-PRICE")
    page = ctx.new_page()
    sign_in(page, live_server, "inspector", lands_on="/inspector")
    page.select_option("#checkpoint", "JN-G2-N")
    page.fill("#price", "3.00")
    scan(page, cheap["element_string"])
    expect(page.locator("#verdict")).to_have_attribute("data-findings", "price_violation")
    expect(page.locator("#price")).to_have_value("")
    scan(page, next_one["element_string"])
    expect(page.locator("#history li")).to_have_count(2)
    expect(page.locator("#verdict")).to_have_attribute("data-findings", "")
    # A carried-over 3.00 would have flagged this carton too (its floor is 3.60).
    assert [s["findings"] for s in backend.scans_of(next_one["serial"])] == [[]]
    assert [s["findings"] for s in backend.scans_of(cheap["serial"])] == [["price_violation"]]


def test_english_is_one_tap_away_and_stays_chosen(
    phone: tuple[BrowserContext, LocalOnly], live_server: LiveServer, backend: Backend
) -> None:
    ctx, _ = phone
    (code,) = backend.issue("370100", 1)
    page = ctx.new_page()
    sign_in(page, live_server, "inspector", lands_on="/inspector")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("#scan-h")).to_have_text("扫码")
    page.click("#lang")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    expect(page.locator("#scan-h")).to_have_text("Scan")
    expect(page.locator("#lang")).to_have_text("中文")
    page.select_option("#checkpoint", "LC-G3")
    scan(page, code["element_string"])
    verdict = page.locator("#verdict")
    expect(verdict.locator(".verdict-main")).to_have_text("Diversion")
    # Place names are data: they stay as the regions were named.
    expect(verdict.locator(".sentence")).to_have_text(
        "This carton is for 济南市 only; found in 聊城市 with no valid waybill"
    )
    # The choice survives a reload, and no catalog key is left on show.
    page.reload()
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    text = page.locator("body").inner_text()
    assert "insp." not in text and "camera." not in text
    # Every page follows it: the sign-in page too.
    page.click("#sign-out")
    page.wait_for_url(f"{live_server.base_url}/")
    expect(page.locator("h1")).to_have_text("Sign in")
    page.click("#lang")
    expect(page.locator("h1")).to_have_text("登录")


def test_every_catalog_key_exists_in_both_languages(live_server: LiveServer) -> None:
    zh = httpx.get(f"{live_server.base_url}/static/i18n/zh-CN.json").json()
    en = httpx.get(f"{live_server.base_url}/static/i18n/en.json").json()
    assert set(zh) == set(en)
    assert all(isinstance(v, str) for v in [*zh.values(), *en.values()])
    web = Path(__file__).resolve().parents[2] / "app" / "web"
    used = set()
    for path in [*web.glob("static/js/*.js"), *web.glob("pages/*.html")]:
        source = path.read_text(encoding="utf-8")
        used |= set(re.findall(r'\bt\(\s*"([a-z_.]+)"', source))
        used |= set(re.findall(r'data-i18n(?:-[a-z-]+)?="([a-z_.]+)"', source))
    missing = sorted(k for k in used if k not in zh)
    assert missing == []


def test_a_distributor_ships_and_receives_on_the_same_page(
    browser: Browser, live_server: LiveServer, backend: Backend
) -> None:
    """Built against the contract's custody endpoints; the server side is answered here."""
    ctx = new_context(browser, viewport=PHONE, is_mobile=True, has_touch=True)
    watch = LocalOnly(ctx, live_server.base_url)
    (code,) = backend.issue("370100", 1)
    posted: list[tuple[str, str, dict[str, object]]] = []

    def custody(route: Route) -> None:
        body = json.loads(route.request.post_data or "{}")
        posted.append((route.request.url, route.request.headers.get("idempotency-key", ""), body))
        outcome = "accepted" if route.request.url.endswith("/receive") else "refused"
        route.fulfill(
            json={
                "results": [
                    {
                        "payload": i["payload"],
                        "serial": code["serial"],
                        "outcome": outcome,
                        "reason": "测试",
                    }
                    for i in body["items"]
                ]
            }
        )

    try:
        page = ctx.new_page()
        page.route("**/api/v1/custody/*", custody)
        sign_in(page, live_server, "jinan-distributor", lands_on="/distributor")
        expect(page.locator("#nav-handoff")).to_be_visible()
        page.click("#nav-handoff")
        expect(page.locator("body")).to_have_attribute("data-ready", "true")
        expect(page.locator("body")).to_have_attribute("data-mode", "ship")
        expect(page.locator("#modes button[data-mode=inspect]")).to_be_hidden()
        expect(page.locator("#where")).to_be_hidden()
        page.fill("#to-party", "S-370100-01")
        scan(page, code["element_string"])
        expect(page.locator("#verdict")).to_have_attribute("data-outcome", "refused")
        page.click("#modes button[data-mode=receive]")
        expect(page.locator("#to-party")).to_be_hidden()
        scan(page, code["payload"])
        expect(page.locator("#verdict")).to_have_attribute("data-outcome", "accepted")
        expect(page.locator("#history li[data-kind=receive]")).to_have_count(1)
    finally:
        ctx.close()
    watch.check()
    assert [u.rsplit("/", 1)[1] for u, _, _ in posted] == ["ship", "receive"]
    ship, receive = posted[0][2], posted[1][2]
    assert ship["items"][0]["to_party_code"] == "S-370100-01"  # type: ignore[index]
    assert "to_party_code" not in receive["items"][0]  # type: ignore[index]
    assert all(key for _, key, _ in posted)
    assert posted[0][1] != posted[1][1]
