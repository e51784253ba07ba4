"""Every setting the service reads from the environment, in one place."""

from __future__ import annotations

import base64
import binascii
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import AliasChoices, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.codes.gs1 import SigningKeys

# Development-only signing key: usable on a laptop, refused in production.
DEV_SIGNING_KEYS = "D1:ZGV2LW9ubHktc2lnbmluZy1rZXktY2hhbmdlLW1lLTAx"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CG_", extra="ignore", frozen=True)

    env: Literal["development", "production"] = "development"
    database_url: str = Field(
        default="sqlite:///channelguard.db",
        validation_alias=AliasChoices("DATABASE_URL", "CG_DATABASE_URL"),
    )
    signing_keys: str = DEV_SIGNING_KEYS
    """Comma-separated `KEYID:base64secret`; the last one signs new codes, all of them verify."""
    business_tz: str = "Asia/Shanghai"
    digital_link_base: str = "https://id.channelguard.example"
    digital_link_hosts: str = "id.channelguard.example"
    """Comma-separated hosts whose Digital Link URIs are accepted as carton codes."""
    max_scans_per_request: int = Field(default=10_000, gt=0)
    max_upload_bytes: int = Field(default=15_000_000, gt=0)
    max_image_pixels: int = Field(default=40_000_000, gt=0)
    max_request_bytes: int = Field(default=20_000_000, gt=0)
    photo_dir: str = "var/photos"
    gs1_company_prefix: str = "0690123"
    """The manufacturer's GS1 company prefix, for the SSCCs of pallets built here."""
    page_size_max: int = Field(default=500, gt=0)
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
        if self.env == "production" and self.signing_keys == DEV_SIGNING_KEYS:
            raise ValueError("CG_SIGNING_KEYS must be set to real secrets in production")
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
        keys, current = self.keys
        return SigningKeys(keys=keys, current=current)

    @property
    def allowed_link_hosts(self) -> frozenset[str]:
        return frozenset(h.strip().lower() for h in self.digital_link_hosts.split(",") if h.strip())


def parse_signing_keys(value: str) -> tuple[dict[str, bytes], str]:
    keys: dict[str, bytes] = {}
    current = ""
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
        keys[key_id] = raw
        current = key_id
    return keys, current


@lru_cache
def get_settings() -> Settings:
    return Settings()
