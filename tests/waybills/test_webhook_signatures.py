"""Webhook calls are signed with their distributor's own secret, which that distributor (or an
admin) can read; receivers check calls with `verify_signature`."""

from __future__ import annotations

import httpx

from app.db import get_sessionmaker
from app.waybills.webhooks import (
    SIGNATURE_HEADER,
    deliver_due,
    distributor_webhook_secret,
    sign,
    verify_signature,
)
from tests.scans.conftest import World

HOOKS = {"D-370100-1": "http://jinan.example/hook", "D-370300-1": "http://zibo.example/hook"}


def _deliver(world: World) -> list[httpx.Request]:
    for code, url in HOOKS.items():
        r = world.api.patch("admin", f"/api/v1/distributors/{code}", json={"webhook_url": url})
        assert r.status_code == 200, r.text
    world.ship_the_spare("WB-SIG", "鲁A1", to="D-370200-1", route=["370100", "370300", "370200"])
    seen: list[httpx.Request] = []

    def receiver(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    with httpx.Client(transport=httpx.MockTransport(receiver)) as http:
        assert deliver_due(get_sessionmaker(), client=http).delivered == 2
    return seen


def test_each_call_verifies_with_its_distributors_secret_only(world: World) -> None:
    calls = {str(req.url): req for req in _deliver(world)}
    assert set(calls) == set(HOOKS.values())
    secrets = {}
    for code in HOOKS:
        r = world.api.get("admin", f"/api/v1/distributors/{code}/webhook-secret")
        assert r.status_code == 200, r.text
        assert r.json()["header"] == SIGNATURE_HEADER
        secrets[code] = r.json()["secret"]
    assert secrets["D-370100-1"] != secrets["D-370300-1"]

    jinan, zibo = calls[HOOKS["D-370100-1"]], calls[HOOKS["D-370300-1"]]
    for req, own, other in (
        (jinan, secrets["D-370100-1"], secrets["D-370300-1"]),
        (zibo, secrets["D-370300-1"], secrets["D-370100-1"]),
    ):
        header = req.headers[SIGNATURE_HEADER]
        assert header.startswith("t=") and ",v1=" in header
        body = req.content
        assert b'"number": "WB-SIG"' in body
        assert verify_signature(own, header, body, 300)
        assert not verify_signature(other, header, body, 300)
        assert not verify_signature(own, header, body.replace(b"WB-SIG", b"WB-SIX"), 300)
        assert not verify_signature(own, header, body + b" ", 300)
        t = int(header.split(",")[0].removeprefix("t="))
        # A captured call replayed later than the tolerance is refused.
        assert not verify_signature(own, header, body, 300, now=t + 301)
        assert verify_signature(own, header, body, 300, now=t + 299)
        # Moving the timestamp breaks the signature.
        assert not verify_signature(own, header.replace(f"t={t}", f"t={t + 1}"), body, 300)


def test_verify_signature_never_raises_on_garbage() -> None:
    body = b"{}"
    good = sign("whsec_x", body, timestamp=1_700_000_000)
    assert verify_signature("whsec_x", good, body, 300, now=1_700_000_000)
    for header in (None, "", "garbage", "t=,v1=", "t=abc,v1=00", "v1=00", "t=1700000000", ",,="):
        assert not verify_signature("whsec_x", header, body, 300, now=1_700_000_000)
    # Several v1 values (a sender rolling secrets): one good one is enough.
    mixed = good.replace(",v1=", ",v1=" + "0" * 64 + ",v1=")
    assert verify_signature("whsec_x", mixed, body, 300, now=1_700_000_000)


def test_only_the_distributor_itself_or_admin_reads_its_secret(world: World) -> None:
    api = world.api
    own = api.get("jinan-distributor", "/api/v1/distributors/D-370100-1/webhook-secret")
    assert own.status_code == 200
    admin = api.get("admin", "/api/v1/distributors/D-370100-1/webhook-secret")
    assert own.json()["secret"] == admin.json()["secret"]
    from app.config import get_settings

    assert own.json()["secret"] == distributor_webhook_secret(
        get_settings().webhook_secret, "D-370100-1"
    )
    # Another distributor's secret does not exist for this caller.
    r = api.get("jinan-distributor", "/api/v1/distributors/D-371500-1/webhook-secret")
    assert r.status_code == 404
    for user in ("auditor", "inspector", "jinan-sales"):
        r = api.get(user, "/api/v1/distributors/D-370100-1/webhook-secret")
        assert r.status_code == 403, (user, r.text)
    assert api.get("admin", "/api/v1/distributors/NOPE/webhook-secret").status_code == 404
    assert api.get(None, "/api/v1/distributors/D-370100-1/webhook-secret").status_code == 401
