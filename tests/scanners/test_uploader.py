"""The uploader against a real HTTP server: nothing lost, nothing counted twice."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from scanners.spool import Spool
from scanners.uploader import EXIT_AUTH, EXIT_DEAD_LETTERS, Uploader, app, parse_retry_after
from tests.scanners.conftest import make_scans
from tests.scanners.standin import AnswerLate, Fail, Hang, LoseResponse, StandIn, serve

REPO = Path(__file__).resolve().parents[2]


class Sleeps(list[float]):
    """An injectable sleep that records instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def uploader(
    url: str, spool: Spool, sleeps: Sleeps, *, token: str = "good-token", **kw: object
) -> Uploader:
    return Uploader(url, token, spool, sleep=sleeps, jitter=lambda: 1.0, **kw)  # type: ignore[arg-type]


def enqueue(spool: Spool, count: int, **kw: str) -> Counter[str]:
    scans = make_scans(count, **kw)
    for scan in scans:
        spool.enqueue(scan)
    return Counter(s.payload for s in scans)


def test_drain_delivers_every_scan_once_in_order_and_keeps_verdicts(
    server_url: str, standin: StandIn, spool: Spool
) -> None:
    expected = enqueue(spool, 25)
    sleeps = Sleeps()

    report = uploader(server_url, spool, sleeps).drain()

    assert report.outcome == "drained"
    assert (report.batches_sent, report.scans_sent, sleeps) == (3, 25, [])
    assert standin.payload_counts() == expected
    assert [s["payload"] for s in standin.stored] == [s.payload for s in make_scans(25)]
    assert [r.scans for r in standin.log] == [10, 10, 5]
    stored = standin.stored[0]
    assert stored["checkpoint_code"] == "CP-NORTH"
    assert stored["device_id"] == "reader-7"
    assert stored["scanned_at"] == "2025-03-01T09:00:00+08:00"
    stats = spool.stats()
    assert (stats.done_scans, stats.unsent_scans) == (25, 0)
    outcomes = spool.outcomes(limit=25)
    assert {o.verdict for o in outcomes} == {"in_region"}
    assert all(o.result and o.result["payload"] == o.scan["payload"] for o in outcomes)


def test_lost_responses_are_retried_under_the_same_key_and_replayed(
    server_url: str, standin: StandIn, spool: Spool
) -> None:
    expected = enqueue(spool, 20)
    standin.then(LoseResponse(), LoseResponse())
    sleeps = Sleeps()

    report = uploader(server_url, spool, sleeps).drain()

    assert report.outcome == "drained"
    assert report.retries == 2
    assert standin.payload_counts() == expected  # stored once although sent three times
    keys = standin.keys_sent()
    assert len(keys) == 4
    assert keys[0] == keys[1] == keys[2] != keys[3]
    assert [r.replay for r in standin.log] == [False, True, True, False]
    assert all(len(hashes) == 1 for hashes in standin.bodies.values())
    assert spool.stats().done_scans == 20


def test_response_later_than_the_client_timeout_is_not_counted_twice(
    server_url: str, standin: StandIn, spool: Spool
) -> None:
    expected = enqueue(spool, 5)
    standin.then(AnswerLate(1.0))
    client = httpx.Client(timeout=0.2)

    report = uploader(server_url, spool, Sleeps(), client=client).drain()

    assert (report.outcome, report.retries) == ("drained", 1)
    assert standin.payload_counts() == expected
    assert [r.replay for r in standin.log] == [False, True]


def test_retry_after_is_respected_on_503_and_429(
    server_url: str, standin: StandIn, spool: Spool
) -> None:
    expected = enqueue(spool, 3)
    now = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)
    standin.then(
        Fail(503, retry_after="7"),
        Fail(429, retry_after="Sat, 01 Mar 2025 12:00:42 GMT"),
        Fail(503, retry_after="0"),
    )
    sleeps = Sleeps()

    report = uploader(server_url, spool, sleeps, clock=lambda: now).drain()

    assert report.outcome == "drained"
    assert sleeps == [7.0, 42.0, 0.0]
    assert standin.payload_counts() == expected
    assert spool.next_batch() is None


def test_backoff_grows_exponentially_with_jitter_and_a_cap(
    server_url: str, standin: StandIn, spool: Spool
) -> None:
    enqueue(spool, 1)
    standin.then(*[Fail(502)] * 6)
    sleeps = Sleeps()
    draws = iter([1.0, 0.0, 1.0, 0.5, 1.0, 1.0])

    report = Uploader(
        server_url,
        "good-token",
        spool,
        sleep=sleeps,
        jitter=lambda: next(draws),
        backoff_base=0.5,
        backoff_cap=8.0,
    ).drain()

    assert report.outcome == "drained"
    # ceiling 0.5, 1, 2, 4, 8, 8 (capped); wait = ceiling/2 + draw * ceiling/2
    assert sleeps == [0.5, 0.5, 2.0, 3.0, 8.0, 8.0]
    assert len(standin.stored) == 1


def test_network_down_gives_up_after_n_failures_and_keeps_everything(
    tmp_path: Path, standin: StandIn
) -> None:
    with serve(standin) as url:
        pass  # a port nobody listens on any more: connection refused
    spool = Spool(tmp_path / "spool.db", batch_size=10)
    expected = enqueue(spool, 12)
    sleeps = Sleeps()

    report = uploader(url, spool, sleeps).drain(give_up_after=4)

    assert report.outcome == "gave_up"
    assert "ConnectError" in (report.detail or "")
    assert sleeps == [1.0, 2.0, 4.0]
    assert spool.stats().unsent_scans == 12
    pending = spool.next_batch()
    assert pending is not None
    assert pending.attempts == 4
    spool.close()

    with serve(standin) as url, Spool(tmp_path / "spool.db", batch_size=10) as spool:
        assert uploader(url, spool, Sleeps()).drain().outcome == "drained"
    assert standin.payload_counts() == expected


def test_captive_portal_page_is_not_taken_for_a_delivery(
    server_url: str, standin: StandIn, spool: Spool
) -> None:
    expected = enqueue(spool, 2)
    standin.then(Fail(200, body="<html>Log in to the hotel Wi-Fi</html>"), Fail(302))

    report = uploader(server_url, spool, Sleeps()).drain()

    assert (report.outcome, report.retries) == ("drained", 2)
    assert standin.payload_counts() == expected


@pytest.mark.parametrize("status", [400, 413, 422])
def test_hopeless_batch_goes_to_dead_letters_and_the_rest_is_sent(
    server_url: str, standin: StandIn, spool: Spool, status: int
) -> None:
    enqueue(spool, 30)
    standin.then(Fail(503), Fail(status, detail=f"rejected with {status}"))
    sleeps = Sleeps()
    up = uploader(server_url, spool, sleeps)

    report = up.drain()

    assert report.outcome == "drained"
    assert [d.status_code for d in report.dead_letters] == [status]
    assert report.dead_letters[0].detail == f"rejected with {status}"
    assert sleeps == [1.0]  # only the 503 was retried
    assert len(standin.stored) == 20
    stats = spool.stats()
    assert (stats.dead_scans, stats.done_scans, stats.unsent_scans) == (10, 20, 0)
    requests = len(standin.log)
    assert up.drain().batches_sent == 0
    assert len(standin.log) == requests  # a dead letter is not retried


def test_schema_rejection_keeps_the_servers_message(
    server_url: str, standin: StandIn, spool: Spool
) -> None:
    enqueue(spool, 10, checkpoint="bad code!")  # not a contract code: the server says 422
    enqueue(spool, 5, prefix="Q")

    report = uploader(server_url, spool, Sleeps()).drain()

    [dead] = spool.dead_letters()
    assert dead.status_code == 422
    assert "checkpoint_code" in dead.detail
    assert report.dead_letters == [dead]
    assert len(standin.stored) == 5


def test_requeued_dead_letter_is_sent_under_a_new_key(
    server_url: str, standin: StandIn, spool: Spool
) -> None:
    expected = enqueue(spool, 4)
    standin.then(Fail(422, detail="server too old"))
    up = uploader(server_url, spool, Sleeps())
    [dead] = up.drain().dead_letters

    new_key = spool.requeue_dead(dead.idempotency_key)
    report = up.drain()

    assert report.scans_sent == 4
    assert new_key != dead.idempotency_key
    assert standin.keys_sent() == [dead.idempotency_key, new_key]
    assert standin.payload_counts() == expected
    assert spool.dead_letters() == []


def test_key_reused_with_another_body_is_reported_as_a_bug(
    server_url: str, standin: StandIn, spool: Spool
) -> None:
    enqueue(spool, 3)
    spool.form_batches()
    batch = spool.next_batch()
    assert batch is not None
    standin.responses[batch.idempotency_key] = ("some other body", {"results": []})

    report = uploader(server_url, spool, Sleeps()).drain()

    [dead] = report.dead_letters
    assert dead.status_code == 409
    assert dead.detail.startswith("BUG")
    assert standin.stored == []


@pytest.mark.parametrize(("token", "status"), [("wrong-token", 401), ("distributor-token", 403)])
def test_token_problem_stops_the_drain_and_keeps_the_data(
    server_url: str, standin: StandIn, spool: Spool, token: str, status: int
) -> None:
    expected = enqueue(spool, 25)
    sleeps = Sleeps()

    report = uploader(server_url, spool, sleeps, token=token).drain()

    assert report.outcome == "auth_failed"
    assert str(status) in (report.detail or "")
    assert (len(standin.log), sleeps, report.dead_letters) == (1, [], [])
    assert spool.stats().unsent_scans == 25

    assert uploader(server_url, spool, Sleeps()).drain().scans_sent == 25
    assert standin.payload_counts() == expected


def test_wrong_url_stops_without_dead_letters(server_url: str, spool: Spool) -> None:
    enqueue(spool, 3)

    report = uploader(server_url + "/not-here", spool, Sleeps()).drain()

    assert report.outcome == "misconfigured"
    assert "404" in (report.detail or "")
    assert spool.dead_letters() == []
    assert spool.stats().unsent_scans == 3


def test_two_uploaders_on_one_spool_file_never_double_count(
    server_url: str, standin: StandIn, spool_path: Path
) -> None:
    with Spool(spool_path, batch_size=7) as spool:
        expected = enqueue(spool, 200)
    reports = []

    def work() -> None:
        with Spool(spool_path, batch_size=7) as own:
            reports.append(uploader(server_url, own, Sleeps()).drain())

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)

    assert [r.outcome for r in reports] == ["drained", "drained"]
    assert standin.payload_counts() == expected
    with Spool(spool_path) as spool:
        assert spool.stats().done_scans == 200


def test_killed_uploader_is_finished_by_a_new_one_with_the_same_keys(
    server_url: str, standin: StandIn, spool_path: Path
) -> None:
    with Spool(spool_path, batch_size=10) as spool:
        expected = enqueue(spool, 60)
    standin.then(Fail(503, retry_after="0"), Fail(500, retry_after="0"))
    standin.then(Hang())  # third request: stored, but the answer never leaves
    proc = subprocess.Popen(
        [sys.executable, "-m", "scanners.uploader", "run", "--url", server_url,
         "--spool", str(spool_path), "--batch-size", "10", "--once"],
        cwd=REPO,
        env={**os.environ, "CG_TOKEN": "good-token"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        assert standin.hanging.wait(timeout=20), "uploader never reached the server"
    finally:
        proc.kill()
        proc.wait(timeout=10)
    standin.release.set()
    hung_key = standin.keys_sent()[-1]
    assert len(standin.stored) == 10  # one batch stored; the uploader died waiting for it

    with Spool(spool_path, batch_size=10) as spool:
        assert spool.next_batch().idempotency_key == hung_key  # type: ignore[union-attr]
        report = uploader(server_url, spool, Sleeps()).drain()
        assert report.outcome == "drained"
        assert spool.stats().done_scans == 60

    keys = standin.keys_sent()
    assert keys[:3] == [hung_key] * 3
    assert keys[3] == hung_key
    assert standin.log[3].replay
    assert len(set(keys)) == 6
    assert all(len(hashes) == 1 for hashes in standin.bodies.values())
    assert standin.payload_counts() == expected


def test_parse_retry_after_forms() -> None:
    now = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("120", now=now) == 120.0
    assert parse_retry_after("Sat, 01 Mar 2025 12:01:00 GMT", now=now) == 60.0
    assert parse_retry_after("Sat, 01 Mar 2025 11:00:00 GMT", now=now) == 0.0
    assert parse_retry_after("soon", now=now) is None
    assert parse_retry_after(None, now=now) is None


def test_command_line_exit_codes_and_reports(
    server_url: str, standin: StandIn, spool_path: Path
) -> None:
    runner = CliRunner()
    with Spool(spool_path, batch_size=10) as spool:
        enqueue(spool, 15)
    once = ["run", "--url", server_url, "--spool", str(spool_path), "--once", "--batch-size", "10"]

    denied = runner.invoke(app, once, env={"CG_TOKEN": "wrong-token"})
    standin.then(Fail(422, detail="scanned_at: bad"))
    partly = runner.invoke(app, once, env={"CG_TOKEN": "good-token"})
    status = runner.invoke(app, ["status", "--spool", str(spool_path)])
    results = runner.invoke(app, ["results", "--spool", str(spool_path), "--limit", "5"])

    assert denied.exit_code == EXIT_AUTH
    assert partly.exit_code == EXIT_DEAD_LETTERS, partly.output
    assert "scanned_at: bad" in partly.output
    assert status.exit_code == EXIT_DEAD_LETTERS
    assert "done 5, dead 10 in 1 batches" in status.output
    assert results.output.count("in_region") == 5
    assert len(standin.stored) == 5
