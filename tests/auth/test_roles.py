"""Each role's allowed and refused calls, and what distributors and salespeople may see."""

from __future__ import annotations

import pytest

from tests.conftest import Api

ROLES = ["admin", "auditor", "inspector", "jinan-distributor", "jinan-sales"]
WRITES = [
    ("post", "/api/v1/regions", {"code": "R9", "name": "x", "kind": "guerrilla"}),
    ("post", "/api/v1/salespeople", {"code": "S9", "name": "x", "region_code": "370100"}),
    (
        "post",
        "/api/v1/distributors",
        {
            "code": "D9",
            "name": "x",
            "tier": "retail",
            "region_codes": ["370100"],
            "salesperson_code": "SP-370100",
        },
    ),
    (
        "post",
        "/api/v1/products",
        {"gtin": "4006381333931", "name": "x", "units_per_carton": 1, "carton_value": "1.00"},
    ),
    ("post", "/api/v1/checkpoints", {"code": "C9", "name": "x", "region_code": "370100"}),
    ("patch", "/api/v1/regions/370100", {"name": "改名"}),
    ("patch", "/api/v1/distributors/D-370100-1", {"name": "改名"}),
]


@pytest.mark.parametrize("user", ROLES)
@pytest.mark.parametrize(("method", "path", "body"), WRITES)
def test_only_admin_writes_master_data(
    api: Api, user: str, method: str, path: str, body: dict[str, object]
) -> None:
    r = getattr(api, method)(user, path, json=body)
    if user == "admin":
        assert r.status_code in (200, 201), r.text
    else:
        assert r.status_code == 403, r.text
        assert "may not" in r.json()["detail"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/regions",
        "/api/v1/products",
        "/api/v1/checkpoints",
        "/api/v1/distributors",
        "/api/v1/audit-log/verify",
    ],
)
def test_no_token_or_a_bad_token_is_401(api: Api, path: str) -> None:
    assert api.get(None, path).status_code == 401
    r = api.client.get(path, headers={"Authorization": "Bearer cg_not-a-real-token"})
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"


def test_reference_data_is_readable_by_every_role(api: Api) -> None:
    for user in ROLES:
        assert api.get(user, "/api/v1/regions/370100").status_code == 200
        assert api.get(user, "/api/v1/checkpoints").json()["total"] == 9


def test_distributor_sees_only_itself(api: Api) -> None:
    listing = api.get("jinan-distributor", "/api/v1/distributors").json()
    assert [d["code"] for d in listing["items"]] == ["D-370100-1"]
    assert listing["total"] == 1
    assert api.get("jinan-distributor", "/api/v1/distributors/D-370100-1").status_code == 200
    other = api.get("jinan-distributor", "/api/v1/distributors/D-371500-1")
    assert other.status_code == 404  # not 403: another distributor's record does not exist for it
    assert api.get("jinan-distributor", "/api/v1/salespeople").json()["total"] == 0


def test_salesperson_sees_its_customers_and_itself(api: Api) -> None:
    listing = api.get("jinan-sales", "/api/v1/distributors", params={"limit": 100}).json()
    assert {d["code"] for d in listing["items"]} == {
        "D-370100-1",
        "D-370100-2",
        "D-370100-3",
        "D-370100-4",
    }
    assert api.get("jinan-sales", "/api/v1/distributors/D-370200-1").status_code == 404
    assert [s["code"] for s in api.get("jinan-sales", "/api/v1/salespeople").json()["items"]] == [
        "SP-370100"
    ]
    assert api.get("jinan-sales", "/api/v1/salespeople/SP-370200").status_code == 404


def test_inspector_sees_no_party_data(api: Api) -> None:
    assert api.get("inspector", "/api/v1/distributors").json()["total"] == 0
    assert api.get("inspector", "/api/v1/distributors/D-370100-1").status_code == 404


@pytest.mark.parametrize("user", ["inspector", "jinan-distributor", "jinan-sales"])
def test_audit_log_is_staff_only(api: Api, user: str) -> None:
    assert api.get(user, "/api/v1/audit-log").status_code == 403
    assert api.get(user, "/api/v1/audit-log/verify").status_code == 403


def test_me_tells_the_caller_who_it_is(api: Api) -> None:
    me = api.get("jinan-distributor", "/api/v1/me").json()
    assert me == {
        "username": "jinan-distributor",
        "role": "distributor",
        "distributor_code": "D-370100-1",
        "salesperson_code": None,
        # No name of its own: the pages call a distributor's login by the distributor's name.
        "display_name": "济南市一批商行",
    }
