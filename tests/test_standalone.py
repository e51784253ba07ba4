"""The repository stands alone: a clone with nothing beside it collects the same tests, reads
nothing outside itself, and loses no test to missing data."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO

OUTSIDE = re.compile(r"\.\./shared|parents\[\d\]\.parent|REPO\.parent")


def test_no_test_benchmark_or_script_reads_outside_the_repository() -> None:
    offenders = [
        str(path.relative_to(REPO))
        for folder in ("tests", "bench", "scripts", ".ci")
        for path in (REPO / folder).rglob("*")
        if path.is_file()
        and path.suffix in {".py", ".sh", ""}
        and path != Path(__file__)
        and "data" not in path.relative_to(REPO).parts
        and OUTSIDE.search(path.read_text(encoding="utf-8", errors="replace"))
    ]
    assert offenders == []


def _collect(root: Path) -> tuple[int, set[str], str]:
    env = {**os.environ, "PYTHONPATH": str(root), "CG_TEST_NO_SKIPS": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--collect-only", "-q"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    ids = {line for line in done.stdout.splitlines() if "::" in line}
    return done.returncode, ids, done.stdout[-3000:] + done.stderr[-3000:]


def test_a_clone_with_nothing_beside_it_collects_every_test(tmp_path: Path) -> None:
    clone = tmp_path / "alone" / "channelguard"
    subprocess.run(
        ["git", "clone", "-q", "--no-hardlinks", str(REPO), str(clone)], check=True, timeout=300
    )
    assert not clone.parent.parent.joinpath("shared").exists()  # nothing beside the clone
    code, ids, out = _collect(clone)
    assert code == 0, out
    here_code, here_ids, here_out = _collect(REPO)
    assert here_code == 0, here_out
    # Only committed tests exist in the clone; those must all be collected there too.
    committed = set(
        subprocess.run(
            ["git", "ls-files", "tests"], cwd=REPO, capture_output=True, text=True, check=True
        ).stdout.split()
    )
    expected = {i for i in here_ids if i.split("::")[0] in committed}
    assert expected - ids == set()
    assert len(ids) > 500
    # The tests that read real inputs pass in the clone, on its own copy of them.
    env = {**os.environ, "PYTHONPATH": str(clone), "CG_TEST_NO_SKIPS": "1"}
    ran = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-x",
         "tests/epcis/test_validation.py", "tests/scanners/test_bridge.py"],
        cwd=clone, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stdout[-3000:] + ran.stderr[-3000:]
    assert " passed" in ran.stdout and "skipped" not in ran.stdout
