"""Scan ingest in three steps: gather the facts of a batch with a handful of set-based queries
(`gather.py`), judge them with the verdict rules as a pure function (`judge.py`), and write the
cases and scans with one bulk insert (`write.py`), all in the caller's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from app.common.types import to_fen
from app.config import Settings
from app.scans.gather import gather
from app.scans.judge import judge
from app.scans.recognise import Item
from app.scans.schemas import ScanIn, ScanResult
from app.scans.write import write
from rules.policy import Policy


def items_from(scans: Sequence[ScanIn]) -> list[Item]:
    return [
        Item(
            payload=s.payload,
            parse_text=s.payload,
            scanned_at=s.scanned_at,
            checkpoint_code=s.checkpoint_code,
            lat=s.lat,
            lon=s.lon,
            observed_price_fen=to_fen(s.observed_price) if s.observed_price is not None else None,
            device_id=s.device_id,
        )
        for s in scans
    ]


def ingest(
    session: Session,
    *,
    items: list[Item],
    user_id: int,
    settings: Settings,
    policy: Policy,
    source: str = "api",
    photo_sha256: str | None = None,
) -> list[dict[str, Any]]:
    """Judge and store a batch of scans; results come back in input order, as JSON
    (`ScanResult`'s shape): what the scan doors store for a replay and send, without building
    and dumping a model per scan. `as_results` gives them as models."""
    gathered = gather(session, items, settings, policy)
    return write(
        session,
        gathered,
        judge(gathered, policy),
        user_id=user_id,
        source=source,
        photo_sha256=photo_sha256,
    )


def as_results(results: list[dict[str, Any]]) -> list[ScanResult]:
    """`ingest`'s results as models, for a caller that reads them in Python."""
    return [ScanResult.model_validate(r) for r in results]
