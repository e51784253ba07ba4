"""Reader bridge: codes from a keyboard-wedge (stdin) or a serial reader into the spool.

Each line the reader sends becomes a scan: the raw payload minus its line ending (the
service itself understands symbology prefixes, GS separators and Digital Link URIs, so
nothing else is touched), stamped with the checkpoint, the local time with its offset,
optional fixed GPS and the device id. A background thread drains the spool to the
service, so scanning never waits for the network.
"""

from __future__ import annotations

import logging
import signal
import socket
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from types import FrameType
from typing import Annotated, BinaryIO

import typer
from rich.console import Console

from scanners.scan import Scan, printable, strip_line_ending
from scanners.spool import ScanOutcome, Spool
from scanners.uploader import Uploader, print_report, setup_logging

log = logging.getLogger("scanners.bridge")

_CR, _LF = 0x0D, 0x0A


def split_lines(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Lines ended by CR, LF or CRLF, whatever the chunking; a last unended line counts too.

    Readers differ (many send a bare CR), and a CRLF may be split across two reads.
    Empty lines (a double Enter) are dropped.
    """
    line = bytearray()
    after_cr = False
    for chunk in chunks:
        for byte in chunk:
            if byte == _LF and after_cr:
                after_cr = False
                continue
            after_cr = byte == _CR
            if byte in (_CR, _LF):
                if line:
                    yield bytes(line)
                    line.clear()
            else:
                line.append(byte)
    if line:
        yield bytes(line)


def decode_line(raw: bytes) -> str:
    """Reader bytes as text: UTF-8, else GB18030 (Chinese handhelds), else Latin-1."""
    for encoding in ("utf-8", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1")


def stream_chunks(stream: BinaryIO) -> Iterator[bytes]:
    """Chunks from a byte stream (a keyboard wedge's stdin) as soon as they arrive."""
    # read1 returns what is there; read(4096) on a pipe would wait for 4096 bytes.
    read: Callable[[int], bytes] = getattr(stream, "read1", stream.read)
    while chunk := read(4096):
        yield chunk


def serial_chunks(
    port: str,
    *,
    baud: int = 9600,
    should_stop: Callable[[], bool] = lambda: False,
    reopen_delay: float = 2.0,
) -> Iterator[bytes]:
    """Chunks from a serial / USB-CDC reader (a device path or a pyserial URL).

    An unplugged reader is reopened until it comes back or the bridge stops.
    """
    import serial  # imported here: keyboard-wedge use needs neither pyserial nor a port

    while not should_stop():
        try:
            with serial.serial_for_url(port, baudrate=baud, timeout=0.2) as port_:
                # Opening flushes the input buffer: codes sent before this line are gone.
                log.info("listening on %s at %d baud", port, baud)
                while not should_stop():
                    chunk = port_.read(port_.in_waiting or 1)
                    if chunk:
                        yield chunk
        except serial.SerialException as exc:
            log.warning("serial port %s: %s; reopening in %.0fs", port, exc, reopen_delay)
            threading.Event().wait(reopen_delay)


class Bridge:
    """Turns reader lines into spooled scans and prints a line for each."""

    def __init__(
        self,
        spool: Spool,
        *,
        checkpoint_code: str | None,
        device_id: str | None = None,
        lat: float | None = None,
        lon: float | None = None,
        observed_price: Decimal | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now().astimezone(),
        console: Console | None = None,
    ) -> None:
        if checkpoint_code is None and (lat is None or lon is None):
            raise ValueError("a scan needs a checkpoint code or lat and lon")
        self.spool = spool
        self.checkpoint_code = checkpoint_code
        self.device_id = device_id
        self.lat = lat
        self.lon = lon
        self.observed_price = observed_price
        self._clock = clock
        self.console = console or Console(highlight=False)
        self.wake = threading.Event()
        self.queued = 0

    def handle(self, raw: bytes) -> int | None:
        """Spool one line from the reader; return the scan id (None for an empty line)."""
        payload = strip_line_ending(decode_line(raw))
        if not payload:
            return None
        scanned_at = self._clock()
        scan_id = self.spool.enqueue(
            Scan(
                payload=payload,
                scanned_at=scanned_at,
                checkpoint_code=self.checkpoint_code,
                lat=self.lat,
                lon=self.lon,
                observed_price=self.observed_price,
                device_id=self.device_id,
            )
        )
        self.queued += 1
        self.wake.set()
        self.console.print(
            f"{scanned_at:%H:%M:%S} #{scan_id} queued {printable(payload)}", markup=False
        )
        return scan_id

    def show_results(self, outcomes: list[ScanOutcome]) -> None:
        """Print the server's verdict for each scan of a delivered batch."""
        for o in outcomes:
            result = o.result or {}
            parts = [f"#{o.scan_id}", o.verdict or "?"]
            parts += [
                f"{k}={result[k]}" for k in ("serial", "region_code", "error") if result.get(k)
            ]
            if result.get("findings"):
                parts.append("findings=" + ",".join(map(str, result["findings"])))
            self.console.print(" ".join(parts), markup=False)

    def run(self, chunks: Iterable[bytes]) -> int:
        """Spool every line from the reader until its input ends; return how many."""
        for raw in split_lines(chunks):
            self.handle(raw)
        return self.queued


class DrainThread(threading.Thread):
    """Drains the spool whenever the bridge queues a scan (and every `idle` seconds)."""

    def __init__(
        self,
        uploader: Uploader,
        *,
        wake: threading.Event,
        stop: threading.Event | None = None,
        idle: float = 5.0,
    ) -> None:
        super().__init__(name="spool-drain", daemon=True)
        self.uploader = uploader
        self.wake = wake
        self.stop = stop or threading.Event()
        self.idle = idle
        self.halted: str | None = None

    def run(self) -> None:
        while not self.stop.is_set():
            self.wake.wait(self.idle)
            self.wake.clear()
            if self.stop.is_set() or self.halted:
                continue
            try:
                report = self.uploader.drain(should_stop=self.stop.is_set)
            except Exception:
                log.exception("drain failed; scans stay in the spool")
                self.stop.wait(self.idle)
                continue
            if report.outcome in ("auth_failed", "misconfigured"):
                # Retrying cannot fix a token or a URL: keep spooling, stop sending.
                self.halted = report.detail
                log.error("uploads halted, scans are only spooled: %s", report.detail)

    def shutdown(self) -> None:
        """Stop after the current send; a backoff ends early if the uploader sleeps on `stop`."""
        self.stop.set()
        self.wake.set()
        self.join()


def run_bridge(
    chunks: Iterable[bytes],
    bridge: Bridge,
    uploader: Uploader | None,
    *,
    stop: threading.Event | None = None,
    final_attempts: int = 2,
) -> int:
    """Spool reader input while a thread uploads; at end of input try a last drain.

    Give the uploader `sleep=stop.wait` so that neither a backoff nor a Retry-After of an
    hour holds up the exit: what is not sent stays in the spool for the next run.
    """
    drainer = None if uploader is None else DrainThread(uploader, wake=bridge.wake, stop=stop)
    if drainer is not None:
        drainer.start()
    try:
        bridge.run(chunks)
    finally:
        if drainer is not None:
            drainer.shutdown()
    if uploader is not None and drainer is not None and not drainer.halted:
        print_report(uploader.drain(give_up_after=final_attempts), bridge.spool)
    return bridge.queued


def main(
    spool_path: Annotated[Path, typer.Option("--spool", help="Spool file (SQLite).")],
    checkpoint: Annotated[
        str | None, typer.Option(help="Checkpoint code stamped on every scan.")
    ] = None,
    url: Annotated[
        str | None, typer.Option(help="Service base URL; without it scans are only spooled.")
    ] = None,
    token: Annotated[str | None, typer.Option(envvar="CG_TOKEN", help="Inspector token.")] = None,
    serial_port: Annotated[
        str | None, typer.Option("--serial", help="Serial reader, e.g. /dev/ttyUSB0.")
    ] = None,
    baud: int = 9600,
    device_id: Annotated[str | None, typer.Option(help="Defaults to the host name.")] = None,
    lat: float | None = None,
    lon: float | None = None,
    batch_size: Annotated[int, typer.Option(min=1, max=10_000)] = 500,
    verbose: bool = False,
) -> None:
    """Read codes from a keyboard-wedge (stdin) or serial reader, spool and upload them."""
    setup_logging(verbose)
    if url is not None and not token:
        raise typer.BadParameter("--token (or CG_TOKEN) is needed with --url")
    if checkpoint is None and (lat is None or lon is None):
        raise typer.BadParameter("give --checkpoint, or --lat and --lon")
    # SIGTERM (a service manager stopping us) unwinds like Ctrl+C: the drain thread stops.
    signal.signal(signal.SIGTERM, _raise_interrupt)
    with Spool(spool_path, batch_size=batch_size) as spool:
        bridge = Bridge(
            spool,
            checkpoint_code=checkpoint,
            device_id=device_id or socket.gethostname(),
            lat=lat,
            lon=lon,
        )
        stopping = threading.Event()
        uploader = None
        if url is not None and token:
            uploader = Uploader(
                url, token, spool, sleep=stopping.wait, on_results=bridge.show_results
            )
        chunks = (
            serial_chunks(serial_port, baud=baud, should_stop=stopping.is_set)
            if serial_port
            else stream_chunks(sys.stdin.buffer)
        )
        try:
            run_bridge(chunks, bridge, uploader, stop=stopping)
        except KeyboardInterrupt:
            stopping.set()
            bridge.console.print(
                f"stopped; {spool.stats().unsent_scans} scans unsent in {spool_path}"
            )
        finally:
            if uploader is not None:
                uploader.close()


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    typer.run(main)
