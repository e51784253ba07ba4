"""What people are called on the pages: their own name, else the name of the party they act for,
else their login. Pure: strings in, strings out."""

from __future__ import annotations

import unicodedata

DISPLAY_NAME_MAX = 64
"""Characters in a person's name (the column holds 64): ample for 王建国 or a romanized name."""


def clean_display_name(raw: str) -> str:
    """The name as stored: trimmed. Raises ValueError saying why a name cannot be one: blank,
    longer than DISPLAY_NAME_MAX, or holding a line break or another control character (a
    name is one line on a phone's screen)."""
    name = raw.strip()
    if not name:
        raise ValueError("a name cannot be blank")
    if len(name) > DISPLAY_NAME_MAX:
        raise ValueError(f"a name has at most {DISPLAY_NAME_MAX} characters, not {len(name)}")
    for i, ch in enumerate(name):
        if unicodedata.category(ch) in ("Cc", "Cs", "Zl", "Zp"):
            raise ValueError(f"a name is one line of text (U+{ord(ch):04X} at position {i})")
    return name


def shown_name(own: str | None, party: str | None, username: str) -> str:
    """The person's own name first, then the party's (a distributor's staff act for the firm),
    then the login, so nobody is ever nameless."""
    return own or party or username
