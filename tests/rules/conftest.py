"""Policies for the rules tests: the shipped file, and variants of it built through validation."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

from rules.policy import POLICY_DIR, Policy, available_versions

PolicyFactory = Callable[..., Policy]


def _merge(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def shipped_policy_data() -> dict[str, Any]:
    """The newest shipped policy file as plain TOML data."""
    path = POLICY_DIR / f"{available_versions()[-1]}.toml"
    return tomllib.loads(path.read_text(encoding="utf-8"))


def policy_variant(**changes: Any) -> Policy:
    """A validated policy: the shipped one with nested changes."""
    return Policy.model_validate(_merge(shipped_policy_data(), changes))


@pytest.fixture
def make_policy() -> PolicyFactory:
    """Build validated variants of the shipped policy."""
    return policy_variant


@pytest.fixture
def policy(make_policy: PolicyFactory) -> Policy:
    """The shipped policy."""
    return make_policy()


def fine_facts(
    policy: Policy,
    *,
    at: datetime,
    signed: datetime | None,
    cartons: int = 2,
    advisory: bool = False,
) -> dict[str, Any]:
    """What every fine rule (a diversion's, a price case's, a salesperson's, a sub-customer's)
    decides on: `cartons` cartons at `at`, under an agreement signed at `signed` (or none), in
    an advisory market or not. Each rule adds its own facts (region kind, prior offences)."""
    return {
        "cartons": cartons,
        "agreement_signed_at": signed,
        "violated_at": at,
        "advisory": advisory,
        "policy": policy,
    }
