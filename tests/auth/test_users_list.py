"""`GET /api/v1/users`: HQ and admin pick people by name; nobody else may list them."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import update

from app import db
from app.auth import service as auth
from app.models import Role, User
from tests.conftest import Api


def _all(api: Api, user: str, **params: Any) -> list[dict[str, Any]]:
    """Every page, following `next`."""
    items: list[dict[str, Any]] = []
    after: str | None = None
    for _ in range(100):
        query = {**params, **({"after": after} if after else {})}
        r = api.get(user, "/api/v1/users", params=query)
        assert r.status_code == 200, r.text
        body = r.json()
        items += body["items"]
        after = body["next"]
        if after is None:
            return items
    raise AssertionError("the pages never ended")


@pytest.mark.parametrize("user", ["admin", "auditor"])
def test_hq_and_admin_list_people_with_their_parties_names(api: Api, user: str) -> None:
    people = {u["username"]: u for u in _all(api, user)}
    assert {"admin", "auditor", "inspector", "jinan-distributor", "jinan-wholesaler"} <= set(people)
    jinan = people["jinan-distributor"]
    assert jinan["role"] == "distributor"
    assert jinan["party_type"] == "distributor" and jinan["party_code"] == "D-370100-1"
    assert jinan["party_name"] and jinan["display_name"] == jinan["party_name"]
    assert "济南" in jinan["party_name"]
    shop = people["jinan-wholesaler"]
    assert shop["party_type"] == "sub_customer" and shop["party_code"] == "SC-370100-W1"
    sales = people["jinan-sales"]
    assert sales["party_type"] == "salesperson" and sales["party_code"] == "SP-370100"
    assert people["inspector"]["party_name"] is None
    # The demo's people have names of their own; party users go by their party's name.
    assert people["inspector"]["display_name"] == people["inspector"]["name"] == "王建国"
    assert people["auditor"]["display_name"] == "陈静"
    assert jinan["name"] is None


@pytest.mark.parametrize(
    "user", ["inspector", "jinan-distributor", "jinan-sales", "jinan-wholesaler"]
)
def test_everyone_else_is_refused(api: Api, user: str) -> None:
    r = api.get(user, "/api/v1/users")
    assert r.status_code == 403
    assert "items" not in r.json()


def test_signed_out_callers_are_refused(api: Api) -> None:
    assert api.get(None, "/api/v1/users").status_code == 401


def test_pages_cover_everyone_once_in_username_order(api: Api) -> None:
    with db.get_sessionmaker()() as s, s.begin():
        for i in range(7):
            auth.create_user(s, username=f"field-{i:02d}", role=Role.inspector, actor="test")
    whole = api.get("admin", "/api/v1/users", params={"limit": 200}).json()
    assert whole["next"] is None
    names = [u["username"] for u in whole["items"]]
    assert names == sorted(names)
    first = api.get("admin", "/api/v1/users", params={"limit": 3}).json()
    assert [u["username"] for u in first["items"]] == names[:3]
    assert first["next"] == names[2]
    paged = [u["username"] for u in _all(api, "admin", limit=3)]
    assert paged == names  # nothing lost, nothing twice
    last = api.get("admin", "/api/v1/users", params={"after": names[-1]}).json()
    assert last == {"items": [], "next": None}
    # Exactly a page's worth left: the page says there is no next one.
    exact = api.get("admin", "/api/v1/users", params={"after": names[-4], "limit": 3}).json()
    assert [u["username"] for u in exact["items"]] == names[-3:] and exact["next"] is None


def test_role_and_search_narrow_the_list(api: Api) -> None:
    with db.get_sessionmaker()() as s, s.begin():
        auth.create_user(s, username="qd_50%", role=Role.inspector, actor="test")
        gone, _ = auth.create_user(s, username="left-the-firm", role=Role.inspector, actor="test")
        s.execute(update(User).where(User.id == gone.id).values(disabled_at=db.utcnow()))
    inspectors = _all(api, "admin", role="inspector")
    assert inspectors and {u["role"] for u in inspectors} == {"inspector"}
    assert "left-the-firm" not in {u["username"] for u in inspectors}  # disabled: not offered
    # By a party's name, in Chinese, and by part of a username in any case.
    jinan = {u["username"] for u in _all(api, "auditor", q="济南")}
    assert {"jinan-distributor", "jinan-sales", "jinan-wholesaler"} <= jinan
    assert "liaocheng-distributor" not in jinan and "inspector" not in jinan
    assert [u["username"] for u in _all(api, "admin", q="LIAOCHENG")] == ["liaocheng-distributor"]
    # LIKE's wildcards are plain characters.
    assert [u["username"] for u in _all(api, "admin", q="50%")] == ["qd_50%"]
    assert _all(api, "admin", q="_5") == [u for u in _all(api, "admin") if "_5" in u["username"]]
    assert _all(api, "admin", q="%") == [u for u in _all(api, "admin") if "%" in u["username"]]
    assert _all(api, "admin", role="distributor", q="济南")[0]["username"] == "jinan-distributor"


@pytest.mark.parametrize(
    "params",
    [
        {"role": "boss"},
        {"limit": 0},
        {"limit": 201},
        {"q": "x" * 81},
        {"q": "a\x00b"},
        {"after": "\x01"},
    ],
)
def test_bad_queries_are_422_not_500(api: Api, params: dict[str, Any]) -> None:
    assert api.get("admin", "/api/v1/users", params=params).status_code == 422
