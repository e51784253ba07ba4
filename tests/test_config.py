"""Production refuses development secrets and short secrets, and errors never carry the values
bound into a statement."""

from __future__ import annotations

import base64

import pytest
from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from app.config import DEV_LOG_SIGNING_KEY, DEV_SIGNING_KEYS, DEV_WEBHOOK_SECRET, Settings
from app.db import make_engine

DEV_SECRET = DEV_SIGNING_KEYS.split(":", 1)[1]
GOOD = base64.b64encode(b"k" * 32).decode()
GOOD2 = base64.b64encode(b"j" * 48).decode()
WEBHOOK = "a-real-webhook-root-secret-of-40-bytes!!"


@pytest.fixture
def production(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.setenv("CG_ENV", "production")
    monkeypatch.setenv("CG_SIGNING_KEYS", f"P1:{GOOD}")
    monkeypatch.setenv("CG_WEBHOOK_SECRET", WEBHOOK)
    monkeypatch.setenv("CG_LOG_SIGNING_KEY", "bG9nLXNpZ25pbmcta2V5LWZvci10ZXN0cy0wMTIzNDU=")
    return monkeypatch


def _refused(production: pytest.MonkeyPatch, name: str, value: str | None) -> None:
    """Production settings with `name` unset (None) or set to `value` do not load."""
    if value is None:
        production.delenv(name)
    else:
        production.setenv(name, value)
    with pytest.raises(ValidationError, match=name):
        Settings()


@pytest.mark.parametrize("key", [None, DEV_LOG_SIGNING_KEY])
def test_the_audit_log_key_must_be_real_in_production(
    production: pytest.MonkeyPatch, key: str | None
) -> None:
    _refused(production, "CG_LOG_SIGNING_KEY", key)


def test_the_audit_log_key_is_a_32_byte_seed(monkeypatch: pytest.MonkeyPatch) -> None:
    for bad in ("not base64!", base64.b64encode(b"k" * 31).decode()):
        monkeypatch.setenv("CG_LOG_SIGNING_KEY", bad)
        with pytest.raises(ValidationError, match="CG_LOG_SIGNING_KEY"):
            Settings()


def test_real_secrets_pass(production: pytest.MonkeyPatch) -> None:
    production.setenv("CG_SIGNING_KEYS", f"P1:{GOOD},P2:{GOOD2}")
    s = Settings()
    assert s.keys[1] == "P2" and s.webhook_secret == WEBHOOK


@pytest.mark.parametrize(
    "keys",
    [
        DEV_SIGNING_KEYS,
        f"P9:{DEV_SECRET}",  # the development secret under another key id
        f"D1:{DEV_SECRET},P1:{GOOD}",  # first position: it would still verify codes
        f"P1:{GOOD},P2:{DEV_SECRET}",  # last position: it would sign new codes
        f"P1:{GOOD},X7:{DEV_SECRET},P2:{GOOD2}",
    ],
)
def test_development_signing_secret_is_refused_anywhere(
    production: pytest.MonkeyPatch, keys: str
) -> None:
    production.setenv("CG_SIGNING_KEYS", keys)
    with pytest.raises(ValidationError, match="development secret"):
        Settings()


@pytest.mark.parametrize("n", [16, 24, 31])
def test_short_signing_secrets_are_refused(production: pytest.MonkeyPatch, n: int) -> None:
    short = base64.b64encode(b"s" * n).decode()
    production.setenv("CG_SIGNING_KEYS", f"P1:{GOOD},P2:{short}")
    with pytest.raises(ValidationError, match=f"P2 is {n} bytes"):
        Settings()


def test_development_accepts_short_keys_and_the_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CG_ENV", "development")
    monkeypatch.setenv("CG_SIGNING_KEYS", base64.b64encode(b"s" * 16).decode().join(["P1:", ""]))
    monkeypatch.delenv("CG_WEBHOOK_SECRET", raising=False)
    assert Settings().webhook_secret == DEV_WEBHOOK_SECRET


def test_one_key_id_twice_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CG_SIGNING_KEYS", f"P1:{GOOD},P1:{GOOD2}")
    with pytest.raises(ValidationError, match="given twice"):
        Settings()


@pytest.mark.parametrize("secret", [None, DEV_WEBHOOK_SECRET, "x" * 31])
def test_webhook_secret_must_be_real_in_production(
    production: pytest.MonkeyPatch, secret: str | None
) -> None:
    _refused(production, "CG_WEBHOOK_SECRET", secret)


def test_database_errors_do_not_carry_the_bound_values(db_url: str) -> None:
    engine = make_engine(db_url)
    secret_payload = "https://id.example/01/06901234560015/21/SECRETSERIAL123"
    try:
        # A failure whose database message does not echo the value itself (a duplicate key's
        # would, on PostgreSQL): what SQLAlchemy adds must not either.
        with engine.connect() as conn, pytest.raises(DBAPIError) as caught:
            conn.execute(text("INSERT INTO no_such_table VALUES (:v)"), {"v": secret_payload})
        message = str(caught.value)
        assert "INSERT INTO no_such_table" in message  # the statement is still named
        assert "SECRETSERIAL123" not in message
        assert "hidden due to hide_parameters" in message
    finally:
        engine.dispose()
