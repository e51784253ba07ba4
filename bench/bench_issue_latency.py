"""How long /healthz and a scan take while `channelguard codes issue` stores a large batch into
the SQLite database a running `channelguard serve` uses (two processes, as in production).

    PYTHONPATH=$PWD .venv/bin/python -m bench.bench_issue_latency --quantity 1000000

Prints the issue's wall time and, for requests sent during it, their count, median, p99, max
latency and how many did not answer 200.
"""

from __future__ import annotations

import argparse
import csv
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx

EXE = str(Path(sys.executable).parent / "channelguard")
LAGER = "06901234560015"


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quantity", type=int, default=1_000_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{Path(tmp) / 'cg.db'}"}
        demo = subprocess.run([EXE, "demo"], env=env, capture_output=True, text=True, check=True)
        token = next(
            line.split("\t")[2]
            for line in demo.stdout.splitlines()
            if line.startswith("inspector\t")
        )
        small = Path(tmp) / "small.csv"
        issue = [EXE, "codes", "issue", "--gtin", LAGER, "--region", "370100"]
        subprocess.run(
            [*issue, "--quantity", "20", "--csv", str(small)],
            env=env,
            check=True,
            capture_output=True,
        )
        with small.open(encoding="utf-8") as fh:
            payloads = [row["digital_link"] for row in csv.DictReader(fh)]
        port = _port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [EXE, "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            for _ in range(300):
                try:
                    if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            lat: dict[str, list[float]] = {"healthz": [], "scan": []}
            bad = {"healthz": 0, "scan": 0}
            started = time.perf_counter()
            big = subprocess.Popen(
                [*issue, "--quantity", str(args.quantity)], env=env, stdout=subprocess.DEVNULL
            )
            with httpx.Client(base_url=base, timeout=120) as http:
                i = 0
                while big.poll() is None:
                    t = time.perf_counter()
                    r = http.get("/healthz")
                    lat["healthz"].append(time.perf_counter() - t)
                    bad["healthz"] += r.status_code != 200
                    body = {
                        "scans": [
                            {
                                "payload": payloads[i % len(payloads)],
                                "checkpoint_code": "JN-G2-N",
                                "scanned_at": datetime.now(UTC).isoformat(),
                            }
                        ]
                    }
                    t = time.perf_counter()
                    r = http.post(
                        "/api/v1/scans",
                        json=body,
                        headers={
                            "Authorization": f"Bearer {token}",
                            "Idempotency-Key": uuid.uuid4().hex,
                        },
                    )
                    lat["scan"].append(time.perf_counter() - t)
                    bad["scan"] += r.status_code != 200
                    i += 1
                    time.sleep(0.05)
            took = time.perf_counter() - started
        finally:
            server.terminate()
            server.wait(10)
    print(f"issued {args.quantity:,} codes in {took:.1f} s (exit {big.returncode})")
    for name, values in lat.items():
        values.sort()
        p99 = values[min(len(values) - 1, int(len(values) * 0.99))]
        print(
            f"{name:8s}: {len(values)} requests, median {statistics.median(values) * 1000:.0f} ms,"
            f" p99 {p99 * 1000:.0f} ms, max {values[-1] * 1000:.0f} ms, not 200: {bad[name]}"
        )


if __name__ == "__main__":
    main()
