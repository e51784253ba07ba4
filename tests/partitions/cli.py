"""`channelguard partitions` as an operator runs it, on a test's database."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

EXE = str(Path(sys.executable).parent / "channelguard")

Run = subprocess.CompletedProcess[str]


def ensure_list_and_detach(
    db_url: str, now: datetime, *, table: tuple[str, ...], refused: tuple[str, ...]
) -> tuple[Run, Run, Run, Run]:
    """Ensure five months ahead, list, detach the current month (of `table`), then the detach
    `refused` names: each command's result, in that order."""
    env = {**os.environ, "DATABASE_URL": db_url}

    def run(*args: str) -> Run:
        return subprocess.run(
            [EXE, "partitions", *args], env=env, capture_output=True, text=True, timeout=120
        )

    return (
        run("ensure", "--months-ahead", "5"),
        run("list"),
        run("detach", f"{now:%Y-%m}", *table),
        run("detach", *refused),
    )
