"""Phone sign-in by one-time link, over real HTTP against `channelguard serve` (run with
CG_TEST_DB=postgres for PostgreSQL): HQ issues a link and its QR code, the phone trades it for
a session once, sessions expire and HQ revokes them, and API tokens keep working for machines."""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import create_engine, text

from app.auth.service import hash_token
from app.config import get_settings
from tests.conftest import LiveClient, LiveServer


class Http(LiveClient):
    def call(
        self, method: str, user: str | None, path: str, *, token: str | None = None, **kw: Any
    ) -> httpx.Response:
        if token:
            # A token of the test's own (a session from a sign-in link), not a demo user's.
            return super().call(
                method, None, path, headers={"Authorization": f"Bearer {token}"}, **kw
            )
        return super().call(method, user, path, **kw)

    def issue(self, username: str) -> dict[str, Any]:
        r = self.call("POST", "admin", "/sign-in/tickets", json={"username": username})
        assert r.status_code == 201, r.text
        out: dict[str, Any] = r.json()
        return out

    def exchange(self, link: str) -> httpx.Response:
        ticket = link.split("#ticket=", 1)[1]
        return self.call("POST", None, "/sign-in/exchange", json={"ticket": ticket})

    def sql(self, statement: str, **params: Any) -> list[Any]:
        engine = create_engine(self.server.database_url)
        try:
            with engine.begin() as conn:
                result = conn.execute(text(statement), params)
                return list(result) if result.returns_rows else []
        finally:
            engine.dispose()


@pytest.fixture(scope="module")
def http(live_server: LiveServer) -> Iterator[Http]:
    with Http(live_server) as h:
        yield h


def _when(value: str) -> datetime:
    return datetime.fromisoformat(value)


def test_a_link_signs_a_phone_in_once_and_its_qr_code_holds_it(http: Http) -> None:
    before = datetime.now(UTC)
    issued = http.issue("inspector")
    link = issued["link"]
    assert link.startswith(f"{get_settings().public_base_url}/signin#ticket=cgt_")
    assert issued["role"] == "inspector"
    expires = _when(issued["expires_at"])
    assert timedelta(minutes=14) < expires - before < timedelta(minutes=16)

    # The QR code HQ shows is the link itself.
    assert issued["qr_png"].startswith("data:image/png;base64,")
    png = Image.open(io.BytesIO(base64.b64decode(issued["qr_png"].split(",", 1)[1])))
    assert [s.text for s in zxingcpp.read_barcodes(png)] == [link]

    # Only the ticket's hash is stored.
    ticket = link.split("#ticket=", 1)[1]
    hashes = [row[0] for row in http.sql("SELECT ticket_hash FROM sign_in_ticket")]
    assert hash_token(ticket) in hashes
    assert not any(ticket in h for h in hashes)

    r = http.exchange(link)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["me"]["role"] == "inspector"
    assert body["me"]["username"] == "inspector"
    assert body["token"] != http.server.tokens["inspector"]
    session_expires = _when(body["expires_at"])
    assert timedelta(hours=11.9) < session_expires - before < timedelta(hours=12.1)
    me = http.call("GET", None, "/me", token=body["token"])
    assert me.status_code == 200 and me.json()["role"] == "inspector"

    # The same link a second time, from this phone or any other: refused, saying why.
    again = http.exchange(link)
    assert again.status_code == 409, again.text
    assert "already used" in again.json()["detail"]


def test_an_expired_link_is_410_and_an_unknown_one_401(http: Http) -> None:
    issued = http.issue("jinan-distributor")
    ticket = issued["link"].split("#ticket=", 1)[1]
    http.sql(
        "UPDATE sign_in_ticket SET expires_at = :t WHERE ticket_hash = :h",
        t=datetime.now(UTC) - timedelta(seconds=1),
        h=hash_token(ticket),
    )
    r = http.exchange(issued["link"])
    assert r.status_code == 410, r.text
    assert "expired" in r.json()["detail"]

    r = http.call("POST", None, "/sign-in/exchange", json={"ticket": "cgt_" + "x" * 43})
    assert r.status_code == 401, r.text
    assert "not valid" in r.json()["detail"]
    r = http.call("POST", None, "/sign-in/exchange", json={"ticket": ""})
    assert r.status_code == 422


def test_hq_revokes_a_session_and_machines_keep_their_tokens(http: Http) -> None:
    token = http.exchange(http.issue("jinan-sales")["link"]).json()["token"]
    assert http.call("GET", None, "/me", token=token).status_code == 200

    listed = http.call("GET", "admin", "/sign-in/sessions", params={"username": "jinan-sales"})
    assert listed.status_code == 200, listed.text
    items = listed.json()["items"]
    assert len(items) == 1
    session = items[0]
    assert session["active"] is True
    assert session["issued_by"] == "admin"
    assert session["prefix"] == token[:10]

    r = http.call("POST", "admin", f"/sign-in/sessions/{session['id']}/revoke")
    assert r.status_code == 200, r.text
    assert r.json()["active"] is False and r.json()["revoked_at"]

    me = http.call("GET", None, "/me", token=token)
    assert me.status_code == 401
    assert me.json()["detail"] == "session revoked"
    again = http.call("POST", "admin", f"/sign-in/sessions/{session['id']}/revoke")
    assert again.status_code == 409
    assert http.call("POST", "admin", "/sign-in/sessions/999999/revoke").status_code == 404

    # The salesperson's API token is not a session: it is not listed and still works.
    assert http.call("GET", "jinan-sales", "/me").status_code == 200
    active = http.call("GET", "admin", "/sign-in/sessions", params={"active": "true"}).json()
    assert session["id"] not in {s["id"] for s in active["items"]}


def test_a_session_expires(http: Http) -> None:
    token = http.exchange(http.issue("auditor")["link"]).json()["token"]
    http.sql(
        "UPDATE api_token SET expires_at = :t WHERE token_hash = :h",
        t=datetime.now(UTC) - timedelta(seconds=1),
        h=hash_token(token),
    )
    me = http.call("GET", None, "/me", token=token)
    assert me.status_code == 401
    assert "expired" in me.json()["detail"]


@pytest.mark.parametrize("user", ["auditor", "inspector", "jinan-distributor", None])
def test_only_admin_issues_links_and_sees_sessions(http: Http, user: str | None) -> None:
    issue = http.call("POST", user, "/sign-in/tickets", json={"username": "inspector"})
    listing = http.call("GET", user, "/sign-in/sessions")
    revoke = http.call("POST", user, "/sign-in/sessions/1/revoke")
    expected = 401 if user is None else 403
    assert (issue.status_code, listing.status_code, revoke.status_code) == (expected,) * 3


def test_a_link_for_nobody_is_404(http: Http) -> None:
    r = http.call("POST", "admin", "/sign-in/tickets", json={"username": "nobody-here"})
    assert r.status_code == 404


def test_signing_out_ends_only_this_phones_session(http: Http) -> None:
    first = http.exchange(http.issue("inspector")["link"]).json()["token"]
    second = http.exchange(http.issue("inspector")["link"]).json()["token"]

    r = http.call("POST", None, "/sign-in/sign-out", token=first)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["prefix"] == first[:10]
    assert out["active"] is False and out["revoked_at"]

    # The token is refused from now on, signing out again included.
    me = http.call("GET", None, "/me", token=first)
    assert me.status_code == 401
    assert me.json()["detail"] == "session revoked"
    again = http.call("POST", None, "/sign-in/sign-out", token=first)
    assert again.status_code == 401

    # The inspector's other phone and its API token keep working.
    assert http.call("GET", None, "/me", token=second).status_code == 200
    assert http.call("GET", "inspector", "/me").status_code == 200
    listed = http.call("GET", "admin", "/sign-in/sessions", params={"username": "inspector"})
    by_prefix = {s["prefix"]: s for s in listed.json()["items"]}
    assert by_prefix[first[:10]]["active"] is False
    assert by_prefix[second[:10]]["active"] is True
    actions = http.sql(
        "SELECT action FROM audit_entry WHERE action = 'signin.signed_out' AND entity_key = :u",
        u="inspector",
    )
    assert len(actions) == 1


@pytest.mark.parametrize("user", ["inspector", "admin", "jinan-distributor"])
def test_an_api_token_is_not_signed_out(http: Http, user: str) -> None:
    r = http.call("POST", user, "/sign-in/sign-out")
    assert r.status_code == 409, r.text
    assert "API token" in r.json()["detail"]
    assert http.call("GET", user, "/me").status_code == 200


def test_signing_out_needs_a_token(http: Http) -> None:
    assert http.call("POST", None, "/sign-in/sign-out").status_code == 401
    r = http.call("POST", None, "/sign-in/sign-out", token="cg_" + "x" * 43)
    assert r.status_code == 401
