"""Importing a handheld's offline batch file into the spool."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import typer
from typer.testing import CliRunner

from scanners.batchfile import RowError, import_batch_file, main
from scanners.spool import Spool
from scanners.uploader import Uploader
from tests.scanners.conftest import SHANGHAI, TEST_DATA
from tests.scanners.standin import StandIn

DEFAULT_TIME = datetime(2025, 3, 2, 8, 0, tzinfo=SHANGHAI)


def spooled(spool: Spool) -> list[dict[str, object]]:
    return [o.scan for o in reversed(spool.outcomes(limit=100_000))]


def test_csv_with_header_bom_and_mixed_rows(tmp_path: Path, spool: Spool) -> None:
    path = tmp_path / "dump.csv"
    path.write_bytes(
        "\ufeffpayload,scanned_at,checkpoint_code,observed_price,symbology\r\n"
        "]C10109501101530003\x1d21AAA,2025-03-01T10:00:00+08:00,CP-1,12.50,C128\r\n"
        "\r\n"
        '"https://id.example.cn/01/09501101530003/21/BBB?91=NORTH,x",2025-03-01T02:01:00Z,,,QR\r\n'
        "CCC,2025-03-01 10:02:00,CP-2,,\r\n".encode()
    )

    summary = import_batch_file(
        path, spool, checkpoint_code="CP-DEFAULT", default_time=None, naive_tz=SHANGHAI
    )

    assert (summary.file_format, summary.rows, summary.enqueued, summary.errors) == (
        "csv",
        3,
        3,
        [],
    )
    assert summary.ok
    assert summary.ignored_columns == ["symbology"]
    assert spooled(spool) == [
        {
            "payload": "]C10109501101530003\x1d21AAA",
            "scanned_at": "2025-03-01T10:00:00+08:00",
            "checkpoint_code": "CP-1",
            "observed_price": "12.50",
        },
        {
            "payload": "https://id.example.cn/01/09501101530003/21/BBB?91=NORTH,x",
            "scanned_at": "2025-03-01T02:01:00+00:00",
            "checkpoint_code": "CP-DEFAULT",
        },
        {
            "payload": "CCC",
            "scanned_at": "2025-03-01T10:02:00+08:00",
            "checkpoint_code": "CP-2",
        },
    ]


def test_headerless_csv_is_recognised_by_its_time_column(tmp_path: Path, spool: Spool) -> None:
    path = tmp_path / "SCAN0001.TXT"
    path.write_text("AAA,2025/03/01 10:00:00,CP-1,31.2,121.5\nBBB,20250301100500\n")

    summary = import_batch_file(
        path, spool, checkpoint_code="CP-9", default_time=None, naive_tz=ZoneInfo("Asia/Shanghai")
    )

    assert (summary.file_format, summary.enqueued) == ("csv", 2)
    first, second = spooled(spool)
    assert (first["lat"], first["lon"], first["checkpoint_code"]) == (31.2, 121.5, "CP-1")
    assert second == {
        "payload": "BBB",
        "scanned_at": "2025-03-01T10:05:00+08:00",
        "checkpoint_code": "CP-9",
    }


def test_one_code_per_line_keeps_gs_separators(tmp_path: Path, spool: Spool) -> None:
    # Real GS1 DataBar Expanded contents: GS (0x1D) inside, which str.splitlines would cut.
    folder = TEST_DATA / "barcodes" / "rssexpanded-1"
    codes = [
        text
        for txt in sorted(folder.glob("*.txt"))
        if not txt.name.endswith(".result.txt") and (text := txt.read_text()) and "\n" not in text
    ]
    assert sum("\x1d" in c for c in codes) >= 3
    path = tmp_path / "codes.txt"
    path.write_text("\r\n".join(codes) + "\r\n\r\n")

    summary = import_batch_file(
        path, spool, checkpoint_code="CP-1", default_time=DEFAULT_TIME, device_id="pda-2"
    )

    assert (summary.file_format, summary.rows, summary.enqueued) == (
        "lines",
        len(codes),
        len(codes),
    )
    scans = spooled(spool)
    assert [s["payload"] for s in scans] == codes
    assert {(s["scanned_at"], s["checkpoint_code"], s["device_id"]) for s in scans} == {
        ("2025-03-02T08:00:00+08:00", "CP-1", "pda-2")
    }


def test_invalid_rows_stop_the_import_unless_skipped(tmp_path: Path, spool_path: Path) -> None:
    path = tmp_path / "dump.csv"
    path.write_text(
        "payload,scanned_at,checkpoint_code,observed_price\n"
        "AAA,2025-03-01T10:00:00+08:00,CP-1,\n"
        "BBB,2025-03-01 10:00:00,CP-1,\n"  # no offset and no zone given
        ",2025-03-01T10:00:00+08:00,CP-1,\n"
        "DDD,yesterday,CP-1,\n"
        "EEE,2025-03-01T10:00:00+08:00,CP-1,cheap\n"
        "FFF,2025-03-01T10:00:00+08:00,,\n"  # no checkpoint anywhere
        "GGG,2025-03-01T10:00:00+08:00,CP-1,1,extra\n"
        "HHH,2025-03-01T10:00:00+08:00,CP-1,9.90\n"
    )
    with Spool(spool_path) as spool:
        strict = import_batch_file(path, spool, checkpoint_code=None, default_time=None)
        assert (strict.rows, strict.enqueued, strict.ok) == (8, 0, False)
        assert [e.line for e in strict.errors] == [3, 4, 5, 6, 7, 8]
        assert "no UTC offset" in strict.errors[0].message
        assert spool.stats().queued_scans == 0

        lenient = import_batch_file(
            path, spool, checkpoint_code=None, default_time=None, skip_invalid=True
        )
        assert lenient.enqueued == 2
        assert [s["payload"] for s in spooled(spool)] == ["AAA", "HHH"]


def test_a_file_is_imported_only_once(tmp_path: Path, spool: Spool) -> None:
    path = tmp_path / "codes.txt"
    path.write_text("AAA\nBBB\n")
    kw = {"checkpoint_code": "CP-1", "default_time": DEFAULT_TIME}

    first = import_batch_file(path, spool, **kw)  # type: ignore[arg-type]
    second = import_batch_file(path, spool, **kw)  # type: ignore[arg-type]

    assert (first.enqueued, first.already_imported) == (2, False)
    assert (second.enqueued, second.already_imported, second.ok) == (0, True, False)
    assert spool.stats().queued_scans == 2


def test_gb18030_file_from_a_chinese_handheld(tmp_path: Path, spool: Spool) -> None:
    path = tmp_path / "扫描.csv"
    path.write_bytes("专供华东-0001,2025-03-01T10:00:00+08:00,CP-1\n".encode("gb18030"))

    summary = import_batch_file(path, spool, checkpoint_code=None, default_time=None)

    assert summary.enqueued == 1
    assert spooled(spool)[0]["payload"] == "专供华东-0001"


def test_naive_default_time_is_refused(tmp_path: Path, spool: Spool) -> None:
    path = tmp_path / "codes.txt"
    path.write_text("AAA\n")
    with pytest.raises(ValueError, match="timezone-aware"):
        import_batch_file(path, spool, checkpoint_code="CP-1", default_time=datetime(2025, 3, 1))


def test_lines_without_a_time_are_rejected(tmp_path: Path, spool: Spool) -> None:
    path = tmp_path / "codes.txt"
    path.write_text("AAA\n")
    summary = import_batch_file(path, spool, checkpoint_code="CP-1", default_time=None)
    assert summary.errors == [RowError(1, "no scan time and no default time")]


def test_imported_file_is_delivered_by_the_uploader(
    tmp_path: Path, spool_path: Path, server_url: str, standin: StandIn
) -> None:
    path = tmp_path / "big.csv"
    path.write_text(
        "".join(
            f"CODE{i:05d},2025-03-01T10:{i // 60 % 60:02d}:{i % 60:02d}+08:00\n"
            for i in range(1234)
        )
    )
    with Spool(spool_path, batch_size=500) as spool:
        summary = import_batch_file(path, spool, checkpoint_code="CP-1", default_time=None)
        report = Uploader(server_url, "good-token", spool).drain()

    assert summary.enqueued == 1234
    assert (report.batches_sent, report.scans_sent) == (3, 1234)
    assert [s["payload"] for s in standin.stored] == [f"CODE{i:05d}" for i in range(1234)]


def test_command_line_exit_codes(tmp_path: Path, spool_path: Path) -> None:
    path = tmp_path / "codes.txt"
    path.write_text("AAA\nBBB\n")
    runner = CliRunner()
    args = [str(path), "--spool", str(spool_path), "--checkpoint", "CP-1"]
    app = typer.Typer()
    app.command()(main)

    first = runner.invoke(app, [*args, "--time", "2025-03-01T10:00:00+08:00"])
    again = runner.invoke(app, [*args, "--time", "2025-03-01T10:00:00+08:00"])
    no_time = runner.invoke(app, [str(path), "--spool", str(tmp_path / "other.db")])

    assert first.exit_code == 0, first.output
    assert "2 scans spooled" in first.output
    assert again.exit_code == 1
    assert "imported before" in again.output
    assert no_time.exit_code == 1
    with Spool(spool_path) as spool:
        assert spool.stats().queued_scans == 2
