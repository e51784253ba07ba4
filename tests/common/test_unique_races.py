"""Two first writes of the same natural key at once: the loser is 409, never a 500. The
database's unique constraint is the last word; its refusal is mapped to 409 in one place
(app/errors.py), whichever table and driver."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
from sqlalchemy import event, insert, text
from sqlalchemy.orm import Session

from app import db
from app.models import PartyType, Region, RegionKind, SalesTarget
from tests.conftest import Api


def _race(
    api: Api, insert_rival: Callable[[Any], None], request: Callable[[], httpx.Response]
) -> httpx.Response:
    """Another transaction inserts the same key first and commits while the request is under
    way: on PostgreSQL the request's INSERT waits on the unique index, then fails; on SQLite
    writers take turns, so the request sees the committed row."""
    out: list[httpx.Response] = []
    with db.get_engine().connect() as conn:
        trans = conn.begin()
        insert_rival(conn)
        worker = threading.Thread(target=lambda: out.append(request()))
        worker.start()
        _until_the_request_waits_on_the_rival()
        trans.commit()
    worker.join(30)
    assert out, "the request never finished"
    return out[0]


def _until_the_request_waits_on_the_rival() -> None:
    """PostgreSQL: until the request's INSERT blocks on the rival's uncommitted row, i.e. it
    has checked for a duplicate, found none and is inserting. SQLite: the request waits for
    the write lock; give it a moment to get there."""
    engine = db.get_engine()
    if engine.dialect.name != "postgresql":
        time.sleep(0.5)
        return
    deadline = time.monotonic() + 30
    with engine.connect() as probe:
        while time.monotonic() < deadline:
            waiting = probe.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
                )
            )
            probe.rollback()
            if waiting:
                return
            time.sleep(0.05)
    raise AssertionError("the request never reached its INSERT")


def test_a_region_created_twice_at_once_is_409(api: Api) -> None:
    def rival(conn: Any) -> None:
        conn.execute(insert(Region).values(code="R-RACE", name="x", kind=RegionKind.contested))

    r = _race(
        api,
        rival,
        lambda: api.post(
            "admin", "/api/v1/regions", json={"code": "R-RACE", "name": "y", "kind": "contested"}
        ),
    )
    assert r.status_code == 409, r.text
    assert api.get("admin", "/api/v1/regions/R-RACE").json()["name"] == "x"


def test_a_target_set_twice_at_once_is_409(api: Api) -> None:
    def rival(conn: Any) -> None:
        conn.execute(
            insert(SalesTarget).values(
                party_type=PartyType.distributor,
                party_code="D-370100-1",
                period="2026-11",
                target_fen=100,
                set_by="other",
            )
        )

    r = _race(
        api,
        rival,
        lambda: api.client.put(
            "/api/v1/reports/targets/distributor/D-370100-1/2026-11",
            json={"target": "5.00"},
            headers=api.as_("admin"),
        ),
    )
    # On SQLite the request runs after the rival and replaces its target: also not a 500.
    assert r.status_code in (200, 409), r.text
    if db.get_engine().dialect.name == "postgresql":
        assert r.status_code == 409


def test_a_duplicate_insert_inside_the_request_is_409(api: Api) -> None:
    """The exact moment of the race on every database: a duplicate row appears in the same
    transaction after the service looked for one, just before its own INSERT."""

    def duplicate(session: Session, _ctx: object, _instances: object) -> None:
        for obj in session.new:
            if isinstance(obj, Region) and obj.code == "R-DUP":
                session.connection().execute(
                    insert(Region).values(code="R-DUP", name="first", kind=RegionKind.contested)
                )

    event.listen(Session, "before_flush", duplicate)
    try:
        r = api.post(
            "admin", "/api/v1/regions", json={"code": "R-DUP", "name": "y", "kind": "contested"}
        )
    finally:
        event.remove(Session, "before_flush", duplicate)
    assert r.status_code == 409, r.text
    assert "already exists" in r.json()["detail"]
    # The transaction was rolled back: neither row is there.
    assert api.get("admin", "/api/v1/regions/R-DUP").status_code == 404
