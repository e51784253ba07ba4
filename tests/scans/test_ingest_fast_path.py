"""The batch path that skips models and the ORM still answers, stores and replays exactly as the
contract says: results in `ScanResult`'s full shape, scans read back as sent, keys stored by the
earlier fingerprint still replay, and the bounded look-back for clones decides nothing
differently."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from app.db import get_sessionmaker
from app.models import IdempotencyKey, Scan
from app.scans.gather import sighting_window
from app.scans.schemas import ScanBatchIn, ScanBatchOut
from rules.policy import load_policy
from rules.verdicts import ScanFacts, Sighting, impossible_travel
from tests.scans.conftest import T0, World, iso


def test_results_have_every_field_of_the_documented_shape(world: World) -> None:
    r = world.scan(
        {"payload": world.jinan[3]["payload"], "checkpoint_code": "LC-G3", "scanned_at": iso(T0)},
        {"payload": world.jinan[4]["payload"], "checkpoint_code": "JN-G2-N", "scanned_at": iso(T0)},
        {"payload": "not a code", "checkpoint_code": "JN-G2-N", "scanned_at": iso(T0)},
        {"payload": "x", "checkpoint_code": "NOWHERE", "scanned_at": iso(T0)},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    # Exactly what the model would send: no key missing, none extra, same values.
    assert body == ScanBatchOut.model_validate(body).model_dump(mode="json")
    verdicts = [x["verdict"] for x in body["results"]]
    assert verdicts[:3] == ["diversion", "in_region", "unreadable"]
    assert body["results"][0]["violation_id"] is not None
    assert body["results"][0]["reason"]["facts"]["scan_region"]["name"]
    assert body["results"][3]["error"] and body["results"][3]["verdict"] is None


def test_stored_scans_read_back_as_sent(world: World) -> None:
    at = datetime(2026, 11, 20, 16, 30, 0, tzinfo=UTC)  # whole seconds: no microseconds
    item = {
        "payload": world.jinan[5]["payload"],
        "checkpoint_code": "JN-G2-N",
        "scanned_at": "2026-11-21T00:30:00+08:00",  # the same instant, another offset
        "observed_price": "1.00",
        "device_id": "gate-7",
    }
    assert world.scan(item).status_code == 200
    with get_sessionmaker()() as s:
        scan = s.scalars(select(Scan).where(Scan.serial == world.jinan[5]["serial"])).one()
        # Compared in SQL too: the stored text orders with scans written by the ORM.
        later = s.scalar(
            select(Scan.id).where(Scan.id == scan.id, Scan.scanned_at > at - timedelta(0, 1))
        )
    assert scan.scanned_at == at and later == scan.id
    assert scan.device_id == "gate-7" and scan.source == "api"
    assert scan.findings == ["price_violation"] and scan.observed_price_fen == 100
    assert scan.lat is not None and scan.verdict == "in_region"


def test_a_key_stored_with_the_earlier_fingerprint_still_replays(world: World) -> None:
    item = {
        "payload": world.jinan[6]["payload"],
        "checkpoint_code": "JN-G2-N",
        "scanned_at": iso(T0),
    }
    first = world.scan(item, item, key="from-last-release")
    assert first.status_code == 200
    # The key row as the earlier release wrote it: a sorted-keys dump of the body, hashed.
    body = ScanBatchIn.model_validate({"scans": [item, item]}).model_dump(mode="json")
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    with get_sessionmaker()() as s, s.begin():
        s.execute(
            update(IdempotencyKey)
            .where(IdempotencyKey.key == "from-last-release")
            .values(request_hash=hashlib.sha256(canonical.encode()).hexdigest())
        )
    again = world.scan(item, item, key="from-last-release")
    assert again.status_code == 200 and again.json() == first.json()
    other = world.scan({**item, "checkpoint_code": "LC-G3"}, item, key="from-last-release")
    assert other.status_code == 409
    with get_sessionmaker()() as s:
        n = len(s.scalars(select(Scan).where(Scan.serial == world.jinan[6]["serial"])).all())
    assert n == 2


def test_the_clone_look_back_window_misses_no_possible_clone() -> None:
    """A sighting older than the window cannot make a scan a clone wherever on Earth it was,
    so leaving it unread changes no verdict; a little inside the window it still can."""
    policy = load_policy()
    window = sighting_window(policy)
    now = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
    here = Sighting(at=now, lat=0.0, lon=0.0)

    def clone(elapsed: timedelta) -> bool:
        antipode = Sighting(at=now - elapsed, lat=0.0, lon=180.0)
        facts = ScanFacts(
            code_status="valid", scanned=here, scan_region_path=("370100",), previous=antipode
        )
        return impossible_travel(facts, policy) is not None

    assert not clone(window)
    assert clone(window - timedelta(hours=2))
