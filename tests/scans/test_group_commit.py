"""Single scans arriving together share one transaction (app/scans/groupcommit.py): each request
still gets its own verdict, keys are honoured exactly once, and a bad request fails alone."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest

from app import db
from app.auth.principal import Principal
from app.auth.service import authenticate
from app.errors import Conflict
from app.scans import groupcommit, service
from app.scans.groupcommit import Pending, commit_group
from app.scans.idempotency import Prehashed
from app.scans.schemas import ScanBatchIn
from tests.scans.conftest import T0, World, iso


def principal(world: World, user: str = "inspector") -> Principal:
    with db.get_sessionmaker()() as s, s.begin():
        return authenticate(s, world.api.tokens[user])


def pending(who: Principal, item: dict[str, Any], key: str | None = None) -> Pending:
    body = ScanBatchIn.model_validate({"scans": [item]})
    return Pending(
        principal=who, key=key, fingerprint=body.model_dump(mode="json"), scans=body.scans
    )


def scans_of(world: World, carton: dict[str, Any]) -> list[dict[str, Any]]:
    r = world.api.get("auditor", f"/api/v1/cartons/{carton['serial']}")
    assert r.status_code == 200, r.text
    out: list[dict[str, Any]] = r.json()["scans"]
    return out


def item(carton: dict[str, Any], where: str, minutes: int = 0) -> dict[str, Any]:
    return {
        "payload": carton["payload"],
        "checkpoint_code": where,
        "scanned_at": iso(T0 + timedelta(minutes=minutes)),
    }


def test_a_shared_transaction_answers_each_request_with_its_own_verdict(world: World) -> None:
    who = principal(world)
    # The reference: the same situations judged as one ordinary two-scan batch.
    ref = world.scan(item(world.jinan[0], "JN-G2-N"), item(world.jinan[1], "LC-G3"))
    assert ref.status_code == 200, ref.text
    in_region, elsewhere = (r["verdict"] for r in ref.json()["results"])
    assert in_region != elsewhere

    group = [
        pending(who, item(world.jinan[2], "JN-G2-N"), key="a"),
        pending(who, item(world.jinan[3], "LC-G3"), key="b"),
        pending(who, {"payload": "no code at all", "scanned_at": iso(T0)}, key="c"),
        pending(who, item(world.jinan[4], "JN-G2-N")),
    ]
    commit_group(group)
    assert [p.error for p in group] == [None] * 4
    answers = [p.answer.results[0] for p in group if p.answer is not None]
    assert [a.payload for a in answers] == [p.scans[0].payload for p in group]
    assert [a.verdict for a in answers] == [in_region, elsewhere, answers[2].verdict, in_region]
    assert answers[2].error and answers[2].serial is None
    assert answers[1].violation_id is not None and answers[0].violation_id is None
    for carton in world.jinan[2:5]:
        assert len(scans_of(world, carton)) == 1


def test_concurrent_single_scans_over_http_each_get_their_own_answer(world: World) -> None:
    cartons = world.jinan[:6] + world.to_qingdao
    calls = [(c, "JN-G2-N" if i % 2 else "LC-G3", uuid.uuid4().hex) for i, c in enumerate(cartons)]
    seen: list[int] = []
    real = groupcommit.commit_group

    def counting(group: list[Pending]) -> None:
        seen.append(len(group))
        real(group)

    start = threading.Barrier(len(calls))

    def send(call: tuple[dict[str, Any], str, str]) -> tuple[int, dict[str, Any]]:
        carton, where, key = call
        start.wait()
        r = world.scan(item(carton, where), key=key)
        return r.status_code, r.json()

    with pytest.MonkeyPatch.context() as mp, ThreadPoolExecutor(len(calls)) as pool:
        mp.setattr(groupcommit, "commit_group", counting)
        got = list(pool.map(send, calls))
    assert [status for status, _ in got] == [200] * len(calls)
    for (carton, where, key), (_, body) in zip(calls, got, strict=True):
        (res,) = body["results"]
        assert res["serial"] == carton["serial"]
        # The stored answer is this request's own: a retry replays it exactly.
        assert world.scan(item(carton, where), key=key).json() == body
        assert len(scans_of(world, carton)) == 1
    assert sum(seen) == len(calls)


def test_duplicates_in_a_group_and_retries_after_a_crash_are_not_doubled(world: World) -> None:
    who = principal(world)
    first = item(world.jinan[5], "LC-G3")
    group = [
        pending(who, first, key="dup"),
        pending(who, first, key="dup"),
        pending(who, item(world.jinan[5], "JN-G2-N"), key="dup"),
        pending(who, item(world.jinan[6], "LC-G3"), key="other"),
    ]
    commit_group(group)
    assert group[0].answer is not None and group[0].answer == group[1].answer
    assert isinstance(group[2].error, Conflict)
    assert group[3].answer is not None
    # The process dies here, after the shared commit, before any answer went out: the phones
    # retry with their keys and get exactly the stored answers; nothing is stored twice.
    r = world.scan(first, key="dup")
    assert r.status_code == 200
    assert r.json() == group[0].answer.model_dump(mode="json")
    r = world.scan(item(world.jinan[6], "LC-G3"), key="other")
    assert r.json() == group[3].answer.model_dump(mode="json")
    assert len(scans_of(world, world.jinan[5])) == 1
    assert len(scans_of(world, world.jinan[6])) == 1


def test_one_failing_request_does_not_fail_its_neighbours(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    who = principal(world)
    poison = world.jinan[7]["payload"]
    real = service.ingest

    def ingest(session: Any, *, items: Sequence[service.Item], **kw: Any) -> Any:
        if any(it.payload == poison for it in items):
            raise RuntimeError("this scan breaks the judge")
        return real(session, items=list(items), **kw)

    monkeypatch.setattr(service, "ingest", ingest)
    assert world.scan(item(world.jinan[8], "JN-G2-N"), key="used").status_code == 200
    group = [
        pending(who, item(world.jinan[9], "JN-G2-N"), key="n1"),
        pending(who, item(world.jinan[7], "JN-G2-N"), key="bad"),
        pending(who, item(world.jinan[8], "LC-G3"), key="used"),  # the key's other body
        pending(who, item(world.to_qingdao[0], "JN-G2-N"), key="n2"),
    ]
    commit_group(group)
    assert group[0].answer is not None and group[3].answer is not None
    assert isinstance(group[1].error, RuntimeError)
    assert isinstance(group[2].error, Conflict)
    assert len(scans_of(world, world.jinan[9])) == 1
    assert len(scans_of(world, world.to_qingdao[0])) == 1
    assert scans_of(world, world.jinan[7]) == []
    assert len(scans_of(world, world.jinan[8])) == 1


def test_turned_off_single_scans_take_their_own_transaction(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.config import get_settings

    def refuse(**_: Any) -> Any:
        raise AssertionError("the committer was used")

    monkeypatch.setattr(groupcommit.committer, "submit", refuse)
    monkeypatch.setenv("CG_SCAN_GROUP_COMMIT", "false")
    get_settings.cache_clear()
    try:
        r = world.scan(item(world.jinan[0], "JN-G2-N", minutes=5), key="off")
    finally:
        monkeypatch.delenv("CG_SCAN_GROUP_COMMIT")
        get_settings.cache_clear()
    assert r.status_code == 200, r.text
    assert r.json()["results"][0]["verdict"] == "in_region"


def test_a_client_that_hangs_up_still_gets_its_scan_stored_once(world: World) -> None:
    """The request's wait is cancelled (the phone lost its connection); the scan is still judged
    and stored, and the phone's retry with the same key replays that answer."""
    import asyncio

    who = principal(world)
    scan = item(world.jinan[3], "LC-G3")
    body = ScanBatchIn.model_validate({"scans": [scan]})
    committed = threading.Event()
    stored: list[dict[str, Any] | None] = []
    real = groupcommit.commit_group

    def slow(group: list[Pending]) -> None:
        real(group)
        stored.extend(p.reply for p in group)
        committed.set()

    async def hang_up() -> None:
        waiter = asyncio.ensure_future(
            groupcommit.committer.submit(
                principal=who,
                key="gone",
                fingerprint=Prehashed.of_json(
                    body.__pydantic_serializer__.to_json(body),
                    lambda: body.model_dump(mode="json"),
                ),
                scans=body.scans,
            )
        )
        await asyncio.sleep(0)  # queued
        waiter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(groupcommit, "commit_group", slow)
        asyncio.run(hang_up())
        assert committed.wait(30)
    # The waiter's loop is closed now; answering into it must not have killed the committer.
    time.sleep(0.1)
    assert any(t.name.startswith("scan-group-commit") for t in threading.enumerate())
    assert len(scans_of(world, world.jinan[3])) == 1
    retry = world.scan(scan, key="gone")
    assert retry.status_code == 200, retry.text
    assert stored == [retry.json()]
    assert retry.json()["results"][0]["verdict"] == "diversion"
    assert len(scans_of(world, world.jinan[3])) == 1
