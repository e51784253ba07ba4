"""`channelguard users sign-in-link NAME` prints a one-time link that signs a phone in once."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app import db
from app.config import get_settings
from app.main import create_app
from tests.cli.test_cli_and_migrations import run


def _caches_clear() -> None:
    get_settings.cache_clear()
    db.get_engine.cache_clear()
    db.get_sessionmaker.cache_clear()


def test_the_printed_link_signs_in_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"
    assert (
        run(["users", "create", "--username", "field1", "--role", "inspector"], url).returncode == 0
    )
    r = run(["users", "sign-in-link", "field1"], url)
    assert r.returncode == 0, r.stderr
    link = r.stdout.strip().splitlines()[-1]
    assert "/signin#ticket=cgt_" in link
    assert run(["users", "sign-in-link", "nobody"], url).returncode != 0

    monkeypatch.setenv("DATABASE_URL", url)
    _caches_clear()
    with TestClient(create_app()) as client:
        ticket = link.split("#ticket=", 1)[1]
        first = client.post("/api/v1/sign-in/exchange", json={"ticket": ticket})
        assert first.status_code == 200, first.text
        assert first.json()["me"] == {
            "username": "field1",
            "display_name": "field1",  # nobody named them: the login stands in
            "role": "inspector",
            "distributor_code": None,
            "salesperson_code": None,
        }
        assert client.post("/api/v1/sign-in/exchange", json={"ticket": ticket}).status_code == 409
    db.get_engine().dispose()
    monkeypatch.undo()
    _caches_clear()
