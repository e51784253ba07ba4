"""The size of the code's files: a Python file in app/, rules/ or scanners/ over LIMIT lines is
split where a natural seam exists (a package of modules, the old path re-exporting what others
import), or it is named in ALLOWED with the reason it is still long.

ALLOWED should only shrink: each entry is a file someone is working on right now, to be split
once that work has landed. A file that fell under the limit must leave the list (a test says so)."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import REPO

PACKAGES = ("app", "rules", "scanners")
LIMIT = 450

# Files allowed over the limit, each with its reason. Empty now: keep it so.
ALLOWED: dict[str, str] = {}


def _lines(path: Path) -> int:
    with path.open(encoding="utf-8") as f:
        return sum(1 for _ in f)


def too_long(root: Path, allowed: dict[str, str]) -> tuple[list[str], list[str]]:
    """(files over LIMIT that are not allowed, allowed files that no longer are over LIMIT)."""
    over = {
        p.relative_to(root).as_posix(): n
        for pkg in PACKAGES
        for p in sorted((root / pkg).rglob("*.py"))
        if (n := _lines(p)) > LIMIT
    }
    unexpected = [f"{name}: {n} lines" for name, n in over.items() if name not in allowed]
    stale = [name for name in allowed if name not in over]
    return unexpected, stale


def test_no_file_is_longer_than_the_limit_unless_listed_with_a_reason() -> None:
    unexpected, stale = too_long(REPO, ALLOWED)
    assert unexpected == [], f"split these (or list them with a reason): {unexpected}"
    assert stale == [], f"these are short enough now: take them off ALLOWED: {stale}"
    assert all(reason.strip() for reason in ALLOWED.values())


def test_the_check_sees_a_long_file_and_a_stale_entry(tmp_path: Path) -> None:
    (tmp_path / "app" / "x").mkdir(parents=True)
    (tmp_path / "rules").mkdir()
    (tmp_path / "scanners").mkdir()
    (tmp_path / "app" / "x" / "long.py").write_text("pass\n" * (LIMIT + 1), encoding="utf-8")
    (tmp_path / "app" / "x" / "edge.py").write_text("pass\n" * LIMIT, encoding="utf-8")
    (tmp_path / "rules" / "short.py").write_text("pass\n", encoding="utf-8")
    unexpected, stale = too_long(tmp_path, {"rules/short.py": "being changed"})
    assert unexpected == [f"app/x/long.py: {LIMIT + 1} lines"]
    assert stale == ["rules/short.py"]
    assert too_long(tmp_path, {"app/x/long.py": "being changed"}) == ([], [])
