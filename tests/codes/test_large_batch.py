"""Issuing a large batch keeps memory flat: the CLI's peak memory for a large batch stays near
that for a small one. CI runs 100,000 codes; CG_TEST_FULL_SIZE=1 runs the full 1,000,000."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXE = str(Path(sys.executable).parent / "channelguard")
LARGE = 1_000_000 if os.environ.get("CG_TEST_FULL_SIZE") else 100_000


def peak_rss_mb(args: list[str], url: str, cwd: Path) -> float:
    """Peak resident memory of one CLI run, in MB (measured in a child of a fresh child)."""
    code = (
        "import resource, subprocess, sys; "
        "r = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
        "assert r.returncode == 0, r.stdout + r.stderr; "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, EXE, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=1200,
        env={**os.environ, "DATABASE_URL": url},
    )
    assert out.returncode == 0, out.stdout + out.stderr
    return int(out.stdout.strip().splitlines()[-1]) / 1024


@pytest.mark.slow
def test_large_batch_issues_and_exports_in_bounded_memory(demo_url: str, tmp_path: Path) -> None:
    base = ["codes", "issue", "--gtin", "06901234560015", "--region", "370100"]
    small = peak_rss_mb([*base, "--quantity", "5000", "--csv", "small.csv"], demo_url, tmp_path)
    large = peak_rss_mb([*base, "--quantity", str(LARGE), "--csv", "large.csv"], demo_url, tmp_path)
    with (tmp_path / "large.csv").open(encoding="utf-8") as fh:
        lines = sum(1 for _ in fh)
    assert lines == LARGE + 1
    # Holding the codes in memory would cost hundreds of bytes each (>= 40 MB at 100,000).
    assert large - small < 40, (small, large)
