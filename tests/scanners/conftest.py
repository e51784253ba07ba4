"""Fixtures: a stand-in service on a real socket, a spool file, scans to send."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from scanners.scan import Scan
from scanners.spool import Spool
from tests.scanners.standin import StandIn, serve

SHANGHAI = timezone(timedelta(hours=8))
TEST_DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture
def standin() -> StandIn:
    return StandIn()


@pytest.fixture
def server_url(standin: StandIn) -> Iterator[str]:
    with serve(standin) as url:
        yield url


@pytest.fixture
def spool_path(tmp_path: Path) -> Path:
    return tmp_path / "spool.db"


@pytest.fixture
def spool(spool_path: Path) -> Iterator[Spool]:
    with Spool(spool_path, batch_size=10) as spool:
        yield spool


def make_scans(count: int, *, prefix: str = "P", checkpoint: str = "CP-NORTH") -> list[Scan]:
    """Distinct scans, one second apart, with GS1 separators inside the payload."""
    start = datetime(2025, 3, 1, 9, 0, tzinfo=SHANGHAI)
    return [
        Scan(
            payload=f"]C1010950110153000321{prefix}{i:06d}\x1d91NORTH",
            scanned_at=start + timedelta(seconds=i),
            checkpoint_code=checkpoint,
            device_id="reader-7",
        )
        for i in range(count)
    ]
