"""`channelguard users create --name` and `users rename` give people their names; `users list`
shows them; a blank or over-long name is refused before anything is stored."""

from __future__ import annotations

import unicodedata
from pathlib import Path

from sqlalchemy import create_engine, text

from tests.cli.test_cli_and_migrations import run


def _names(url: str) -> dict[str, str | None]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT username, display_name FROM app_user"))
            return {str(row[0]): row[1] for row in rows}
    finally:
        engine.dispose()


def _cells(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def test_people_are_named_at_creation_and_renamed_later(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'people.db'}"
    made = run(
        ["users", "create", "--username", "field1", "--role", "inspector", "--name", " 王建国 "],
        url,
    )
    assert made.returncode == 0, made.stderr
    assert made.stdout.strip().splitlines()[-1].startswith("cg_")  # the token stays last
    assert (
        run(["users", "create", "--username", "hq1", "--role", "hq_auditor"], url).returncode == 0
    )
    assert _names(url) == {"field1": "王建国", "hq1": None}

    listed = run(["users", "list"], url)
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert lines[0].split()[:3] == ["user", "name", "role"]
    field1 = next(line for line in lines if line.startswith("field1"))
    assert field1.split()[:3] == ["field1", "王建国", "inspector"]
    # Chinese takes two columns a character: the role column still lines up.
    assert _cells(field1[: field1.index("inspector")]) == lines[0].index("role")
    renamed = run(["users", "rename", "hq1", "陈静"], url)
    assert renamed.returncode == 0, renamed.stderr
    assert "陈静" in renamed.stdout
    assert _names(url)["hq1"] == "陈静"
    assert run(["users", "rename", "field1", "--clear"], url).returncode == 0
    assert _names(url)["field1"] is None


def test_bad_names_are_refused_and_nothing_is_stored(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'bad.db'}"
    blank = run(["users", "create", "--username", "x1", "--role", "inspector", "--name", "  "], url)
    assert blank.returncode == 2 and "--name" in blank.stderr and "blank" in blank.stderr
    long = run(
        ["users", "create", "--username", "x2", "--role", "inspector", "--name", "王" * 65], url
    )
    assert long.returncode == 2 and "64" in long.stderr
    assert run(["users", "create", "--username", "x3", "--role", "inspector"], url).returncode == 0
    assert _names(url) == {"x3": None}
    assert run(["users", "rename", "x3", " "], url).returncode == 2
    assert run(["users", "rename", "x3"], url).returncode == 2  # neither a name nor --clear
    assert run(["users", "rename", "x3", "甲", "--clear"], url).returncode == 2
    assert run(["users", "rename", "nobody", "甲"], url).returncode == 2
    assert _names(url) == {"x3": None}
