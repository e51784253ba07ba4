"""Browser fixtures: Debian's chromium driven by Playwright against `channelguard serve`, and a
small API client to set up goods and check what the server stored."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from app.auth import service as auth
from app.models import Role
from tests.conftest import LiveServer

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
# The page's service worker is active, or false after a minute (so a test fails instead of hanging).
SW_READY_WITHIN_A_MINUTE = (
    "Promise.race([navigator.serviceWorker.ready.then(() => true),"
    " new Promise((r) => setTimeout(() => r(false), 60000))])"
)
# The demo's first product (12 units, 48.00 a carton) and its wholesale_1 floor of 3.60 a unit.
BEER_GTIN = "06901234560015"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def new_context(browser: Browser, **kw: Any) -> BrowserContext:
    """A browser profile as a Chinese user would have it; each one starts signed out."""
    ctx = browser.new_context(
        locale="zh-CN", timezone_id="Asia/Shanghai", viewport=kw.pop("viewport", DESKTOP), **kw
    )
    ctx.set_default_timeout(10_000)
    return ctx


class LocalOnly:
    """Records every request a browser context makes to a host other than the local server."""

    def __init__(self, ctx: BrowserContext, base_url: str) -> None:
        self.allowed = urlsplit(base_url).netloc
        self.requests: list[str] = []
        self.foreign: list[str] = []
        ctx.on("request", self._seen)

    def _seen(self, request: object) -> None:
        url: str = request.url  # type: ignore[attr-defined]
        self.requests.append(url)
        parts = urlsplit(url)
        if parts.scheme in ("data", "blob"):
            return
        if parts.netloc != self.allowed:
            self.foreign.append(url)

    def check(self) -> None:
        assert self.requests, "the page made no requests at all: the listener is not working"
        assert self.foreign == [], f"requests left the local server: {self.foreign}"


class Profiles:
    """Browser profiles a test opens, each watched for requests to other hosts; when the test
    ends they are closed and none may have left the local server."""

    def __init__(self, browser: Browser, server: LiveServer) -> None:
        self.browser = browser
        self.server = server
        self.made: list[tuple[BrowserContext, LocalOnly]] = []

    def open(self, **kw: Any) -> Page:
        """A page in a new profile (`new_context`'s options)."""
        ctx = new_context(self.browser, **kw)
        self.made.append((ctx, LocalOnly(ctx, self.server.base_url)))
        return ctx.new_page()

    def close_and_check(self) -> None:
        for ctx, watch in self.made:
            ctx.close()
            watch.check()


@pytest.fixture
def profiles(browser: Browser, live_server: LiveServer) -> Iterator[Profiles]:
    made = Profiles(browser, live_server)
    yield made
    made.close_and_check()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    ctx = new_context(browser)
    yield ctx
    ctx.close()


def sign_in(page: Page, server: LiveServer, user: str, *, lands_on: str) -> None:
    """Paste the user's token on the sign-in page, as a person would; wait for their page."""
    page.goto(f"{server.base_url}/")
    page.fill("#token", server.tokens[user])
    page.click("button[type=submit]")
    page.wait_for_url(f"{server.base_url}{lands_on}")
    expect(page.locator("body")).to_have_attribute("data-ready", "true")


def sign_out(page: Page, server: LiveServer) -> None:
    """Tap 退出 and wait for the sign-in page: signing out first looks for work still queued on
    the phone, so the page leaves a moment after the tap, not at once."""
    page.click("#sign-out")
    page.wait_for_url(f"{server.base_url}/")
    expect(page.locator("body")).to_have_attribute("data-ready", "true")


@dataclass
class Backend:
    """The API, used the way an admin's tools would: issue codes, ship and deliver goods."""

    server: LiveServer

    def _headers(self, user: str, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.server.tokens[user]}", **extra}

    def get(self, user: str, path: str, **params: Any) -> Any:
        r = httpx.get(
            f"{self.server.base_url}/api/v1{path}", headers=self._headers(user), params=params
        )
        r.raise_for_status()
        return r.json()

    def post(self, user: str, path: str, body: dict[str, Any], **headers: str) -> Any:
        r = httpx.post(
            f"{self.server.base_url}/api/v1{path}",
            headers=self._headers(user, **headers),
            json=body,
            timeout=30,
        )
        assert r.status_code in (200, 201), r.text
        return r.json()

    def issue(self, region_code: str, quantity: int) -> list[dict[str, str]]:
        """New carton codes for a region: [{serial, payload, element_string}]."""
        batch = self.post(
            "admin",
            "/code-batches",
            {"gtin": BEER_GTIN, "region_code": region_code, "quantity": quantity},
        )
        return list(batch["codes"])

    def deliver(self, codes: list[dict[str, str]], *, to: str, region: str, number: str) -> None:
        """Ship the cartons on a waybill to distributor `to` and mark it delivered."""
        now = datetime.now(UTC)
        self.post(
            "admin",
            "/waybills",
            {
                "number": number,
                "vehicle_plate": "鲁A12345",
                "dispatched_at": (now - timedelta(hours=5)).isoformat(),
                "expected_arrival": (now - timedelta(hours=1)).isoformat(),
                "destination_distributor_code": to,
                "route_region_codes": [region],
                "issuer": "logistics",
                "salesperson_code": f"SP-{region}",
                "carton_payloads": [c["element_string"] for c in codes],
            },
        )
        self.post("admin", f"/waybills/{number}/deliver", {})

    def scan(self, payloads: list[str], checkpoint: str) -> list[dict[str, Any]]:
        """Scans by the demo inspector, in one batch; their results."""
        now = datetime.now(UTC).isoformat()
        body = {
            "scans": [
                {"payload": p, "checkpoint_code": checkpoint, "scanned_at": now} for p in payloads
            ]
        }
        return list(self.post("inspector", "/scans", body)["results"])

    def divert(
        self, *, home: str, to: str, into: str, checkpoint: str, number: str, cartons: int = 1
    ) -> list[int]:
        """Cartons of `home`'s region, delivered to distributor `to`, found at `checkpoint` in
        region `into`: the ids of the violations they open."""
        codes = self.issue(home, cartons)
        self.deliver(codes, to=to, region=home, number=number)
        results = self.scan([c["element_string"] for c in codes], checkpoint)
        assert {(r["verdict"], r["region_code"]) for r in results} == {("diversion", into)}
        return [int(r["violation_id"]) for r in results]

    def add_user(self, username: str, role: Role, *, distributor: str | None = None) -> None:
        """A new user in the served database (what `channelguard users create` does)."""
        engine = create_engine(self.server.database_url)
        try:
            with Session(engine) as session, session.begin():
                _user, token = auth.create_user(
                    session,
                    username=username,
                    role=role,
                    distributor_code=distributor,
                    actor="test",
                )
        finally:
            engine.dispose()
        self.server.tokens[username] = token

    def tamper_with_audit_entry(self, seq: int) -> None:
        """What someone with database access might do: switch off the append-only guard and
        rewrite who did something."""
        engine = create_engine(self.server.database_url)
        try:
            with engine.begin() as conn:
                if engine.dialect.name == "sqlite":
                    conn.execute(text("DROP TRIGGER trg_audit_entry_no_update"))
                else:
                    conn.execute(text("ALTER TABLE audit_entry DISABLE TRIGGER USER"))
                conn.execute(
                    text("UPDATE audit_entry SET actor = 'mallory' WHERE seq = :seq"), {"seq": seq}
                )
        finally:
            engine.dispose()

    def scans_of(self, serial: str) -> list[dict[str, Any]]:
        return list(self.get("admin", f"/cartons/{serial}")["scans"])


@pytest.fixture(scope="module")
def backend(live_server: LiveServer) -> Backend:
    return Backend(live_server)
