"""People have names: admin names a user (`PATCH /api/v1/users/{username}`), the people list,
`/me` and HQ's list of signed-in phones show that name first, and search finds it."""

from __future__ import annotations

from typing import Any

import pytest

from app import db
from app.auth import service as auth
from app.errors import AppError
from app.models import AuditEntry, Role
from rules.people import clean_display_name, shown_name
from tests.conftest import Api


def _person(api: Api, username: str, **params: Any) -> dict[str, Any]:
    r = api.get("admin", "/api/v1/users", params={"limit": 200, **params})
    assert r.status_code == 200, r.text
    found = [u for u in r.json()["items"] if u["username"] == username]
    assert len(found) == 1, (username, r.json())
    return found[0]


def _rename(api: Api, username: str, name: Any, user: str | None = "admin") -> Any:
    return api.patch(user, f"/api/v1/users/{username}", json={"display_name": name})


def test_admin_names_a_person_and_every_list_shows_it(api: Api) -> None:
    r = _rename(api, "jinan-distributor", "  李秀英 ")
    assert r.status_code == 200, r.text
    body = r.json()
    # Trimmed; the person's own name comes before the firm's; the firm is still named.
    assert body["display_name"] == body["name"] == "李秀英"
    assert body["username"] == "jinan-distributor" and body["party_code"] == "D-370100-1"
    assert "济南" in body["party_name"]
    assert _person(api, "jinan-distributor")["display_name"] == "李秀英"
    # Search finds people by their own name, in part; the firm's name still finds them too.
    by_name = [
        u["username"]
        for u in api.get("auditor", "/api/v1/users", params={"q": "秀英"}).json()["items"]
    ]
    assert by_name == ["jinan-distributor"]
    assert "jinan-distributor" in {
        u["username"]
        for u in api.get("admin", "/api/v1/users", params={"q": "济南"}).json()["items"]
    }
    # The person sees their own name.
    me = api.get("jinan-distributor", "/api/v1/me").json()
    assert me["display_name"] == "李秀英" and me["username"] == "jinan-distributor"


def test_taking_a_name_away_falls_back_to_the_party_then_the_login(api: Api) -> None:
    with db.get_sessionmaker()() as s, s.begin():
        auth.create_user(s, username="field-7", role=Role.inspector, display_name="赵磊", actor="t")
    assert _person(api, "field-7")["display_name"] == "赵磊"
    cleared = _rename(api, "field-7", None)
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["display_name"] == "field-7" and cleared.json()["name"] is None
    assert (
        _rename(api, "jinan-sales", None).json()["display_name"]
        == _person(api, "jinan-sales")["party_name"]
    )
    assert api.get("admin", "/api/v1/users", params={"q": "赵磊"}).json()["items"] == []


def test_every_rename_is_in_the_audit_log(api: Api) -> None:
    assert _rename(api, "inspector", "王建军").status_code == 200
    assert _rename(api, "inspector", "王建军").status_code == 200  # the same name: nothing new
    with db.get_sessionmaker()() as s:
        entries = [
            e.data
            for e in s.query(AuditEntry).filter_by(action="user.renamed", entity_key="inspector")
        ]
    assert entries == [{"from": "王建国", "to": "王建军"}]


@pytest.mark.parametrize(
    "body",
    [
        {"display_name": ""},
        {"display_name": "   "},
        {"display_name": "\u3000"},  # an ideographic space is blank too
        {"display_name": "王" * 65},
        {"display_name": "王\n建国"},
        {"display_name": "王\x00国"},
        {"display_name": 12},
        {},
    ],
)
def test_blank_long_or_broken_names_are_422_naming_the_field(
    api: Api, body: dict[str, Any]
) -> None:
    r = api.patch("admin", "/api/v1/users/inspector", json=body)
    assert r.status_code == 422, r.text
    assert any(err["loc"][-1] == "display_name" for err in r.json()["detail"]), r.json()
    assert _person(api, "inspector")["display_name"] == "王建国"  # unchanged


def test_sixty_four_characters_fit(api: Api) -> None:
    r = _rename(api, "inspector", "名" * 64)
    assert r.status_code == 200 and r.json()["display_name"] == "名" * 64


def test_unknown_fields_and_unknown_people(api: Api) -> None:
    r = api.patch("admin", "/api/v1/users/inspector", json={"display_name": "甲", "role": "admin"})
    assert r.status_code == 422
    assert _rename(api, "nobody-here", "甲").status_code == 404


@pytest.mark.parametrize(
    "user", ["auditor", "inspector", "jinan-distributor", "jinan-sales", "jinan-wholesaler"]
)
def test_only_admin_names_people(api: Api, user: str) -> None:
    r = _rename(api, "inspector", "冒名", user=user)
    assert r.status_code == 403
    assert _person(api, "inspector")["display_name"] == "王建国"


def test_signed_out_callers_cannot_rename(api: Api) -> None:
    assert _rename(api, "inspector", "冒名", user=None).status_code == 401


def test_hq_phone_list_names_whose_phone_it_is(api: Api) -> None:
    r = api.post("admin", "/api/v1/sign-in/tickets", json={"username": "inspector"})
    assert r.status_code == 201, r.text
    ticket = r.json()["link"].split("#ticket=", 1)[1]
    got = api.post(None, "/api/v1/sign-in/exchange", json={"ticket": ticket})
    assert got.status_code == 200, got.text
    assert got.json()["me"]["display_name"] == "王建国"
    phones = api.get("admin", "/api/v1/sign-in/sessions").json()["items"]
    mine = [p for p in phones if p["username"] == "inspector"]
    assert mine and all(p["display_name"] == "王建国" for p in mine)
    # Renamed later: the list follows the person, not a copy taken at sign-in.
    _rename(api, "inspector", "王建军")
    phones = api.get("admin", "/api/v1/sign-in/sessions", params={"username": "inspector"})
    assert {p["display_name"] for p in phones.json()["items"]} == {"王建军"}
    revoked = api.post("admin", f"/api/v1/sign-in/sessions/{mine[0]['id']}/revoke")
    assert revoked.json()["display_name"] == "王建军"


def test_creating_a_user_checks_the_name(session: Any) -> None:
    user, _ = auth.create_user(
        session, username="hq-1", role=Role.hq_auditor, display_name=" 孙丽 ", actor="t"
    )
    assert user.display_name == "孙丽"
    with pytest.raises(AppError) as bad:
        auth.create_user(
            session, username="hq-2", role=Role.hq_auditor, display_name=" ", actor="t"
        )
    assert bad.value.status_code == 422 and "display_name" in str(bad.value.detail)


def test_name_rules() -> None:
    assert clean_display_name("\t王建国  ") == "王建国"
    assert clean_display_name("Anna Müller") == "Anna Müller"
    for bad in ["", " \n ", "x" * 65, "a\rb", "a\u2028b"]:
        with pytest.raises(ValueError):
            clean_display_name(bad)
    assert shown_name("王建国", "济南经销", "u1") == "王建国"
    assert shown_name(None, "济南经销", "u1") == "济南经销"
    assert shown_name(None, None, "u1") == "u1"
    assert shown_name("", None, "u1") == "u1"
