"""The code-signing keys: read by the settings (from `CG_SIGNING_KEYS`) and used by the codes,
so they live apart from both."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

KEY_ID_RE = re.compile(r"[A-Z0-9]{1,8}")


@dataclass(frozen=True)
class SigningKeys:
    """HMAC keys by key id; new codes are signed with `current`, all of them verify."""

    keys: Mapping[str, bytes] = field(repr=False)
    current: str

    def __post_init__(self) -> None:
        for key_id, key in self.keys.items():
            if not KEY_ID_RE.fullmatch(key_id):
                raise ValueError(f"key id {key_id!r} is not 1-8 characters of A-Z and 0-9")
            if len(key) < 16:
                raise ValueError(f"key {key_id!r} is shorter than 16 bytes")
        if self.current not in self.keys:
            raise ValueError(f"current key id {self.current!r} is not among the keys")
        # A private read-only copy, so a caller mutating its dict cannot change verification.
        object.__setattr__(self, "keys", MappingProxyType(dict(self.keys)))
