"""One field scan as the service's `POST /api/v1/scans` expects it (CONTRACT.md "Scans")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

MAX_SCANS_PER_REQUEST = 10_000
"""The contract answers 413 above this many scans in one request."""


def strip_line_ending(raw: str) -> str:
    """Drop the CR/LF a reader appends; keep everything else, GS (0x1D) included.

    `str.strip()` and `str.splitlines()` would also eat the GS1 group separator,
    which Python counts as whitespace and as a line boundary.
    """
    return raw.rstrip("\r\n")


_CONTROL_NAMES = {0x04: "<EOT>", 0x1D: "<GS>", 0x1E: "<RS>"}


def printable(payload: str) -> str:
    """A payload for a terminal: control characters shown as <GS>, <RS>, <0xNN>."""
    return "".join(
        _CONTROL_NAMES.get(ord(ch), f"<0x{ord(ch):02X}>") if ord(ch) < 0x20 else ch
        for ch in payload
    )


@dataclass(frozen=True, slots=True)
class Scan:
    """A scan waiting to be sent; validated so that the server never sees a client bug."""

    payload: str
    scanned_at: datetime
    checkpoint_code: str | None = None
    lat: float | None = None
    lon: float | None = None
    observed_price: Decimal | None = None
    """Shelf price seen by the inspector, CNY per unit; sent as a decimal string."""
    device_id: str | None = None

    def __post_init__(self) -> None:
        if not self.payload:
            raise ValueError("empty payload")
        if self.scanned_at.tzinfo is None or self.scanned_at.utcoffset() is None:
            raise ValueError("scanned_at must be timezone-aware")
        if (self.lat is None) != (self.lon is None):
            raise ValueError("lat and lon go together")
        if self.checkpoint_code is None and self.lat is None:
            raise ValueError("no checkpoint code and no lat/lon")
        if self.observed_price is not None and not self.observed_price.is_finite():
            raise ValueError("observed_price must be a finite decimal")

    def to_wire(self) -> dict[str, Any]:
        """The JSON object of this scan in a request body, unset fields left out."""
        wire: dict[str, Any] = {
            "payload": self.payload,
            "scanned_at": self.scanned_at.isoformat(),
        }
        if self.checkpoint_code is not None:
            wire["checkpoint_code"] = self.checkpoint_code
        if self.lat is not None and self.lon is not None:
            wire["lat"] = self.lat
            wire["lon"] = self.lon
        if self.observed_price is not None:
            # Fixed-point text: Decimal("1E+1") must go out as "10", not "1E+1".
            wire["observed_price"] = format(self.observed_price, "f")
        if self.device_id is not None:
            wire["device_id"] = self.device_id
        return wire
