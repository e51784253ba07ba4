"""Direct retail accounts (治本, seed step 7.2): shops the company's office serves itself, whose
sales feed a chosen wholesaler's reward base from a given date, for each role."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from tests.conftest import Api

JINAN, JINAN_2, LIAOCHENG = "D-370100-1", "D-370100-2", "D-371500-1"


def credited(api: Api) -> dict[str, Decimal]:
    r = api.get("auditor", "/api/v1/ledger/rebates")
    assert r.status_code == 200, r.text
    return {i["distributor_code"]: Decimal(i["credited_sales"]) for i in r.json()["items"]}


def ago(days: int) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).isoformat()


def test_direct_sales_feed_the_wholesaler_assigned_at_the_time(api: Api) -> None:
    body = {
        "code": "DA-370100-1",
        "name": "济南市公司直供超市",
        "region_code": "370100",
        "wholesaler_code": JINAN_2,
        "effective_from": ago(10),
    }
    for user in ("auditor", "jinan-distributor", "inspector"):
        assert api.post(user, "/api/v1/direct-accounts", json=body).status_code == 403, user
    r = api.post("admin", "/api/v1/direct-accounts", json=body)
    assert r.status_code == 201, r.text
    assert r.json()["wholesaler_code"] == JINAN_2 and r.json()["tier"] == "retail"
    assert api.post("admin", "/api/v1/direct-accounts", json=body).status_code == 409
    for field, value in (("wholesaler_code", "NOPE"), ("region_code", "999999")):
        r = api.post("admin", "/api/v1/direct-accounts", json={**body, "code": "X", field: value})
        assert r.status_code == 422 and field in r.text
    bad_time = {**body, "code": "X", "effective_from": "2026-12-01T00:00:00"}
    assert api.post("admin", "/api/v1/direct-accounts", json=bad_time).status_code == 422

    # From two days ago, the shop's volume goes to Jinan's leading distributor instead.
    path = "/api/v1/direct-accounts/DA-370100-1"
    r = api.post(
        "admin", f"{path}/wholesaler", json={"wholesaler_code": JINAN, "effective_from": ago(2)}
    )
    assert r.status_code == 200, r.text
    assert r.json()["wholesaler_code"] == JINAN
    assert [a["wholesaler_code"] for a in r.json()["assignments"]] == [JINAN_2, JINAN]

    before = credited(api)
    sales = [("INV-1", "100.00", ago(5)), ("INV-2", "50.00", ago(1)), ("INV-0", "30.00", ago(30))]
    results = []
    for ref, amount, at in sales:
        r = api.post("admin", f"{path}/sales", json={"ref": ref, "amount": amount, "sold_at": at})
        assert r.status_code == 201, r.text
        results.append(r.json())
    assert [(s["wholesaler_code"], s["posted"]) for s in results] == [
        (JINAN_2, True),
        (JINAN, True),
        (None, False),  # before any wholesaler was chosen: nobody's reward base
    ]
    assert results[2]["rule"] == "direct_account.no_wholesaler_yet"
    again = {"ref": "INV-1", "amount": "100.00", "sold_at": ago(5)}
    assert api.post("admin", f"{path}/sales", json=again).status_code == 409
    assert api.post("auditor", f"{path}/sales", json={**again, "ref": "INV-9"}).status_code == 403
    after = credited(api)
    assert after[JINAN_2] - before.get(JINAN_2, Decimal(0)) == Decimal("100.00")
    assert after[JINAN] - before[JINAN] == Decimal("50.00")
    # The wholesaler's statement names the direct account and the rule that credited it.
    r = api.get("jinan-distributor", f"/api/v1/ledger/statements/distributor/{JINAN}")
    assert r.status_code == 200, r.text
    assert "DA-370100-1" in r.text and "direct_account.wholesaler" in r.text

    # Who reads it: staff, and the wholesalers it was ever credited to; not other distributors.
    assert api.get("auditor", path).status_code == 200
    assert api.get("jinan-distributor", path).json()["wholesaler_code"] == JINAN
    listed = api.get("jinan-distributor", "/api/v1/direct-accounts").json()["items"]
    assert [a["code"] for a in listed] == ["DA-370100-1"]
    assert api.get("liaocheng-distributor", path).status_code == 404
    assert api.get("liaocheng-distributor", "/api/v1/direct-accounts").json()["items"] == []
    assert api.get("inspector", "/api/v1/direct-accounts").status_code == 403
    assert api.get("admin", "/api/v1/direct-accounts/NOPE").status_code == 404
    # One wholesaler per moment: the same effective time twice is a conflict.
    same = api.get("admin", path).json()["assignments"][1]["effective_from"]
    r = api.post(
        "admin", f"{path}/wholesaler", json={"wholesaler_code": JINAN_2, "effective_from": same}
    )
    assert r.status_code == 409
