"""Durable store-and-forward queue of scans in a local SQLite file.

A scan is safe once `enqueue` returns (WAL + synchronous=FULL: the commit is fsync'd).
Scans are frozen into batches whose Idempotency-Key and exact request body are written
to disk *before* the first send, so any retry, after a lost response or a crash, resends
the same bytes under the same key and the server replays instead of counting twice.
A batch leaves the queue only on a 2xx with results, which are kept for the operator.
The schema and the records the spool hands out live in `spool_records`.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from scanners.scan import MAX_SCANS_PER_REQUEST, Scan
from scanners.spool_records import SCHEMA, OutcomeState
from scanners.spool_records import SCHEMA_VERSION as SCHEMA_VERSION
from scanners.spool_records import DeadLetter as DeadLetter
from scanners.spool_records import DuplicateSourceError as DuplicateSourceError
from scanners.spool_records import PendingBatch as PendingBatch
from scanners.spool_records import ScanOutcome as ScanOutcome
from scanners.spool_records import SpoolError as SpoolError
from scanners.spool_records import SpoolStats as SpoolStats

DEFAULT_BATCH_SIZE = 500


def _utcnow() -> datetime:
    return datetime.now(UTC)


class Spool:
    """The queue file. Safe to share between threads; several processes may open it too."""

    def __init__(
        self,
        path: str | Path,
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        if not 1 <= batch_size <= MAX_SCANS_PER_REQUEST:
            raise ValueError(f"batch_size must be 1..{MAX_SCANS_PER_REQUEST}")
        self.path = Path(path)
        self.batch_size = batch_size
        self._clock = clock
        self._lock = threading.RLock()
        self._db = sqlite3.connect(
            self.path, isolation_level=None, check_same_thread=False, timeout=30.0
        )
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA foreign_keys=ON")
        with self._tx() as db:
            (version,) = db.execute("PRAGMA user_version").fetchone()
            if version > SCHEMA_VERSION:
                raise SpoolError(f"{self.path} was written by a newer version ({version})")
            for statement in SCHEMA.split(";"):
                db.execute(statement)
            db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    def close(self) -> None:
        """Close the file."""
        with self._lock:
            self._db.close()

    def __enter__(self) -> Spool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        # BEGIN IMMEDIATE takes the write lock up front, so two processes on one file
        # queue up on the busy timeout instead of failing half-way through.
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _now(self) -> str:
        return self._clock().isoformat()

    def enqueue(self, scan: Scan) -> int:
        """Store one scan durably and return its id."""
        with self._tx() as db:
            cur = db.execute(
                "INSERT INTO scan (body, enqueued_at) VALUES (?, ?)",
                (_dumps(scan.to_wire()), self._now()),
            )
            assert cur.lastrowid is not None
            return cur.lastrowid

    def enqueue_many(
        self,
        scans: Iterable[Scan],
        *,
        source_sha256: str | None = None,
        source_name: str = "",
    ) -> int:
        """Store scans in one transaction (all or none); a source file is accepted once."""
        now = self._now()
        with self._tx() as db:
            if source_sha256 is not None and self._has_source(db, source_sha256):
                raise DuplicateSourceError(f"{source_name or source_sha256} was imported before")
            before = db.total_changes
            db.executemany(
                "INSERT INTO scan (body, enqueued_at) VALUES (?, ?)",
                ((_dumps(s.to_wire()), now) for s in scans),
            )
            count = db.total_changes - before
            if source_sha256 is not None:
                db.execute(
                    "INSERT INTO imported_file (sha256, name, scan_count, imported_at)"
                    " VALUES (?, ?, ?, ?)",
                    (source_sha256, source_name, count, now),
                )
            return count

    def has_source(self, sha256: str) -> bool:
        """Whether a batch file with this SHA-256 was imported already."""
        with self._lock:
            return self._has_source(self._db, sha256)

    @staticmethod
    def _has_source(db: sqlite3.Connection, sha256: str) -> bool:
        row = db.execute("SELECT 1 FROM imported_file WHERE sha256 = ?", (sha256,)).fetchone()
        return row is not None

    def form_batches(self) -> int:
        """Freeze every queued scan into batches of at most `batch_size`; return how many."""
        formed, after = 0, 0
        with self._tx() as db:
            while True:
                # Left to itself the planner picks ix_scan_batch and sorts every queued
                # row on each pass (quadratic on a big import); the partial index is ordered.
                rows = db.execute(
                    "SELECT id, body FROM scan INDEXED BY ix_scan_unbatched"
                    " WHERE batch_seq IS NULL AND id > ?"
                    " ORDER BY id LIMIT ?",
                    (after, self.batch_size),
                ).fetchall()
                if not rows:
                    return formed
                self._insert_batch(db, [(scan_id, body) for scan_id, body in rows])
                formed, after = formed + 1, rows[-1][0]

    def _insert_batch(self, db: sqlite3.Connection, rows: list[tuple[int, str]]) -> str:
        key = str(uuid.uuid4())
        # The body is assembled from the stored scan texts and stored verbatim: a resend
        # is byte-identical, whatever json.dumps might do differently after an upgrade.
        body = '{"scans":[' + ",".join(body for _, body in rows) + "]}"
        cur = db.execute(
            "INSERT INTO batch (idempotency_key, body, scan_count, state, created_at)"
            " VALUES (?, ?, ?, 'pending', ?)",
            (key, body, len(rows), self._now()),
        )
        db.executemany(
            "UPDATE scan SET batch_seq = ?, position = ? WHERE id = ?",
            ((cur.lastrowid, pos, scan_id) for pos, (scan_id, _) in enumerate(rows)),
        )
        return key

    def next_batch(self) -> PendingBatch | None:
        """The oldest batch still to be sent, if any."""
        with self._lock:
            row = self._db.execute(
                "SELECT seq, idempotency_key, body, scan_count, attempts FROM batch"
                " WHERE state = 'pending' ORDER BY seq LIMIT 1"
            ).fetchone()
        return None if row is None else PendingBatch(*row)

    def record_attempt(self, key: str, error: str) -> None:
        """Note a failed send (kept for the operator; the batch stays pending)."""
        with self._tx() as db:
            db.execute(
                "UPDATE batch SET attempts = attempts + 1, last_error = ?"
                " WHERE idempotency_key = ?",
                (error[:2000], key),
            )

    def mark_done(self, key: str, results: list[dict[str, Any]]) -> list[ScanOutcome]:
        """Store the server's results (one per scan, in order) and retire the batch."""
        with self._tx() as db:
            seq, count, state = self._batch_row(db, key)
            if state == "done":
                # Another uploader on the same file got there first: same key, same results.
                return self._outcomes(db, "WHERE s.batch_seq = ? ORDER BY s.position", (seq,))
            if state != "pending":
                raise SpoolError(f"batch {key} is {state}")
            if len(results) != count:
                raise SpoolError(f"batch {key} has {count} scans but {len(results)} results")
            db.executemany(
                "UPDATE scan SET result = ? WHERE batch_seq = ? AND position = ?",
                ((_dumps(r), seq, pos) for pos, r in enumerate(results)),
            )
            db.execute(
                "UPDATE batch SET state = 'done', finished_at = ?, attempts = attempts + 1"
                " WHERE seq = ?",
                (self._now(), seq),
            )
            return self._outcomes(db, "WHERE s.batch_seq = ? ORDER BY s.position", (seq,))

    def mark_dead(self, key: str, *, status_code: int, detail: str) -> DeadLetter:
        """Move a batch the server will never accept to the dead-letter table."""
        now = self._now()
        with self._tx() as db:
            seq, count, _ = self._batch_row(db, key)
            db.execute(
                "UPDATE batch SET state = 'dead', finished_at = ?, attempts = attempts + 1,"
                " last_error = ? WHERE seq = ?",
                (now, f"HTTP {status_code}", seq),
            )
            db.execute(
                "INSERT OR REPLACE INTO dead_letter (batch_seq, status_code, detail, failed_at)"
                " VALUES (?, ?, ?, ?)",
                (seq, status_code, detail, now),
            )
        return DeadLetter(key, count, status_code, detail, datetime.fromisoformat(now))

    def requeue_dead(self, key: str) -> str:
        """Give a dead batch's scans a fresh batch and key, once the operator fixed the cause.

        A new key is safe: the server rejected the old body without storing anything.
        """
        with self._tx() as db:
            seq, _, state = self._batch_row(db, key)
            if state != "dead":
                raise SpoolError(f"batch {key} is {state}, not dead")
            rows = db.execute(
                "SELECT id, body FROM scan WHERE batch_seq = ? ORDER BY position", (seq,)
            ).fetchall()
            db.execute("DELETE FROM dead_letter WHERE batch_seq = ?", (seq,))
            db.execute("UPDATE batch SET state = 'requeued' WHERE seq = ?", (seq,))
            return self._insert_batch(db, [(scan_id, body) for scan_id, body in rows])

    @staticmethod
    def _batch_row(db: sqlite3.Connection, key: str) -> tuple[int, int, str]:
        row = db.execute(
            "SELECT seq, scan_count, state FROM batch WHERE idempotency_key = ?", (key,)
        ).fetchone()
        if row is None:
            raise SpoolError(f"no batch {key}")
        return row[0], row[1], row[2]

    def dead_letters(self) -> list[DeadLetter]:
        """Every dead batch, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT b.idempotency_key, b.scan_count, d.status_code, d.detail, d.failed_at"
                " FROM dead_letter d JOIN batch b ON b.seq = d.batch_seq ORDER BY b.seq"
            ).fetchall()
        return [
            DeadLetter(k, n, code, detail, datetime.fromisoformat(at))
            for k, n, code, detail, at in rows
        ]

    def outcomes(self, *, limit: int = 100) -> list[ScanOutcome]:
        """The latest scans, newest first, with their verdicts where known."""
        with self._lock:
            return self._outcomes(self._db, "ORDER BY s.id DESC LIMIT ?", (limit,))

    @staticmethod
    def _outcomes(db: sqlite3.Connection, tail: str, params: tuple[Any, ...]) -> list[ScanOutcome]:
        rows = db.execute(
            "SELECT s.id, s.body, b.idempotency_key, b.state, s.result"
            " FROM scan s LEFT JOIN batch b ON b.seq = s.batch_seq " + tail,
            params,
        ).fetchall()
        return [
            ScanOutcome(
                scan_id=scan_id,
                scan=json.loads(body),
                batch_key=key,
                state=cast(OutcomeState, state or "queued"),
                result=None if result is None else json.loads(result),
            )
            for scan_id, body, key, state, result in rows
        ]

    def stats(self) -> SpoolStats:
        """Counts of queued, pending, done and dead scans."""
        with self._lock:
            queued = self._db.execute(
                "SELECT count(*) FROM scan WHERE batch_seq IS NULL"
            ).fetchone()[0]
            by_state = {
                state: (batches, scans)
                for state, batches, scans in self._db.execute(
                    "SELECT state, count(*), coalesce(sum(scan_count), 0) FROM batch GROUP BY state"
                )
            }
            done_scans = self._db.execute(
                "SELECT count(*) FROM scan WHERE result IS NOT NULL"
            ).fetchone()[0]
        pending = by_state.get("pending", (0, 0))
        dead = by_state.get("dead", (0, 0))
        return SpoolStats(
            queued_scans=queued,
            pending_batches=pending[0],
            pending_scans=pending[1],
            done_scans=done_scans,
            dead_batches=dead[0],
            dead_scans=dead[1],
        )


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
