"""The spool file: durability, batch formation, keys fixed before the first send."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from scanners.scan import Scan
from scanners.spool import DuplicateSourceError, Spool, SpoolError
from tests.scanners.conftest import SHANGHAI, make_scans


def test_enqueued_scan_survives_without_close(spool_path: Path) -> None:
    spool = Spool(spool_path)
    scan_id = spool.enqueue(make_scans(1)[0])
    # Read through an independent connection while the spool is still open: committed.
    with sqlite3.connect(spool_path) as other:
        [(body,)] = other.execute("SELECT body FROM scan WHERE id = ?", (scan_id,)).fetchall()
        [(mode,)] = other.execute("PRAGMA journal_mode").fetchall()
    spool.close()
    assert json.loads(body)["payload"] == make_scans(1)[0].payload
    assert mode == "wal"


def test_batches_hold_at_most_batch_size_scans_in_enqueue_order(spool_path: Path) -> None:
    scans = make_scans(1234)
    with Spool(spool_path, batch_size=500) as spool:
        assert spool.enqueue_many(scans) == 1234
        assert spool.form_batches() == 3
        sent: list[dict[str, object]] = []
        sizes, keys = [], set()
        while (batch := spool.next_batch()) is not None:
            body = json.loads(batch.body)["scans"]
            sizes.append(batch.scan_count)
            keys.add(batch.idempotency_key)
            sent += body
            spool.mark_done(batch.idempotency_key, [{"verdict": "in_region"}] * len(body))
    assert sizes == [500, 500, 234]
    assert len(keys) == 3
    assert sent == [s.to_wire() for s in scans]


def test_key_and_body_are_on_disk_before_the_first_send(spool_path: Path) -> None:
    with Spool(spool_path, batch_size=10) as spool:
        spool.enqueue_many(make_scans(15))
        spool.form_batches()
        first = spool.next_batch()
    with Spool(spool_path, batch_size=3) as reopened:  # a restart, even with another size
        reopened.enqueue_many(make_scans(4, prefix="LATE"))
        reopened.form_batches()
        again = reopened.next_batch()
        stats = reopened.stats()
    assert again == first
    assert (stats.pending_batches, stats.pending_scans) == (4, 19)


def test_results_need_one_per_scan_and_are_kept(spool: Spool) -> None:
    spool.enqueue_many(make_scans(3))
    spool.form_batches()
    batch = spool.next_batch()
    assert batch is not None
    with pytest.raises(SpoolError, match="3 scans but 2 results"):
        spool.mark_done(batch.idempotency_key, [{"verdict": "in_region"}] * 2)
    assert spool.next_batch() == batch

    results = [{"verdict": v} for v in ("in_region", "diversion", "forged")]
    outcomes = spool.mark_done(batch.idempotency_key, results)

    assert [o.verdict for o in outcomes] == ["in_region", "diversion", "forged"]
    assert [o.verdict for o in spool.outcomes(limit=2)] == ["forged", "diversion"]
    assert spool.next_batch() is None
    # A second uploader finishing the same batch gets the stored results back.
    assert spool.mark_done(batch.idempotency_key, []) == outcomes


def test_dead_letter_keeps_the_scans_and_can_be_requeued(spool: Spool) -> None:
    spool.enqueue_many(make_scans(4))
    spool.form_batches()
    batch = spool.next_batch()
    assert batch is not None

    dead = spool.mark_dead(batch.idempotency_key, status_code=422, detail="bad")

    assert spool.dead_letters() == [dead]
    assert spool.next_batch() is None
    assert (spool.stats().dead_scans, spool.stats().unsent_scans) == (4, 0)
    new_key = spool.requeue_dead(batch.idempotency_key)
    again = spool.next_batch()
    assert again is not None
    assert (again.idempotency_key, again.body) == (new_key, batch.body)
    assert spool.dead_letters() == []
    with pytest.raises(SpoolError, match="not dead"):
        spool.requeue_dead(new_key)


def test_a_source_file_is_accepted_once(spool: Spool) -> None:
    assert spool.enqueue_many(make_scans(2), source_sha256="abc", source_name="dump.csv") == 2
    with pytest.raises(DuplicateSourceError):
        spool.enqueue_many(make_scans(2), source_sha256="abc", source_name="dump.csv")
    assert spool.stats().queued_scans == 2
    assert spool.has_source("abc")


def test_scan_wire_form() -> None:
    when = datetime(2025, 3, 1, 9, 30, tzinfo=SHANGHAI)
    scan = Scan(
        payload="]C10109501101530003\x1d21ABC",
        scanned_at=when,
        lat=31.2,
        lon=121.5,
        observed_price=Decimal("1.2E+1"),
    )
    assert scan.to_wire() == {
        "payload": "]C10109501101530003\x1d21ABC",
        "scanned_at": "2025-03-01T09:30:00+08:00",
        "lat": 31.2,
        "lon": 121.5,
        "observed_price": "12",
    }
    assert (
        Scan(
            payload="X", scanned_at=when, checkpoint_code="CP", observed_price=Decimal("12.50")
        ).to_wire()["observed_price"]
        == "12.50"
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"payload": "", "scanned_at": datetime(2025, 1, 1, tzinfo=SHANGHAI)}, "empty"),
        ({"payload": "X", "scanned_at": datetime(2025, 1, 1)}, "timezone"),
        ({"payload": "X", "scanned_at": datetime(2025, 1, 1, tzinfo=SHANGHAI), "lat": 1.0}, "lat"),
        (
            {
                "payload": "X",
                "scanned_at": datetime(2025, 1, 1, tzinfo=SHANGHAI),
                "checkpoint_code": "CP",
                "observed_price": Decimal("NaN"),
            },
            "finite",
        ),
        ({"payload": "X", "scanned_at": datetime(2025, 1, 1, tzinfo=SHANGHAI)}, "no checkpoint"),
    ],
)
def test_scan_refuses_what_the_server_would_reject(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Scan(**kwargs)  # type: ignore[arg-type]


def test_batch_size_is_bounded_by_the_contract(spool_path: Path) -> None:
    with pytest.raises(ValueError, match="batch_size"):
        Spool(spool_path, batch_size=10_001)
