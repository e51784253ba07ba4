"""Policy files: the shipped ones load, bad ones fail naming the field, loaded ones are frozen."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from rules.policy import (
    POLICY_DIR,
    PolicyError,
    RegionKind,
    available_versions,
    load_policy,
    load_policy_file,
    parse_policy,
)
from tests.rules.conftest import policy_variant

SHIPPED = POLICY_DIR / "2026-11-01.toml"


def test_every_shipped_policy_loads_and_matches_its_file_name() -> None:
    versions = available_versions()
    assert "2026-11-01" in versions
    for version in versions:
        assert load_policy(version).version == version


def test_shipped_policy_carries_every_spec_threshold() -> None:
    policy = load_policy("2026-11-01")
    assert policy.verdicts.clone_speed_kmh == 150
    assert set(policy.fines.per_carton_fen) == set(RegionKind)
    assert policy.transfer.salesperson_side == "invaded_region_salesperson"
    assert policy.transfer.no_invaded_distributor == "credit_unassigned"
    assert policy.violations.auto_confirm.after_days >= policy.violations.appeal_window_days


def test_newest_version_is_the_default(tmp_path: Path) -> None:
    shutil.copy(SHIPPED, tmp_path / "2026-11-01.toml")
    newer = SHIPPED.read_text(encoding="utf-8").replace(
        'version = "2026-11-01"', 'version = "2027-03-15"'
    )
    (tmp_path / "2027-03-15.toml").write_text(
        newer.replace("clone_speed_kmh = 150", "clone_speed_kmh = 120"), encoding="utf-8"
    )
    assert available_versions(tmp_path) == ("2026-11-01", "2027-03-15")
    newest = load_policy(directory=tmp_path)
    assert (newest.version, newest.verdicts.clone_speed_kmh) == ("2027-03-15", 120)
    older = load_policy("2026-11-01", directory=tmp_path)
    assert older.verdicts.clone_speed_kmh == 150


def test_unknown_version_and_empty_directory(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="no policy files"):
        load_policy(directory=tmp_path)
    with pytest.raises(PolicyError, match=r"unknown policy version '1999-01-01'"):
        load_policy("1999-01-01")


def test_version_must_match_the_file_name(tmp_path: Path) -> None:
    path = tmp_path / "2026-12-01.toml"
    shutil.copy(SHIPPED, path)
    with pytest.raises(PolicyError, match=r"version: '2026-11-01' does not match the file name"):
        load_policy_file(path)


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="cannot read policy"):
        load_policy_file(tmp_path / "2026-11-01.toml")


def _broken(old: str, new: str) -> str:
    text = SHIPPED.read_text(encoding="utf-8")
    assert old in text, old
    return text.replace(old, new, 1)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "clone_speed_kmh = 150",
            "clone_speed_kmh = 0",
            "verdicts.clone_speed_kmh: Input should be greater than 0",
        ),
        (
            "clone_speed_kmh = 150",
            "clone_speed_kmh = 150.5",
            "verdicts.clone_speed_kmh: Input should be a valid integer",
        ),
        ("transit_grace_hours = 24", 'transit_grace_hours = "24"', "verdicts.transit_grace_hours"),
        (
            "clone_speed_kmh = 150",
            "clone_speed_kmh = 150\nclone_speed_mph = 93",
            "verdicts.clone_speed_mph: Extra inputs are not permitted",
        ),
        (
            "guerrilla = 5000",
            "guerrilla = -1",
            "fines.per_carton_fen.guerrilla: Input should be greater than or equal to 0",
        ),
        (
            "guerrilla = 5000\n",
            "",
            "fines.per_carton_fen: Value error, missing region kinds: guerrilla",
        ),
        (
            "guerrilla = 5000",
            "guerrilla = 5000\nbattlefield = 1",
            "fines.per_carton_fen.battlefield",
        ),
        ('multiplier = "1.5"', "multiplier = 1.5", "fines.repeat_multipliers.0.multiplier"),
        (
            'multiplier = "1.5"',
            'multiplier = "0.5"',
            "fines.repeat_multipliers.0.multiplier: Input should be greater than 1",
        ),
        ('multiplier = "1.5"', 'multiplier = "abc"', "not a decimal number"),
        (
            "from_offence = 3",
            "from_offence = 2",
            "fines.repeat_multipliers: Value error, entries must be ordered",
        ),
        (
            'salesperson_side = "invaded_region_salesperson"',
            'salesperson_side = "nobody"',
            "transfer.salesperson_side: Input should be",
        ),
        (
            "after_days = 14",
            "after_days = 3",
            "violations: Value error, auto_confirm.after_days must not be shorter",
        ),
        (
            "enabled = true",
            'enabled = "yes"',
            "violations.auto_confirm.enabled: Input should be a valid boolean",
        ),
        (
            "advisory_region_codes = []",
            'advisory_region_codes = ["E U"]',
            "markets.advisory_region_codes",
        ),
        (
            "tolerance_bp = 0",
            "tolerance_bp = 10000",
            "prices.tolerance_bp: Input should be less than 10000",
        ),
        (
            "star_min_score_pct = [90, 75, 60, 40]",
            "star_min_score_pct = [40, 60, 75, 90]",
            "star_min_score_pct must be in descending order",
        ),
        (
            "grade_points = [20, 40, 60, 80, 100]",
            "grade_points = [20, 40, 60, 80]",
            "stars.grade_points: Tuple should have at least 5 items",
        ),
        ("diversion = 1\n", "", "weights: missing indicators: diversion"),
        ('version = "2026-11-01"', 'version = "2026-13-01"', "version: Value error"),
        ('version = "2026-11-01"', 'version = "latest"', "version: String should match pattern"),
        ("[dismissal]\n", "", "Extra inputs are not permitted"),
    ],
)
def test_bad_policy_names_the_field(old: str, new: str, message: str) -> None:
    with pytest.raises(PolicyError, match=r"invalid policy bad\.toml") as caught:
        parse_policy(_broken(old, new), source="bad.toml")
    assert message in str(caught.value)


def test_every_field_is_required() -> None:
    without_floor_rule = _broken('missing_tier_floor = "nearest_upstream"\n', "")
    with pytest.raises(PolicyError, match=r"prices\.missing_tier_floor: Field required"):
        parse_policy(without_floor_rule)


def test_not_toml_at_all() -> None:
    with pytest.raises(PolicyError, match="not valid TOML"):
        parse_policy("version = ", source="x.toml")


def test_loaded_policy_is_immutable() -> None:
    policy = load_policy("2026-11-01")
    with pytest.raises(ValidationError, match="frozen"):
        policy.verdicts.clone_speed_kmh = 10  # type: ignore[misc]
    mutable: Any = policy.fines.per_carton_fen
    with pytest.raises(TypeError):
        mutable[RegionKind.GUERRILLA] = 1
    assert load_policy("2026-11-01").fines.per_carton_fen[RegionKind.GUERRILLA] == 5000


def test_policy_round_trips_through_json() -> None:
    policy = policy_variant(markets={"advisory_region_codes": ["EU", "UK"]})
    again = type(policy).model_validate_json(policy.model_dump_json())
    assert again == policy
    assert again.markets.advisory_region_codes == frozenset({"EU", "UK"})
