"""Master data over the API: create, read, list, update; duplicates, bad references, bad values."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Api

SQUARE = {
    "type": "Polygon",
    "coordinates": [[[116, 36], [117, 36], [117, 37], [116, 37], [116, 36]]],
}
BOWTIE = {
    "type": "Polygon",
    "coordinates": [[[116, 36], [117, 37], [117, 36], [116, 37], [116, 36]]],
}


def test_region_tree_create_get_list_and_update(api: Api) -> None:
    r = api.post(
        "admin",
        "/api/v1/regions",
        json={
            "code": "370102",
            "name": "历下区",
            "kind": "contested",
            "parent_code": "370100",
            "boundary": SQUARE,
        },
    )
    assert r.status_code == 201, r.text
    assert r.json()["parent_code"] == "370100"
    assert r.json()["boundary"] == SQUARE
    got = api.get("inspector", "/api/v1/regions/370102").json()
    assert (got["name"], got["kind"]) == ("历下区", "contested")
    children = api.get("auditor", "/api/v1/regions", params={"parent_code": "370100", "limit": 100})
    codes = [i["code"] for i in children.json()["items"]]
    assert "370102" in codes and "370100" not in codes and "410100" not in codes
    r = api.patch(
        "admin", "/api/v1/regions/370102", json={"kind": "stronghold", "parent_code": "410000"}
    )
    assert r.status_code == 200, r.text
    assert (r.json()["kind"], r.json()["parent_code"]) == ("stronghold", "410000")


def test_region_cannot_move_under_its_own_descendant(api: Api) -> None:
    r = api.patch("admin", "/api/v1/regions/370000", json={"parent_code": "370100"})
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "parent_code"]
    assert api.get("admin", "/api/v1/regions/370000").json()["parent_code"] is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"code": "bad code!", "name": "x", "kind": "contested"}, "code"),
        ({"code": "X" * 41, "name": "x", "kind": "contested"}, "code"),
        ({"code": "R1", "name": "x", "kind": "frontier"}, "kind"),
        ({"code": "R1", "name": "", "kind": "contested"}, "name"),
        ({"code": "R1", "name": "x", "kind": "contested", "boundary": BOWTIE}, "boundary"),
        (
            {
                "code": "R1",
                "name": "x",
                "kind": "contested",
                "boundary": {"type": "Point", "coordinates": [1, 2]},
            },
            "boundary",
        ),
        (
            {
                "code": "R1",
                "name": "x",
                "kind": "contested",
                "boundary": {
                    "type": "Polygon",
                    "coordinates": [[[500, 36], [501, 36], [501, 37], [500, 36]]],
                },
            },
            "boundary",
        ),
        ({"code": "R1", "name": "x", "kind": "contested", "colour": "red"}, "colour"),
    ],
)
def test_bad_region_values_are_422_naming_the_field(
    api: Api, body: dict[str, object], field: str
) -> None:
    r = api.post("admin", "/api/v1/regions", json=body)
    assert r.status_code == 422, r.text
    assert any(e["loc"][-1] == field or field in e["loc"] for e in r.json()["detail"])
    assert api.get("admin", "/api/v1/regions/R1").status_code == 404


def test_duplicates_are_409_and_change_nothing(api: Api) -> None:
    before = api.get("admin", "/api/v1/regions/370100").json()
    r = api.post(
        "admin", "/api/v1/regions", json={"code": "370100", "name": "重复", "kind": "guerrilla"}
    )
    assert r.status_code == 409
    assert "already exists" in r.json()["detail"]
    assert api.get("admin", "/api/v1/regions/370100").json() == before
    assert (
        api.post(
            "admin",
            "/api/v1/checkpoints",
            json={"code": "JN-G2-N", "name": "dup", "region_code": "370100"},
        ).status_code
        == 409
    )
    assert (
        api.post(
            "admin",
            "/api/v1/salespeople",
            json={"code": "SP-370100", "name": "dup", "region_code": "370100"},
        ).status_code
        == 409
    )


def new_distributor(api: Api, tier: str, region_codes: list[str], salesperson: str) -> Any:
    """HQ registers distributor D-NEW (新商行)."""
    body = {"code": "D-NEW", "name": "新商行", "tier": tier, "region_codes": region_codes}
    return api.post("admin", "/api/v1/distributors", json={**body, "salesperson_code": salesperson})


def test_unknown_references_are_422_naming_the_field(api: Api) -> None:
    r = new_distributor(api, "retail", ["370100", "999999"], "SP-370100")
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "region_codes"]
    assert "999999" in r.json()["detail"][0]["msg"]
    r = api.post(
        "admin", "/api/v1/checkpoints", json={"code": "C9", "name": "x", "region_code": "nowhere"}
    )
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "region_code"]
    assert api.get("admin", "/api/v1/distributors/D-NEW").status_code == 404


def test_distributor_create_and_update_territory(api: Api) -> None:
    r = new_distributor(api, "wholesale_2", ["370300", "370700"], "SP-370300")
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["region_codes"] == ["370300", "370700"]
    assert body["agreement_on_file"] is False
    r = api.patch(
        "admin",
        "/api/v1/distributors/D-NEW",
        json={"region_codes": ["370300"], "agreement_signed_at": "2026-03-01T09:00:00+08:00"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["region_codes"] == ["370300"]
    assert r.json()["agreement_signed_at"] == "2026-03-01T01:00:00Z"
    assert r.json()["agreement_on_file"] is True


def test_naive_timestamp_is_refused(api: Api) -> None:
    r = api.patch(
        "admin",
        "/api/v1/distributors/D-370100-1",
        json={"agreement_signed_at": "2026-03-01T09:00:00"},
    )
    assert r.status_code == 422
    assert "offset" in r.json()["detail"][0]["msg"]


def test_product_gtin_money_and_price_floors(api: Api) -> None:
    r = api.post(
        "admin",
        "/api/v1/products",
        json={
            "gtin": "4006381333931",
            "name": "小麦啤酒",
            "units_per_carton": 20,
            "carton_value": "120.5",
            "price_floors": {"retail": "7", "wholesale_1": "5.55"},
        },
    )
    assert r.status_code == 201, r.text
    p = r.json()
    assert p["gtin"] == "04006381333931"  # GTIN-13 widened to GTIN-14
    assert p["carton_value"] == "120.50"
    assert p["price_floors"] == {"retail": "7.00", "wholesale_1": "5.55"}
    assert api.get("inspector", "/api/v1/products/4006381333931").json()["name"] == "小麦啤酒"
    r = api.patch("admin", "/api/v1/products/04006381333931", json={"carton_value": "99.99"})
    assert r.json()["carton_value"] == "99.99"


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"gtin": "04006381333932"}, "gtin"),  # wrong check digit
        ({"gtin": "40063813339"}, "gtin"),  # 11 digits
        ({"carton_value": "-1"}, "carton_value"),
        ({"carton_value": "1.234"}, "carton_value"),
        ({"carton_value": "lots"}, "carton_value"),
        ({"units_per_carton": 0}, "units_per_carton"),
        ({"price_floors": {"emperor": "1.00"}}, "price_floors"),
    ],
)
def test_bad_product_values(api: Api, patch: dict[str, object], field: str) -> None:
    body = {
        "gtin": "4006381333931",
        "name": "x",
        "units_per_carton": 1,
        "carton_value": "1.00",
        **patch,
    }
    r = api.post("admin", "/api/v1/products", json=body)
    assert r.status_code == 422, r.text
    assert any(field in e["loc"] for e in r.json()["detail"])


def test_zero_carton_value_is_refused(api: Api) -> None:
    body = {"gtin": "4006381333931", "name": "x", "units_per_carton": 1, "carton_value": "0"}
    r = api.post("admin", "/api/v1/products", json=body)
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "carton_value"]


def test_checkpoint_needs_both_coordinates_in_range(api: Api) -> None:
    base = {"code": "C9", "name": "x", "region_code": "370100"}
    assert api.post("admin", "/api/v1/checkpoints", json={**base, "lat": 36.6}).status_code == 422
    assert (
        api.post("admin", "/api/v1/checkpoints", json={**base, "lat": 95, "lon": 117}).status_code
        == 422
    )
    r = api.post("admin", "/api/v1/checkpoints", json={**base, "lat": 36.6, "lon": 117.1})
    assert r.status_code == 201
    assert (r.json()["lat"], r.json()["lon"]) == (36.6, 117.1)


def test_lists_paginate_with_total(api: Api) -> None:
    first = api.get("admin", "/api/v1/distributors", params={"limit": 5}).json()
    second = api.get("admin", "/api/v1/distributors", params={"limit": 5, "offset": 5}).json()
    assert first["total"] == second["total"] > 10
    assert len(first["items"]) == 5
    assert not {d["code"] for d in first["items"]} & {d["code"] for d in second["items"]}
    assert api.get("admin", "/api/v1/distributors", params={"limit": 0}).status_code == 422
    assert api.get("admin", "/api/v1/distributors", params={"limit": 501}).status_code == 422
