"""A statement names a real party: an unknown one is 404, a known one with no postings is an
empty statement."""

from __future__ import annotations

from tests.conftest import Api


def test_unknown_party_is_404_known_party_without_postings_is_empty(api: Api) -> None:
    base = "/api/v1/ledger/statements"
    for path in (f"{base}/distributor/NOPE", f"{base}/salesperson/NOPE", f"{base}/system/NOPE"):
        r = api.get("auditor", path)
        assert r.status_code == 404, (path, r.text)
        assert "NOPE" in r.json()["detail"]
    # Delivered to in the demo: lines on its statement.
    r = api.get("auditor", f"{base}/distributor/D-370100-1")
    assert r.status_code == 200 and r.json()["lines"]
    # On file, never delivered to: an empty statement, not a 404.
    r = api.get("auditor", f"{base}/distributor/D-370600-2")
    assert r.status_code == 200, r.text
    assert r.json()["lines"] == [] and r.json()["closing_balance"] == "0.00"
    r = api.get("auditor", f"{base}/salesperson/SP-370600")
    assert r.status_code == 200 and r.json()["lines"] == []
    # A distributor asking for another's (or a missing) party gets the same 404.
    own = api.get("jinan-distributor", f"{base}/distributor/D-370100-1")
    assert own.status_code == 200
    assert api.get("jinan-distributor", f"{base}/distributor/D-371500-1").status_code == 404
    assert api.get("jinan-distributor", f"{base}/distributor/NOPE").status_code == 404


def test_openapi_declares_the_statement_404_and_the_sign_in_429(api: Api) -> None:
    paths = api.client.get("/openapi.json").json()["paths"]
    statement = paths["/api/v1/ledger/statements/{party_type}/{party_code}"]["get"]
    assert {"404", "429"} <= set(statement["responses"])
    secret = paths["/api/v1/distributors/{code}/webhook-secret"]["get"]
    assert {"403", "404", "429"} <= set(secret["responses"])
