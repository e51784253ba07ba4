"""The reader bridge: wedge and serial input into the spool, and on to the server."""

from __future__ import annotations

import io
import os
import pty
import signal
import subprocess
import sys
import threading
import time
import tty
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console

from scanners.bridge import Bridge, decode_line, run_bridge, split_lines, stream_chunks
from scanners.spool import Spool
from scanners.uploader import Uploader
from tests.scanners.conftest import SHANGHAI, TEST_DATA
from tests.scanners.standin import Fail, StandIn

REPO = Path(__file__).resolve().parents[2]
FIXED = datetime(2025, 3, 1, 9, 30, tzinfo=SHANGHAI)


def reader_payloads() -> list[str]:
    """What real readers send for the sample symbols: AIM prefix + content."""
    payloads = []
    for folder in ("code128-1", "rssexpanded-1", "datamatrix-1", "qrcode-2", "ean13-1"):
        for txt in sorted((TEST_DATA / "barcodes" / folder).glob("*.txt")):
            if txt.name.endswith(".result.txt"):
                continue
            content = txt.read_bytes().decode("utf-8")
            if "\r" in content or "\n" in content or not content:
                continue  # a multi-line symbol cannot travel as one wedge line
            meta = txt.with_name(txt.stem + ".result.txt")
            prefix = ""
            if meta.exists():
                for line in meta.read_text().splitlines():
                    if line.startswith("symbologyIdentifier="):
                        prefix = line.split("=", 1)[1]
            payloads.append(prefix + content)
    return payloads


def wait_for(condition: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.02)


def chunked(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def test_split_lines_handles_every_reader_terminator() -> None:
    stream = b"A1\rB2\nC3\r\nD4\r\r\n\nE\x1d5\n\rF6"
    expected = [b"A1", b"B2", b"C3", b"D4", b"E\x1d5", b"F6"]
    assert list(split_lines([stream])) == expected
    assert list(split_lines(chunked(stream, 1))) == expected
    # CR at the end of one read, LF at the start of the next: one line ending, not two.
    assert list(split_lines([b"A1\r", b"\nB2\r"])) == [b"A1", b"B2"]


@given(
    lines=st.lists(
        st.binary(min_size=1, max_size=30).filter(lambda b: b"\r" not in b and b"\n" not in b),
        max_size=20,
    ),
    ending=st.sampled_from([b"\r", b"\n", b"\r\n"]),
    cut=st.integers(min_value=1, max_value=7),
)
def test_split_lines_does_not_depend_on_how_reads_are_cut(
    lines: list[bytes], ending: bytes, cut: int
) -> None:
    stream = b"".join(line + ending for line in lines)
    assert list(split_lines(chunked(stream, cut))) == lines


def test_real_reader_payloads_reach_the_spool_byte_for_byte(spool: Spool) -> None:
    payloads = reader_payloads()
    assert len(payloads) > 30
    assert any("\x1d" in p for p in payloads)
    assert any(p.startswith("]C1") for p in payloads)
    wedge = b"".join(p.encode() + (b"\r\n" if i % 2 else b"\r") for i, p in enumerate(payloads))
    bridge = Bridge(
        spool,
        checkpoint_code="CP-NORTH",
        device_id="reader-7",
        clock=lambda: FIXED,
        console=Console(file=io.StringIO()),
    )

    assert bridge.run(stream_chunks(io.BufferedReader(io.BytesIO(wedge), 7))) == len(payloads)

    spooled = [o.scan for o in reversed(spool.outcomes(limit=1000))]
    assert [s["payload"] for s in spooled] == payloads
    assert spooled[0] == {
        "payload": payloads[0],
        "scanned_at": "2025-03-01T09:30:00+08:00",
        "checkpoint_code": "CP-NORTH",
        "device_id": "reader-7",
    }


def test_bridge_prints_a_line_per_scan_and_the_verdicts(
    server_url: str, standin: StandIn, spool: Spool
) -> None:
    out = io.StringIO()
    bridge = Bridge(
        spool,
        checkpoint_code="CP-NORTH",
        lat=31.23,
        lon=121.47,
        clock=lambda: FIXED,
        console=Console(file=out, width=200),
    )
    uploader = Uploader(server_url, "good-token", spool, on_results=bridge.show_results)

    queued = run_bridge([b"]C1GOOD-1\r\n", b"DIVERT-2\r", b"\r\n"], bridge, uploader)

    assert queued == 2
    lines = out.getvalue().splitlines()
    assert "09:30:00 #1 queued ]C1GOOD-1" in lines
    assert "09:30:00 #2 queued DIVERT-2" in lines
    assert any(line.startswith("#1 in_region serial=") for line in lines)
    assert any(line.startswith("#2 diversion serial=") for line in lines)
    assert [s["payload"] for s in standin.stored] == ["]C1GOOD-1", "DIVERT-2"]
    assert (standin.stored[0]["lat"], standin.stored[0]["lon"]) == (31.23, 121.47)


def test_end_of_input_does_not_wait_out_a_long_retry_after(
    server_url: str, standin: StandIn, spool: Spool
) -> None:
    standin.then(*[Fail(503, retry_after="3600")] * 10)
    stop = threading.Event()
    bridge = Bridge(spool, checkpoint_code="CP-1", console=Console(file=io.StringIO()))
    uploader = Uploader(server_url, "good-token", spool, sleep=stop.wait)

    started = time.monotonic()
    queued = run_bridge([b"A\r", b"B\r"], bridge, uploader, stop=stop)

    assert queued == 2
    assert time.monotonic() - started < 5
    assert standin.stored == []
    assert spool.stats().unsent_scans == 2  # kept for the next run


def test_bridge_needs_a_checkpoint_or_a_position(spool: Spool) -> None:
    with pytest.raises(ValueError, match="checkpoint"):
        Bridge(spool, checkpoint_code=None, lat=31.0)


def test_decode_line_falls_back_for_chinese_handhelds() -> None:
    assert decode_line("专供华东".encode()) == "专供华东"
    assert decode_line("专供华东".encode("gb18030")) == "专供华东"
    assert decode_line(b"\xff\xfe") == "\xff\xfe"  # Latin-1: never fails, server decides


def test_wedge_cli_spools_and_uploads_then_exits_at_end_of_input(
    server_url: str, standin: StandIn, spool_path: Path
) -> None:
    wedge = b"]C1010950110153000321ABC\x1d91NORTH\r\nSECOND\rTHIRD\n"
    proc = subprocess.run(
        [sys.executable, "-m", "scanners.bridge", "--url", server_url, "--checkpoint",
         "CP-NORTH", "--spool", str(spool_path), "--device-id", "gate-3"],
        input=wedge,
        capture_output=True,
        cwd=REPO,
        env={**os.environ, "CG_TOKEN": "good-token"},
        timeout=30,
    )  # fmt: skip

    assert proc.returncode == 0, proc.stderr.decode()
    out = proc.stdout.decode()
    assert out.count(" queued ") == 3
    assert "]C1010950110153000321ABC<GS>91NORTH" in out
    assert [s["payload"] for s in standin.stored] == [
        "]C1010950110153000321ABC\x1d91NORTH",
        "SECOND",
        "THIRD",
    ]
    for scan in standin.stored:
        assert scan["checkpoint_code"] == "CP-NORTH"
        assert scan["device_id"] == "gate-3"
        assert datetime.fromisoformat(scan["scanned_at"]).utcoffset() is not None
    with Spool(spool_path) as spool:
        assert spool.stats().unsent_scans == 0


def test_serial_reader_on_a_tty_device(server_url: str, standin: StandIn, spool_path: Path) -> None:
    controller, device = pty.openpty()
    tty.setraw(device)
    proc = subprocess.Popen(
        [sys.executable, "-m", "scanners.bridge", "--url", server_url, "--checkpoint",
         "CP-EAST", "--spool", str(spool_path), "--serial", os.ttyname(device), "--baud", "9600"],
        cwd=REPO,
        env={**os.environ, "CG_TOKEN": "good-token"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )  # fmt: skip
    assert proc.stderr is not None
    log_lines: list[bytes] = []
    threading.Thread(target=lambda: log_lines.extend(proc.stderr or []), daemon=True).start()
    try:
        wait_for(lambda: any(b"listening on" in line for line in log_lines))
        # A reader that ends codes with a bare CR, its bytes arriving in pieces.
        for piece in (b"]d2010950110153", b"000321XYZ\x1d91EAST\r", b"SER", b"IAL-2\r"):
            os.write(controller, piece)
            time.sleep(0.05)
        wait_for(lambda: len(standin.stored) >= 2)
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=15)
        os.close(controller)
        os.close(device)

    assert [s["payload"] for s in standin.stored] == [
        "]d2010950110153000321XYZ\x1d91EAST",
        "SERIAL-2",
    ], b"".join(log_lines).decode()
    assert {s["checkpoint_code"] for s in standin.stored} == {"CP-EAST"}
    assert out.decode().count(" queued ") == 2
    assert proc.returncode == 0  # SIGTERM unwinds cleanly
