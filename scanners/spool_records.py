"""What the spool stores and reports: its SQLite schema, a pending batch, a scan's outcome, a dead
letter, its counts, and its errors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

SCHEMA_VERSION = 1

SCHEMA = """
CREATE TABLE IF NOT EXISTS batch (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    idempotency_key TEXT NOT NULL UNIQUE,
    body TEXT NOT NULL,
    scan_count INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'done', 'dead', 'requeued')),
    created_at TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    finished_at TEXT
);
CREATE INDEX IF NOT EXISTS ix_batch_pending ON batch (seq) WHERE state = 'pending';
CREATE TABLE IF NOT EXISTS scan (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    body TEXT NOT NULL,
    enqueued_at TEXT NOT NULL,
    batch_seq INTEGER REFERENCES batch (seq),
    position INTEGER,
    result TEXT
);
CREATE INDEX IF NOT EXISTS ix_scan_unbatched ON scan (id) WHERE batch_seq IS NULL;
CREATE INDEX IF NOT EXISTS ix_scan_batch ON scan (batch_seq, position);
CREATE TABLE IF NOT EXISTS dead_letter (
    batch_seq INTEGER PRIMARY KEY REFERENCES batch (seq),
    status_code INTEGER NOT NULL,
    detail TEXT NOT NULL,
    failed_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS imported_file (
    sha256 TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    scan_count INTEGER NOT NULL,
    imported_at TEXT NOT NULL
);
"""


class SpoolError(Exception):
    """The spool refused an operation."""


class DuplicateSourceError(SpoolError):
    """This batch file was imported before; importing it again would count its scans twice."""


@dataclass(frozen=True, slots=True)
class PendingBatch:
    """A batch waiting for a successful send: its key and body never change."""

    seq: int
    idempotency_key: str
    body: str
    scan_count: int
    attempts: int


OutcomeState = Literal["queued", "pending", "done", "dead"]


@dataclass(frozen=True, slots=True)
class ScanOutcome:
    """A spooled scan and, once its batch went through, the server's result for it."""

    scan_id: int
    scan: dict[str, Any]
    batch_key: str | None
    state: OutcomeState
    result: dict[str, Any] | None

    @property
    def verdict(self) -> str | None:
        """The server's verdict, if any."""
        if self.result is None:
            return None
        verdict = self.result.get("verdict")
        return verdict if isinstance(verdict, str) else None


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A batch the server rejected for good, with the server's own words."""

    idempotency_key: str
    scan_count: int
    status_code: int
    detail: str
    failed_at: datetime


@dataclass(frozen=True, slots=True)
class SpoolStats:
    """How much is where."""

    queued_scans: int
    """Enqueued, not yet in a batch."""
    pending_batches: int
    pending_scans: int
    done_scans: int
    dead_batches: int
    dead_scans: int

    @property
    def unsent_scans(self) -> int:
        """Scans still to be delivered (dead letters excluded)."""
        return self.queued_scans + self.pending_scans
