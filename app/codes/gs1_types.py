"""The GS1 codes ChannelGuard writes and reads: a carton code, what a scanner's payload was read
as, and the patterns their fields follow."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, Protocol
from urllib.parse import quote, urlsplit

GS = "\x1d"
SERIAL_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
SERIAL_LENGTH = 16  # 36**16 is about 2**82.7: far above the 64 bits the spec asks for
MAC_BYTES = 10  # 80 bits, exactly 16 base32 characters with no padding
MAX_PAYLOAD_CHARS = 1024  # a carton code is under 150; anything this long is not one of ours

SERIAL_RE = re.compile(r"[0-9A-Z]{10,20}")
REGION_CODE_RE = re.compile(r"[A-Za-z0-9_-]{1,40}")
MAC_RE = re.compile(r"[A-Z2-7]{16}")

PayloadForm = Literal["element_string", "hri", "digital_link"]
Verification = Literal["valid", "forged", "unknown_key"]


@dataclass(frozen=True, slots=True)
class CartonCode:
    """A signed carton code as issued."""

    gtin: str
    serial: str
    region_code: str
    signature: str
    key_id: str

    @property
    def element_string(self) -> str:
        """Human-readable element string, AIs in parentheses (what the label prints)."""
        return hri_string(self.gtin, self.serial, self.region_code, self.signature)

    @property
    def element_string_fnc1(self) -> str:
        """Raw element string as a GS1-128 or DataMatrix carries it, GS after variable fields."""
        return f"01{self.gtin}21{self.serial}{GS}91{self.region_code}{GS}92{self.signature}"

    def digital_link(self, base_url: str) -> str:
        """GS1 Digital Link URI under `base_url` (scheme, host and optional path prefix)."""
        base = base_url.rstrip("/")
        parts = urlsplit(base)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"base_url {base_url!r} is not an http(s) URL with a host")
        if parts.query or parts.fragment:
            raise ValueError(f"base_url {base_url!r} must not carry a query or fragment")
        # Built by hand (biip's builder re-parses every AI, ~0.3 ms a code); the tests check
        # that biip reads back exactly these element strings.
        return (
            f"{base}/01/{self.gtin}/21/{quote(self.serial, safe='')}"
            f"?91={quote(self.region_code, safe='')}&92={quote(self.signature, safe='')}"
        )


def hri_string(gtin: str, serial: str, region_code: str | None, signature: str | None) -> str:
    """Element string with AIs in parentheses; missing AIs are left out."""
    text = f"(01){gtin}(21){serial}"
    if region_code is not None:
        text += f"(91){region_code}"
    if signature is not None:
        text += f"(92){signature}"
    return text


@dataclass(frozen=True, slots=True)
class ParsedCarton:
    """A payload recognised as a carton code; region or signature may be missing (forged)."""

    gtin: str
    serial: str
    region_code: str | None
    signature: str | None
    form: PayloadForm
    symbology_identifier: str | None = None
    kind: Literal["carton"] = "carton"

    @property
    def element_string(self) -> str:
        """Canonical human-readable element string of what was read."""
        return hri_string(self.gtin, self.serial, self.region_code, self.signature)


@dataclass(frozen=True, slots=True)
class ParsedPallet:
    """A payload recognised as a pallet's SSCC (AI 00)."""

    sscc: str
    form: PayloadForm
    symbology_identifier: str | None = None
    kind: Literal["pallet"] = "pallet"


@dataclass(frozen=True, slots=True)
class Unreadable:
    """A payload the service does not understand, with the reason in plain words."""

    reason: str
    kind: Literal["unreadable"] = "unreadable"


ParsedPayload = ParsedCarton | ParsedPallet | Unreadable


class SignedFields(Protocol):
    """What `verify` needs: a `CartonCode` or a `ParsedCarton`."""

    @property
    def gtin(self) -> str: ...
    @property
    def serial(self) -> str: ...
    @property
    def region_code(self) -> str | None: ...
    @property
    def signature(self) -> str | None: ...
