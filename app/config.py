"""Every setting the service reads from the environment, in one place."""

from __future__ import annotations

import base64
import binascii
import os
from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import AliasChoices, Field, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url

from app.common.signing import SigningKeys

# Development-only signing key: usable on a laptop, refused in production.
DEV_SIGNING_KEYS = "D1:ZGV2LW9ubHktc2lnbmluZy1rZXktY2hhbmdlLW1lLTAx"
# Development-only root of the distributors' webhook secrets: refused in production too.
DEV_WEBHOOK_SECRET = "dev-only-webhook-secret-change-me"
# Production secrets must be at least this long (decoded): 256 bits, as HMAC-SHA256 wants.
MIN_PRODUCTION_SECRET_BYTES = 32
# Development-only Ed25519 seed that signs the audit log's checkpoints: refused in production.
DEV_LOG_SIGNING_KEY = "ZGV2LW9ubHktYXVkaXQtbG9nLWtleS1jaGFuZ2UtbWU="


def default_data_dir() -> str:
    """Where the default SQLite database lives: one place per user, whatever the current folder
    (XDG base directories: $XDG_DATA_HOME/channelguard, else ~/.local/share/channelguard)."""
    xdg = os.environ.get("XDG_DATA_HOME", "")
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".local" / "share"
    return str(base / "channelguard")


def absolute_sqlite_url(url: str) -> str:
    """A SQLite URL with a relative file path, made absolute against the current folder once,
    so that every later use (commands run elsewhere, worker processes) names the same file."""
    parsed = make_url(url)
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return url
    if database.startswith("file:"):
        return url
    path = Path(database).expanduser()
    if path.is_absolute() and str(path) == database:
        return url
    return parsed.set(database=str(path.resolve())).render_as_string(hide_password=False)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CG_", extra="ignore", frozen=True)

    env: Literal["development", "production"] = "development"
    data_dir: str = Field(default_factory=default_data_dir)
    """Folder of the default SQLite database (used when DATABASE_URL is not set)."""
    database_url: str = Field(
        default="",
        validation_alias=AliasChoices("DATABASE_URL", "CG_DATABASE_URL"),
        validate_default=True,
    )
    """Empty means SQLite in `data_dir`; relative SQLite paths are made absolute at start."""
    signing_keys: str = DEV_SIGNING_KEYS
    """Comma-separated `KEYID:base64secret`; the last one signs new codes, all of them verify."""
    business_tz: str = "Asia/Shanghai"
    digital_link_base: str = "https://id.channelguard.example"
    digital_link_hosts: str = "id.channelguard.example"
    """Comma-separated hosts whose Digital Link URIs are accepted as carton codes."""
    max_scans_per_request: int = Field(default=10_000, gt=0)
    scan_group_commit: bool = True
    """Single-scan requests arriving together share one transaction (app/scans/groupcommit.py)."""
    scan_group_window_ms: float = Field(default=2.0, ge=0, le=100)
    """How long the committer waits for more single scans before judging a group."""
    scan_group_max: int = Field(default=128, gt=0)
    """At most this many requests in one shared transaction."""
    scan_group_threads: int = Field(default=4, gt=0, le=64)
    """Shared transactions judged at once per process on PostgreSQL (SQLite: one)."""
    max_upload_bytes: int = Field(default=15_000_000, gt=0)
    max_image_pixels: int = Field(default=40_000_000, gt=0)
    max_request_bytes: int = Field(default=20_000_000, gt=0)
    photo_dir: str = "var/photos"
    gs1_company_prefix: str = "0690123"
    """The manufacturer's GS1 company prefix, for the SSCCs of pallets built here."""
    page_size_max: int = Field(default=500, gt=0)
    webhook_secret: str = DEV_WEBHOOK_SECRET
    """Root secret; each distributor's webhook signing secret is HMAC(this, distributor code)."""
    hq_webhook_url: str = ""
    """If set, HQ's inbox events (new violations, appeals, consumer signals) are also sent here as
    signed webhook calls, with HQ's own secret (`channelguard webhooks secret --hq`)."""
    vehicle_registration: Literal["when_registered", "required"] = "when_registered"
    """`when_registered`: a waybill's plate, if it is on the vehicle register, must be active and
    approved for the destination; an unregistered plate passes (older clients keep working).
    `required`: every waybill's vehicle must be registered and approved."""
    waybill_check_grace_hours: float = Field(default=6.0, ge=0, le=240)
    """Hours before dispatch and after expected arrival that a checkpoint still counts as inside
    a waybill's window (traffic, loading)."""
    auth_failure_limit: int = Field(default=20, gt=0)
    """Failed bearer-token checks allowed per client address within `auth_failure_window`."""
    auth_failure_window: float = Field(default=60.0, gt=0)
    """Seconds; an address past the limit gets 429 until its oldest failure leaves the window."""

    token_cache_seconds: float = Field(default=5.0, ge=0, le=300)
    """How long a checked bearer token is trusted without asking the database again; 0 asks
    every time. A revocation in this process takes effect at once, in another within this."""
    token_cache_size: int = Field(default=10_000, gt=0)
    """At most this many checked tokens are remembered (least recently used go first)."""

    session_hours: float = Field(default=12.0, gt=0)
    """How long a phone stays signed in after opening a one-time sign-in link."""
    sign_in_ticket_minutes: float = Field(default=15.0, gt=0)
    """How long a one-time sign-in link (or its QR code) works before it is used."""

    log_signing_key: str = DEV_LOG_SIGNING_KEY
    """Base64 of the 32-byte Ed25519 seed that signs the audit log's checkpoints."""
    checkpoint_dir: str = ""
    """If set, each new signed checkpoint is also written here (`latest.checkpoint`): keep it
    outside the database's reach, for `channelguard audit verify --checkpoint`."""
    log_merge_delay: float = Field(default=600.0, gt=0)
    """Seconds within which a committed audit entry is integrated into the log; an entry older
    than that when a later checkpoint was signed, yet not in it, was added late."""
    log_integrate_interval: float = Field(default=1.0, ge=0)
    """Seconds between the served process's integration batches; 0 turns the thread off."""

    @field_validator("log_signing_key")
    @classmethod
    def _ed25519_seed(cls, value: str) -> str:
        log_seed(value)
        return value

    public_verify_per_minute: int = Field(default=300, ge=30)
    """Public verifications (the page and its place reports) allowed per client address a
    minute, of any codes; past it 429 with Retry-After. Never below 30: a shop checking a
    delivery bottle by bottle must get through."""

    @field_validator("data_dir")
    @classmethod
    def _absolute_dir(cls, value: str) -> str:
        return str(Path(value).expanduser().resolve())

    @field_validator("database_url")
    @classmethod
    def _one_database(cls, value: str, info: ValidationInfo) -> str:
        if not value.strip():
            folder = Path(info.data.get("data_dir") or default_data_dir())
            return f"sqlite:///{folder / 'channelguard.db'}"
        return absolute_sqlite_url(value.strip())

    company_name: str = "示范啤酒股份有限公司"
    """The manufacturer's name as printed on authorized-dealer certificates."""
    public_base_url: str = "http://127.0.0.1:8000"
    """Where the public reaches this service: authorized-dealer certificates' QR codes point
    to `{public_base_url}/dealers/{code}`."""

    @field_validator("business_tz")
    @classmethod
    def _known_tz(cls, value: str) -> str:
        ZoneInfo(value)
        return value

    @field_validator("signing_keys")
    @classmethod
    def _parse_keys(cls, value: str) -> str:
        parse_signing_keys(value)
        return value

    @model_validator(mode="after")
    def _no_dev_secrets_in_production(self) -> Settings:
        if self.env != "production":
            return self
        dev = set(parse_signing_keys(DEV_SIGNING_KEYS)[0].values())
        # Item by item, not the parsed dict: the development secret is refused in any position.
        for key_id, raw in _signing_items(self.signing_keys):
            if raw in dev:
                raise ValueError(
                    f"CG_SIGNING_KEYS: key {key_id} is the development secret; "
                    "production needs real secrets"
                )
            if len(raw) < MIN_PRODUCTION_SECRET_BYTES:
                raise ValueError(
                    f"CG_SIGNING_KEYS: key {key_id} is {len(raw)} bytes; production needs "
                    f"at least {MIN_PRODUCTION_SECRET_BYTES} (openssl rand -base64 32)"
                )
        if self.log_signing_key == DEV_LOG_SIGNING_KEY:
            raise ValueError(
                "CG_LOG_SIGNING_KEY must be set to a real key in production "
                "(openssl rand -base64 32)"
            )
        secret = self.webhook_secret.encode()
        if secret == DEV_WEBHOOK_SECRET.encode():
            raise ValueError("CG_WEBHOOK_SECRET must be set to a real secret in production")
        if len(secret) < MIN_PRODUCTION_SECRET_BYTES:
            raise ValueError(
                f"CG_WEBHOOK_SECRET is {len(secret)} bytes; production needs at least "
                f"{MIN_PRODUCTION_SECRET_BYTES} (openssl rand -hex 32)"
            )
        return self

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.business_tz)

    @property
    def keys(self) -> tuple[dict[str, bytes], str]:
        """Signing keys by id, and the id of the key that signs new codes."""
        return parse_signing_keys(self.signing_keys)

    @property
    def signing(self) -> SigningKeys:
        # Cached by the setting's text: every public verification and every scan asks for it.
        return _signing(self.signing_keys)

    @property
    def allowed_link_hosts(self) -> frozenset[str]:
        return frozenset(h.strip().lower() for h in self.digital_link_hosts.split(",") if h.strip())


def _signing_items(value: str) -> list[tuple[str, bytes]]:
    items: list[tuple[str, bytes]] = []
    for item in value.split(","):
        key_id, sep, secret = item.strip().partition(":")
        if not sep or not key_id.isalnum() or not key_id.isupper() or len(key_id) != 2:
            raise ValueError("each signing key must be KEYID:base64secret with a 2-character KEYID")
        try:
            raw = base64.b64decode(secret, validate=True)
        except binascii.Error as exc:
            raise ValueError(f"signing key {key_id} is not valid base64") from exc
        if len(raw) < 16:
            raise ValueError(f"signing key {key_id} must be at least 16 bytes")
        items.append((key_id, raw))
    return items


def log_seed(value: str) -> bytes:
    """The 32-byte Ed25519 seed in `CG_LOG_SIGNING_KEY`."""
    try:
        raw = base64.b64decode(value, validate=True)
    except binascii.Error as exc:
        raise ValueError("CG_LOG_SIGNING_KEY is not valid base64") from exc
    if len(raw) != 32:
        raise ValueError(f"CG_LOG_SIGNING_KEY must be 32 bytes (base64), not {len(raw)}")
    return raw


def parse_signing_keys(value: str) -> tuple[dict[str, bytes], str]:
    keys: dict[str, bytes] = {}
    current = ""
    for key_id, raw in _signing_items(value):
        if key_id in keys:
            # Two secrets under one id: codes signed with the first would stop verifying.
            raise ValueError(f"signing key {key_id} is given twice")
        keys[key_id] = raw
        current = key_id
    return keys, current


@lru_cache(maxsize=8)
def _signing(value: str) -> SigningKeys:
    keys, current = parse_signing_keys(value)
    return SigningKeys(keys=keys, current=current)


@lru_cache
def get_settings() -> Settings:
    return Settings()
