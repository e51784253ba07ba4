"""Idempotent retries, limits, schema errors and roles of POST /api/v1/scans."""

from __future__ import annotations

from datetime import timedelta

from tests.scans.conftest import T0, World, iso


def test_retry_with_the_same_key_replays_and_stores_nothing_twice(world: World) -> None:
    item = {"payload": world.jinan[2]["payload"], "checkpoint_code": "LC-G3", "scanned_at": iso(T0)}
    first = world.scan(item, key="batch-1")
    second = world.scan(item, key="batch-1")
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    scans = world.scans_of(world.jinan[2])
    assert len(scans) == 1


def test_same_key_with_another_body_is_409_and_stores_nothing(world: World) -> None:
    item = {
        "payload": world.jinan[1]["payload"],
        "checkpoint_code": "JN-G2-N",
        "scanned_at": iso(T0),
    }
    assert world.scan(item, key="k").status_code == 200
    other = {**item, "scanned_at": iso(T0 + timedelta(minutes=1))}
    r = world.scan(other, key="k")
    assert r.status_code == 409
    assert "different body" in r.json()["detail"]
    scans = world.scans_of(world.jinan[1])
    assert len(scans) == 1


def test_keys_are_per_user(world: World) -> None:
    item = {
        "payload": world.jinan[1]["payload"],
        "checkpoint_code": "JN-G2-N",
        "scanned_at": iso(T0),
    }
    assert world.scan(item, key="shared").status_code == 200
    assert world.scan(item, key="shared", user="admin").status_code == 200
    scans = world.scans_of(world.jinan[1])
    assert len(scans) == 2


def test_more_than_ten_thousand_scans_is_413(world: World) -> None:
    item = {"payload": "x", "checkpoint_code": "JN-G2-N", "scanned_at": iso(T0)}
    r = world.api.client.post(
        "/api/v1/scans", json={"scans": [item] * 10_001}, headers=world.api.as_("inspector")
    )
    assert r.status_code == 413


def test_schema_errors_are_422_as_a_whole(world: World) -> None:
    good = {"payload": "x", "checkpoint_code": "JN-G2-N", "scanned_at": iso(T0)}
    for bad in (
        {**good, "scanned_at": "2026-11-20T08:00:00"},
        {**good, "scanned_at": "yesterday"},
        {**good, "lat": 36.1},
        {**good, "observed_price": "-3"},
        {"checkpoint_code": "JN-G2-N"},
    ):
        r = world.scan(good, bad)
        assert r.status_code == 422, bad
    assert (
        world.api.client.post(
            "/api/v1/scans", json={"scans": []}, headers=world.api.as_("inspector")
        ).status_code
        == 422
    )


def test_only_inspectors_and_admins_upload(world: World) -> None:
    item = {"payload": "x", "checkpoint_code": "JN-G2-N", "scanned_at": iso(T0)}
    for user in ("jinan-distributor", "jinan-sales", "auditor"):
        assert world.scan(item, user=user).status_code == 403
    assert world.api.client.post("/api/v1/scans", json={"scans": [item]}).status_code == 401
