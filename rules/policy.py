"""Versioned policy files: strict validation, immutable once loaded. The sections live in
`rules.policy_sections`; they are importable from here as before."""

from __future__ import annotations

import datetime as dt
import tomllib
from functools import cache
from pathlib import Path
from typing import Annotated

from pydantic import Field, ValidationError, field_validator

from rules.policy_sections import (
    AutoConfirmPolicy,
    ConsumerPolicy,
    CreditPolicy,
    CustodyPolicy,
    DepositPolicy,
    DismissalPolicy,
    FinePolicy,
    Indicator,
    MarketPolicy,
    MissingTierFloor,
    NoInvadedDistributor,
    NonNegativeInt,
    PolicyError,
    PositiveInt,
    PriceCasePolicy,
    PricePolicy,
    RateSchedule,
    RateTier,
    RebatePolicy,
    RepeatMultiplier,
    SalespersonPolicy,
    SalespersonSide,
    SanctionPolicy,
    ShipOutsideTerritory,
    StarPolicy,
    SubCustomerPolicy,
    TransferPolicy,
    VerdictPolicy,
    ViolationPolicy,
    _Section,
)
from rules.vocab import RegionKind

__all__ = [
    "POLICY_DIR",
    "AutoConfirmPolicy",
    "ConsumerPolicy",
    "CreditPolicy",
    "CustodyPolicy",
    "DepositPolicy",
    "DismissalPolicy",
    "FinePolicy",
    "Indicator",
    "MarketPolicy",
    "MissingTierFloor",
    "NoInvadedDistributor",
    "NonNegativeInt",
    "Policy",
    "PolicyError",
    "PositiveInt",
    "PriceCasePolicy",
    "PricePolicy",
    "RateSchedule",
    "RateTier",
    "RebatePolicy",
    "RegionKind",
    "RepeatMultiplier",
    "SalespersonPolicy",
    "SalespersonSide",
    "SanctionPolicy",
    "ShipOutsideTerritory",
    "StarPolicy",
    "SubCustomerPolicy",
    "TransferPolicy",
    "VerdictPolicy",
    "ViolationPolicy",
    "available_versions",
    "load_policy",
    "load_policy_file",
    "parse_policy",
]

POLICY_DIR = Path(__file__).resolve().parent / "policies"


class Policy(_Section):
    """One version of the rules: every threshold and penalty, immutable. Sections added in
    later versions default to what older versions did (or did not do)."""

    version: Annotated[str, Field(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")]
    description: str
    verdicts: VerdictPolicy
    violations: ViolationPolicy
    fines: FinePolicy
    transfer: TransferPolicy
    dismissal: DismissalPolicy
    markets: MarketPolicy
    prices: PricePolicy
    stars: StarPolicy
    custody: CustodyPolicy = CustodyPolicy()
    sub_customers: SubCustomerPolicy = SubCustomerPolicy()
    credit: CreditPolicy = CreditPolicy()
    consumers: ConsumerPolicy = ConsumerPolicy()
    rebates: RebatePolicy = RebatePolicy()
    deposits: DepositPolicy = DepositPolicy()
    sanctions: SanctionPolicy = SanctionPolicy()
    price_cases: PriceCasePolicy = PriceCasePolicy()
    salespeople: SalespersonPolicy = SalespersonPolicy()

    @field_validator("version")
    @classmethod
    def _real_date(cls, value: str) -> str:
        dt.date.fromisoformat(value)
        return value


def _format_errors(source: str, exc: ValidationError) -> str:
    lines = [f"invalid policy {source}:"]
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"]) or "(top level)"
        lines.append(f"  {where}: {error['msg']}")
    return "\n".join(lines)


def parse_policy(text: str, *, source: str = "<text>") -> Policy:
    """Validate TOML policy text; errors name the offending field."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"invalid policy {source}: not valid TOML: {exc}") from exc
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        raise PolicyError(_format_errors(source, exc)) from exc


def load_policy_file(path: Path) -> Policy:
    """Load and validate one policy file; its version must match its file name."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PolicyError(f"cannot read policy {path}: {exc.strerror}") from exc
    policy = parse_policy(text, source=str(path))
    if policy.version != path.stem:
        raise PolicyError(
            f"invalid policy {path}: version: {policy.version!r} does not match the file name"
        )
    return policy


def available_versions(directory: Path = POLICY_DIR) -> tuple[str, ...]:
    """Policy versions on file, oldest first."""
    try:
        # Keyed by the folder's mtime: a new version file shows up at once, and the public
        # verify page (every request loads the policy) does not list the folder each time.
        stamp = directory.stat().st_mtime_ns
    except OSError:
        return ()
    return _versions_cached(directory, stamp)


@cache
def _versions_cached(directory: Path, stamp: int) -> tuple[str, ...]:
    return tuple(sorted(path.stem for path in directory.glob("*.toml")))


@cache
def _load_cached(directory: Path, version: str) -> Policy:
    return load_policy_file(directory / f"{version}.toml")


def load_policy(version: str | None = None, *, directory: Path = POLICY_DIR) -> Policy:
    """Load a policy version (None: the newest on file)."""
    versions = available_versions(directory)
    if version is None:
        if not versions:
            raise PolicyError(f"no policy files in {directory}")
        version = versions[-1]
    elif version not in versions:
        raise PolicyError(f"unknown policy version {version!r}; on file: {', '.join(versions)}")
    return _load_cached(directory, version)
