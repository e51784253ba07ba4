"""Import a handheld reader's offline batch file into the spool.

Two layouts: CSV `payload,scanned_at[,checkpoint_code,lat,lon,observed_price,device_id]`
(with or without that header row), and plain text with one code per line stamped with a
given time and checkpoint. A file goes in whole or not at all, and only once (by SHA-256):
a re-import would give its scans new Idempotency-Keys and the server would count them twice.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.progress import Progress

from scanners.scan import Scan, strip_line_ending
from scanners.spool import Spool

FileFormat = Literal["csv", "lines"]
_Row = dict[str, str | None]
COLUMNS = ("payload", "scanned_at", "checkpoint_code", "lat", "lon", "observed_price", "device_id")
# Not str.splitlines(): it also splits on the GS1 group separator (0x1D).
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
# Layouts handhelds write besides ISO 8601 (which datetime.fromisoformat reads).
_EXTRA_TIME_FORMATS = ("%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y%m%d%H%M%S", "%d.%m.%Y %H:%M:%S")


@dataclass(frozen=True, slots=True)
class RowError:
    """A row that could not become a scan (1-based line number in the file)."""

    line: int
    message: str


@dataclass
class ImportSummary:
    """What an import found and did."""

    path: Path
    file_format: FileFormat
    sha256: str
    rows: int = 0
    """Non-blank data rows read (a CSV header is not a row)."""
    enqueued: int = 0
    errors: list[RowError] = field(default_factory=list)
    already_imported: bool = False
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Everything in the file is now in the spool."""
        return not self.errors and not self.already_imported and self.enqueued == self.rows


class _RowProblem(ValueError):
    pass


def decode_file(data: bytes) -> str:
    """File text: UTF-8 (BOM or not), else GB18030, which Chinese handheld software writes."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gb18030")


def parse_time(text: str, *, naive_tz: tzinfo | None) -> datetime:
    """A scan time with an offset; a time without one is read in `naive_tz` if given."""
    text = text.strip()
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        for fmt in _EXTRA_TIME_FORMATS:
            try:
                when = datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
        else:
            raise _RowProblem(f"unreadable time {text!r}") from None
    if when.tzinfo is None:
        if naive_tz is None:
            raise _RowProblem(f"time {text!r} has no UTC offset (give the reader's time zone)")
        when = when.replace(tzinfo=naive_tz)
    return when


def detect_format(path: Path, first_line: str) -> FileFormat:
    """CSV if named .csv, headed by `payload`, or if its second field reads as a time."""
    if path.suffix.lower() == ".csv":
        return "csv"
    fields = next(csv.reader([first_line]), [])
    if fields and fields[0].strip().lower() == "payload":
        return "csv"
    if len(fields) >= 2:
        try:
            parse_time(fields[1], naive_tz=ZoneInfo("UTC"))
        except _RowProblem:
            return "lines"
        return "csv"
    return "lines"


def _optional(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def _row_to_scan(
    row: _Row,
    *,
    checkpoint_code: str | None,
    default_time: datetime | None,
    naive_tz: tzinfo | None,
    device_id: str | None,
) -> Scan:
    payload = strip_line_ending(row.get("payload") or "")
    if not payload:
        raise _RowProblem("empty payload")
    time_text = _optional(row.get("scanned_at"))
    if time_text is not None:
        scanned_at = parse_time(time_text, naive_tz=naive_tz)
    elif default_time is not None:
        scanned_at = default_time
    else:
        raise _RowProblem("no scan time and no default time")
    checkpoint = _optional(row.get("checkpoint_code")) or checkpoint_code
    try:
        lat = None if (v := _optional(row.get("lat"))) is None else float(v)
        lon = None if (v := _optional(row.get("lon"))) is None else float(v)
        price = None if (v := _optional(row.get("observed_price"))) is None else Decimal(v)
    except (ValueError, InvalidOperation) as exc:
        raise _RowProblem(f"bad number: {exc}") from None
    try:
        return Scan(
            payload=payload,
            scanned_at=scanned_at,
            checkpoint_code=checkpoint,
            lat=lat,
            lon=lon,
            observed_price=price,
            device_id=_optional(row.get("device_id")) or device_id,
        )
    except ValueError as exc:
        raise _RowProblem(str(exc)) from None


def _csv_rows(text: str, summary: ImportSummary) -> Iterator[tuple[int, _Row | str]]:
    """(line number, row or the reason it is unusable) for each non-blank CSV record."""
    reader = csv.reader(io.StringIO(text, newline=""))
    header: Sequence[str] = COLUMNS
    try:
        for fields in reader:
            if reader.line_num == 1 and fields and fields[0].strip().lower() == "payload":
                header = [f.strip().lower() for f in fields]
                summary.ignored_columns = [c for c in header if c not in COLUMNS]
                continue
            if not any(f.strip() for f in fields):
                continue
            if len(fields) > len(header):
                yield reader.line_num, f"{len(fields)} fields, expected at most {len(header)}"
                continue
            yield reader.line_num, dict(zip(header, fields, strict=False))
    except csv.Error as exc:
        yield reader.line_num, f"unreadable CSV, import stopped here: {exc}"


def _line_rows(text: str) -> Iterator[tuple[int, _Row | str]]:
    for number, line in enumerate(_LINE_BREAK.split(text), start=1):
        if line.strip():
            yield number, {"payload": line}


def import_batch_file(
    path: str | Path,
    spool: Spool,
    *,
    checkpoint_code: str | None,
    default_time: datetime | None,
    device_id: str | None = None,
    naive_tz: tzinfo | None = None,
    file_format: FileFormat | None = None,
    skip_invalid: bool = False,
    progress: bool = True,
    console: Console | None = None,
) -> ImportSummary:
    """Spool a reader's batch file in one transaction; invalid rows abort unless skipped.

    `checkpoint_code` and `default_time` fill rows that lack them (all rows of a plain
    one-code-per-line file); `default_time` must be timezone-aware.
    """
    path = Path(path)
    if default_time is not None and default_time.utcoffset() is None:
        raise ValueError("default_time must be timezone-aware")
    data = path.read_bytes()
    text = decode_file(data)
    first_line = next((ln for ln in _LINE_BREAK.split(text) if ln.strip()), "")
    summary = ImportSummary(
        path=path,
        file_format=file_format or detect_format(path, first_line),
        sha256=hashlib.sha256(data).hexdigest(),
    )
    if spool.has_source(summary.sha256):
        summary.already_imported = True
        return summary

    rows = _csv_rows(text, summary) if summary.file_format == "csv" else _line_rows(text)
    scans: list[Scan] = []
    total = text.count("\n") + text.count("\r") - text.count("\r\n") + 1
    with Progress(console=console, transient=True, disable=not progress) as bar:
        task = bar.add_task(f"reading {path.name}", total=total)
        for line, row in rows:
            summary.rows += 1
            bar.update(task, completed=line)
            try:
                if isinstance(row, str):
                    raise _RowProblem(row)
                scans.append(
                    _row_to_scan(
                        row,
                        checkpoint_code=checkpoint_code,
                        default_time=default_time,
                        naive_tz=naive_tz,
                        device_id=device_id,
                    )
                )
            except _RowProblem as exc:
                summary.errors.append(RowError(line, str(exc)))
    if summary.errors and not skip_invalid:
        return summary
    summary.enqueued = spool.enqueue_many(
        scans, source_sha256=summary.sha256, source_name=str(path)
    )
    return summary


def main(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)],
    spool_path: Annotated[Path, typer.Option("--spool", help="Spool file (SQLite).")],
    checkpoint: Annotated[str | None, typer.Option(help="For rows without one.")] = None,
    time: Annotated[
        datetime | None,
        typer.Option(
            formats=["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%d %H:%M:%S%z"], help="For rows without one."
        ),
    ] = None,
    tz: Annotated[
        str | None, typer.Option(help="Zone of times without offset, e.g. Asia/Shanghai.")
    ] = None,
    device_id: str | None = None,
    skip_invalid: bool = False,
) -> None:
    """Import a reader's batch file into the spool; `python -m scanners.uploader` sends it."""
    console = Console(stderr=True)
    with Spool(spool_path) as spool:
        summary = import_batch_file(
            file,
            spool,
            checkpoint_code=checkpoint,
            default_time=time,
            device_id=device_id,
            naive_tz=ZoneInfo(tz) if tz else None,
            skip_invalid=skip_invalid,
            progress=True,
            console=console,
        )
    print_summary(summary, console)
    if not summary.ok:
        raise typer.Exit(1)


def print_summary(summary: ImportSummary, console: Console) -> None:
    """Counts, then each rejected row."""
    if summary.already_imported:
        console.print(
            f"{summary.path} was imported before (sha256 {summary.sha256[:12]}…): nothing done",
            markup=False,
        )
        return
    console.print(
        f"{summary.path}: {summary.rows} rows ({summary.file_format}), "
        f"{summary.enqueued} scans spooled, {len(summary.errors)} rejected",
        markup=False,
    )
    for error in summary.errors[:50]:
        console.print(f"  line {error.line}: {error.message}", markup=False, style="red")
    if summary.errors and not summary.enqueued:
        console.print("nothing was spooled: fix the rows or pass --skip-invalid", style="bold red")
    if summary.ignored_columns:
        console.print(f"ignored columns: {', '.join(summary.ignored_columns)}", markup=False)


if __name__ == "__main__":
    typer.run(main)
