"""Sub-customer registration, approval, revocation, visibility and the dealer certificate."""

from __future__ import annotations

import pytest

from tests.custody.channel import JINAN, LIAOCHENG, ZIBO, Channel


def test_admin_registers_approved_and_a_distributor_its_own_pending(channel: Channel) -> None:
    r = channel.sub_customer(
        "JN-A", lat=36.66, lon=117.0, agreement_signed_at="2026-02-01T00:00:00+08:00"
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["status"], body["distributor_code"], body["agreement_on_file"]) == (
        "approved",
        JINAN,
        True,
    )
    assert body["credit_score"] == 100 and body["revocation_recommended"] is False
    r = channel.sub_customer("JN-B", by="jinan-distributor")
    assert r.status_code == 201 and r.json()["status"] == "pending", r.text
    # For itself only.
    r = channel.sub_customer("ZB-X", region="370300", distributor=ZIBO, by="jinan-distributor")
    assert r.status_code == 403
    r = channel.api.post("admin", "/api/v1/sub-customers/JN-B/approve")
    assert r.status_code == 200 and r.json()["status"] == "approved"
    assert channel.api.post("admin", "/api/v1/sub-customers/JN-B/approve").status_code == 409
    assert (
        channel.api.post("jinan-distributor", "/api/v1/sub-customers/JN-A/approve").status_code
        == 403
    )


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"region_code": "370300"}, 422),  # outside Jinan's territory
        ({"region_code": "999999"}, 422),
        ({"distributor_code": "NOPE"}, 422),
        ({"tier": "wholesale_1"}, 422),
        ({"code": JINAN}, 409),  # one code, one party
        ({"lat": 36.6}, 422),
    ],
)
def test_bad_registrations(channel: Channel, change: dict[str, object], status: int) -> None:
    code = str(change.pop("code", "JN-BAD"))
    r = channel.sub_customer(code, **change)  # type: ignore[arg-type]
    assert r.status_code == status, r.text


def test_each_role_sees_only_what_concerns_it(channel: Channel) -> None:
    channel.approved("JN-1")
    channel.approved("LC-1", region="371500", distributor=LIAOCHENG)
    me = channel.login("JN-1")
    full = {
        user: channel.api.get(user, "/api/v1/sub-customers", params={"limit": 500}).json()["items"]
        for user in (
            "admin",
            "auditor",
            "jinan-distributor",
            "liaocheng-distributor",
            "jinan-sales",
            "inspector",
            me,
        )
    }
    # The demo's own sub-customers are there too: look at the two registered here, and at
    # whose sub-customers each caller sees at all.
    listing = {
        u: [s["code"] for s in items if s["code"] in ("JN-1", "LC-1")] for u, items in full.items()
    }
    suppliers = {u: {s["distributor_code"] for s in items} for u, items in full.items()}
    assert listing["admin"] == listing["auditor"] == ["JN-1", "LC-1"]
    assert len(full["admin"]) > 2 and len(suppliers["admin"]) > 2
    assert listing["jinan-distributor"] == ["JN-1"] and suppliers["jinan-distributor"] == {JINAN}
    assert [s["code"] for s in full[me]] == ["JN-1"]
    assert listing["liaocheng-distributor"] == ["LC-1"]
    assert suppliers["liaocheng-distributor"] == {LIAOCHENG}
    assert listing["jinan-sales"] == ["JN-1"] and full["inspector"] == []
    assert channel.api.get("liaocheng-distributor", "/api/v1/sub-customers/JN-1").status_code == 404
    assert channel.api.get(me, "/api/v1/sub-customers/LC-1").status_code == 404
    assert channel.api.get(me, "/api/v1/sub-customers/JN-1").status_code == 200
    # A sub-customer user sees no distributor, ledger or other party's data.
    assert channel.api.get(me, "/api/v1/distributors").json()["items"] == []
    assert channel.api.get(me, "/api/v1/violations").json()["items"] == []
    assert channel.api.post(me, "/api/v1/sub-customers", json={}).status_code == 403


def test_revocation_by_hq_or_its_distributor(channel: Channel) -> None:
    channel.approved("JN-R")
    channel.approved("LC-R", region="371500", distributor=LIAOCHENG)
    assert (
        channel.api.post("jinan-distributor", "/api/v1/sub-customers/LC-R/revoke").status_code
        == 404
    )
    r = channel.api.post(
        "jinan-distributor", "/api/v1/sub-customers/JN-R/revoke", json={"reason": "dumping"}
    )
    assert r.status_code == 200 and r.json()["status"] == "revoked" and r.json()["revoked_at"]
    assert channel.api.post("admin", "/api/v1/sub-customers/JN-R/revoke").status_code == 409
    assert channel.api.post("admin", "/api/v1/sub-customers/LC-R/revoke").status_code == 200


def test_certificate_and_public_dealer_page(channel: Channel) -> None:
    channel.approved("JN-CERT")
    r = channel.api.get("jinan-distributor", "/api/v1/sub-customers/JN-CERT/certificate.pdf")
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert r.content.startswith(b"%PDF") and b"STSong-Light" in r.content
    assert (
        channel.api.get(
            "liaocheng-distributor", "/api/v1/sub-customers/JN-CERT/certificate.pdf"
        ).status_code
        == 404
    )
    assert (
        channel.api.get("inspector", "/api/v1/sub-customers/JN-CERT/certificate.pdf").status_code
        == 403
    )
    pending = channel.sub_customer("JN-PEND", by="jinan-distributor")
    assert pending.status_code == 201
    assert (
        channel.api.get("admin", "/api/v1/sub-customers/JN-PEND/certificate.pdf").status_code == 409
    )

    public = {"Accept": "application/json"}
    r = channel.api.client.get("/dealers/JN-CERT", headers=public)
    assert r.status_code == 200
    assert r.json() == {
        "code": "JN-CERT",
        "name": "JN-CERT 商行",
        "region_name": "济南市",
        "distributor_name": "济南市一批商行",
        "valid": True,
    }
    page = channel.api.client.get("/dealers/JN-CERT")
    assert (
        page.status_code == 200
        and "已授权" in page.text
        and "text/html" in page.headers["content-type"]
    )
    assert channel.api.client.get("/dealers/JN-PEND", headers=public).json()["valid"] is False
    assert "未授权" in channel.api.client.get("/dealers/JN-PEND").text
    channel.api.post("admin", "/api/v1/sub-customers/JN-CERT/revoke")
    assert channel.api.client.get("/dealers/JN-CERT", headers=public).json()["valid"] is False
    assert "已撤销" in channel.api.client.get("/dealers/JN-CERT").text
    assert channel.api.client.get("/dealers/NOBODY", headers=public).status_code == 404
    assert channel.api.client.get("/dealers/NOBODY").status_code == 404
