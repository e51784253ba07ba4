"""Store-and-forward uploader: sends the spool's batches to `POST /api/v1/scans`.

Every failure mode keeps the data. Network errors, 3xx (captive portals), 408/425/429 and
5xx are retried with exponential backoff and jitter, honouring Retry-After; 400/413/422 can
never succeed and go to the dead-letter table; 409 means a key was reused with another body,
which the spool makes impossible, so it is dead-lettered as a bug; 401/403 and other 4xx
(a wrong URL) stop the drain, because no retry will fix a token or a configuration.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import httpx
import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.table import Table

from scanners.scan import printable
from scanners.spool import DeadLetter, PendingBatch, ScanOutcome, Spool

log = logging.getLogger("scanners.uploader")

SCANS_PATH = "/api/v1/scans"
RETRYABLE_STATUS = frozenset({408, 425, 429})
DEAD_STATUS = frozenset({400, 413, 422})
AUTH_STATUS = frozenset({401, 403})

DrainOutcome = Literal["drained", "auth_failed", "misconfigured", "gave_up", "stopped"]


@dataclass
class DrainReport:
    """What one `drain()` did and why it stopped."""

    outcome: DrainOutcome = "drained"
    batches_sent: int = 0
    scans_sent: int = 0
    retries: int = 0
    dead_letters: list[DeadLetter] = field(default_factory=list)
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class _Retry:
    error: str
    retry_after: float | None = None


@dataclass(frozen=True, slots=True)
class _Halt:
    outcome: DrainOutcome
    detail: str


def parse_retry_after(value: str | None, *, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date), if usable."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def _server_detail(response: httpx.Response) -> str:
    try:
        detail = response.json().get("detail", response.text)
    except (ValueError, AttributeError):
        return response.text[:2000]
    return detail if isinstance(detail, str) else json.dumps(detail, ensure_ascii=False)


class Uploader:
    """Drains a spool into the service; safe to run again on the same spool after a crash."""

    def __init__(
        self,
        base_url: str,
        token: str,
        spool: Spool,
        client: httpx.Client | None = None,
        *,
        sleep: Callable[[float], object] = time.sleep,
        jitter: Callable[[], float] = random.random,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        backoff_base: float = 1.0,
        backoff_cap: float = 300.0,
        retry_after_cap: float = 3600.0,
        timeout: float = 60.0,
        on_results: Callable[[list[ScanOutcome]], None] | None = None,
    ) -> None:
        self.url = base_url.rstrip("/") + SCANS_PATH
        self.spool = spool
        self._token = token
        self._client = client or httpx.Client(timeout=httpx.Timeout(timeout, connect=10.0))
        self._own_client = client is None
        self._sleep = sleep
        self._jitter = jitter
        self._clock = clock
        self._backoff_base = backoff_base
        self._backoff_cap = backoff_cap
        self._retry_after_cap = retry_after_cap
        self._on_results = on_results

    def close(self) -> None:
        """Close the HTTP client if this uploader made it."""
        if self._own_client:
            self._client.close()

    def backoff(self, failures: int, retry_after: float | None = None) -> float:
        """Seconds to wait after the n-th consecutive failure (equal jitter, capped)."""
        if retry_after is not None:
            return min(retry_after, self._retry_after_cap)
        ceiling = min(self._backoff_cap, self._backoff_base * 2.0 ** min(failures - 1, 32))
        # Half fixed, half random: never a zero wait, and a fleet of readers coming
        # back online does not hit the server in lock-step.
        return ceiling / 2 + self._jitter() * ceiling / 2

    def drain(
        self, *, give_up_after: int | None = None, should_stop: Callable[[], bool] | None = None
    ) -> DrainReport:
        """Send every pending batch in order; stop when empty, halted, or after N failures."""
        report = DrainReport()
        failures = 0
        while True:
            if should_stop is not None and should_stop():
                report.outcome = "stopped"
                return report
            self.spool.form_batches()
            batch = self.spool.next_batch()
            if batch is None:
                return report
            outcome = self._send(batch)
            if isinstance(outcome, list):
                failures = 0
                report.batches_sent += 1
                report.scans_sent += batch.scan_count
                if self._on_results is not None:
                    self._on_results(outcome)
            elif isinstance(outcome, DeadLetter):
                failures = 0
                report.dead_letters.append(outcome)
            elif isinstance(outcome, _Halt):
                log.error("upload stopped: %s (unsent scans are kept)", outcome.detail)
                report.outcome = outcome.outcome
                report.detail = outcome.detail
                return report
            else:
                failures += 1
                self.spool.record_attempt(batch.idempotency_key, outcome.error)
                if give_up_after is not None and failures >= give_up_after:
                    report.outcome = "gave_up"
                    report.detail = outcome.error
                    return report
                delay = self.backoff(failures, outcome.retry_after)
                log.warning(
                    "batch %s: %s; retry %d in %.1fs",
                    batch.idempotency_key,
                    outcome.error,
                    failures,
                    delay,
                )
                report.retries += 1
                self._sleep(delay)

    def _send(self, batch: PendingBatch) -> list[ScanOutcome] | DeadLetter | _Halt | _Retry:
        try:
            response = self._client.post(
                self.url,
                content=batch.body.encode("utf-8"),
                headers={
                    "Authorization": f"Bearer {self._token}",
                    "Idempotency-Key": batch.idempotency_key,
                    "Content-Type": "application/json",
                },
            )
        except httpx.TransportError as exc:
            return _Retry(f"{type(exc).__name__}: {exc}")
        status = response.status_code
        retry_after = parse_retry_after(response.headers.get("Retry-After"), now=self._clock())
        if 200 <= status < 300:
            results = self._results(response, batch.scan_count)
            if results is None:
                # A captive portal or a broken proxy; the key makes the retry harmless.
                return _Retry(f"HTTP {status} without a results list for {batch.scan_count} scans")
            return self.spool.mark_done(batch.idempotency_key, results)
        if 300 <= status < 400 or status in RETRYABLE_STATUS or status >= 500:
            return _Retry(f"HTTP {status}", retry_after)
        detail = _server_detail(response)
        if status in AUTH_STATUS:
            return _Halt("auth_failed", f"HTTP {status}: {detail} (check the token)")
        if status == 409:
            detail = (
                "BUG, please report: the server says this Idempotency-Key was used with another"
                f" body, which the spool should make impossible. Server said: {detail}"
            )
        elif status not in DEAD_STATUS:
            return _Halt("misconfigured", f"HTTP {status} from {self.url}: {detail}")
        dead = self.spool.mark_dead(batch.idempotency_key, status_code=status, detail=detail)
        log.error(
            "DEAD LETTER: batch %s (%d scans) rejected with HTTP %d: %s",
            batch.idempotency_key,
            batch.scan_count,
            status,
            detail,
        )
        return dead

    @staticmethod
    def _results(response: httpx.Response, expected: int) -> list[dict[str, Any]] | None:
        try:
            results = response.json()["results"]
        except (ValueError, KeyError, TypeError):
            return None
        if not isinstance(results, list) or len(results) != expected:
            return None
        if not all(isinstance(r, dict) for r in results):
            return None
        return results


# ---- command line ------------------------------------------------------------------------

app = typer.Typer(help="Store-and-forward upload of spooled scans to ChannelGuard.")
console = Console(stderr=True)

SpoolOption = Annotated[Path, typer.Option("--spool", help="Spool file (SQLite).")]

EXIT_DEAD_LETTERS = 2
EXIT_AUTH = 3
EXIT_MISCONFIGURED = 4
EXIT_GAVE_UP = 5


def setup_logging(verbose: bool = False) -> None:
    """Log through rich to stderr."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(message)s",
        handlers=[RichHandler(console=console, show_path=False)],
        force=True,
    )


def exit_code(report: DrainReport) -> int:
    """Process exit status for a drain report (0 only when everything went through)."""
    if report.outcome == "auth_failed":
        return EXIT_AUTH
    if report.outcome == "misconfigured":
        return EXIT_MISCONFIGURED
    if report.outcome == "gave_up":
        return EXIT_GAVE_UP
    return EXIT_DEAD_LETTERS if report.dead_letters else 0


def print_report(report: DrainReport, spool: Spool) -> None:
    """One summary line, plus a loud table of dead letters."""
    stats = spool.stats()
    console.print(
        f"sent {report.scans_sent} scans in {report.batches_sent} batches, "
        f"{report.retries} retries; {stats.unsent_scans} unsent, "
        f"{stats.dead_scans} in dead letters ({report.outcome})",
        markup=False,
    )
    if report.dead_letters:
        print_dead_letters(report.dead_letters, title="Rejected by the server (not retried)")


def print_dead_letters(dead: list[DeadLetter], *, title: str) -> None:
    """Dead letters as a red table."""
    table = Table(title=title, style="red", title_style="bold red")
    for column in ("batch key", "scans", "HTTP", "server said", "at"):
        table.add_column(column)
    for d in dead:
        table.add_row(
            d.idempotency_key, str(d.scan_count), str(d.status_code), d.detail, str(d.failed_at)
        )
    console.print(table)


@app.command()
def run(
    url: Annotated[str, typer.Option(help="Service base URL, e.g. http://127.0.0.1:8000")],
    token: Annotated[str, typer.Option(envvar="CG_TOKEN", help="Inspector API token.")],
    spool_path: SpoolOption,
    once: Annotated[bool, typer.Option(help="Drain what is there, then exit.")] = False,
    batch_size: Annotated[int, typer.Option(min=1, max=10_000)] = 500,
    poll: Annotated[float, typer.Option(help="Seconds between looks at an empty spool.")] = 2.0,
    give_up_after: Annotated[
        int, typer.Option(help="With --once: consecutive failures before exiting.")
    ] = 8,
    verbose: bool = False,
) -> None:
    """Send spooled scans; without --once keep running and retry forever."""
    setup_logging(verbose)
    with Spool(spool_path, batch_size=batch_size) as spool:
        uploader = Uploader(url, token, spool)
        try:
            while True:
                report = uploader.drain(give_up_after=give_up_after if once else None)
                if report.batches_sent or report.dead_letters or report.outcome != "drained":
                    print_report(report, spool)
                if once or report.outcome in ("auth_failed", "misconfigured"):
                    raise typer.Exit(exit_code(report))
                time.sleep(poll)
        except KeyboardInterrupt:
            console.print("interrupted; unsent scans stay in the spool")
            raise typer.Exit(130) from None
        finally:
            uploader.close()


@app.command()
def status(spool_path: SpoolOption) -> None:
    """Counts of queued, pending, done and dead-lettered scans."""
    with Spool(spool_path) as spool:
        stats = spool.stats()
        console.print(
            f"queued {stats.queued_scans}, pending {stats.pending_scans} in "
            f"{stats.pending_batches} batches, done {stats.done_scans}, "
            f"dead {stats.dead_scans} in {stats.dead_batches} batches",
            markup=False,
        )
        dead = spool.dead_letters()
        if dead:
            print_dead_letters(dead, title="Dead letters")
            raise typer.Exit(EXIT_DEAD_LETTERS)


@app.command()
def results(
    spool_path: SpoolOption,
    limit: Annotated[int, typer.Option(min=1)] = 50,
) -> None:
    """The latest scans with the server's verdicts (for scans made offline)."""
    with Spool(spool_path) as spool:
        table = Table()
        for column in ("#", "scanned at", "payload", "state", "verdict", "serial", "error"):
            table.add_column(column)
        for o in spool.outcomes(limit=limit):
            result = o.result or {}
            table.add_row(
                str(o.scan_id),
                str(o.scan.get("scanned_at", "")),
                printable(str(o.scan.get("payload", ""))),
                o.state,
                o.verdict or "",
                str(result.get("serial") or ""),
                str(result.get("error") or ""),
            )
        Console().print(table)


@app.command()
def requeue(spool_path: SpoolOption, key: Annotated[str, typer.Argument()]) -> None:
    """Send a dead-lettered batch again under a new key (after fixing the cause)."""
    with Spool(spool_path) as spool:
        console.print(f"batch {key} requeued as {spool.requeue_dead(key)}", markup=False)


def main() -> None:
    """Entry point of `python -m scanners.uploader`."""
    app()


if __name__ == "__main__":
    main()
