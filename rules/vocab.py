"""The product's one vocabulary: the enums that rules decide with and that the database, the API
and the pages store and show. Defined here once; `app/` imports them, never the other way."""

from __future__ import annotations

from enum import StrEnum


class Tier(StrEnum):
    """Customer tiers, from the top of the channel down (SPEC §2.7: 一级批发, 二级批发, 终端批发,
    零售店), each with its own uniform price."""

    WHOLESALE_1 = "wholesale_1"
    WHOLESALE_2 = "wholesale_2"
    TERMINAL_WHOLESALE = "terminal_wholesale"
    RETAIL = "retail"


class RegionKind(StrEnum):
    """Market classification of a region (SPEC §2.8)."""

    HOME_BASE = "home_base"
    STRONGHOLD = "stronghold"
    CONTESTED = "contested"
    GUERRILLA = "guerrilla"


class PartyType(StrEnum):
    """Who can hold an account, a carton or a share of the blame."""

    DISTRIBUTOR = "distributor"
    SALESPERSON = "salesperson"
    SUB_CUSTOMER = "sub_customer"
    SYSTEM = "system"


class Verdict(StrEnum):
    """Exactly one per scan (SPEC §4), listed in the order the rules are tried."""

    UNREADABLE = "unreadable"
    FORGED = "forged"
    UNKNOWN = "unknown"
    VOIDED = "voided"
    CLONED = "cloned"
    IN_REGION = "in_region"
    IN_TRANSIT = "in_transit"
    DIVERSION = "diversion"


class ViolationStatus(StrEnum):
    OPEN = "open"
    APPEALED = "appealed"
    CONFIRMED = "confirmed"
    DISMISSED = "dismissed"
    REVERSED = "reversed"


class ViolationKind(StrEnum):
    DIVERSION = "diversion"
    CLONED = "cloned"
    """A copied code: goes to HQ review and never blames a distributor automatically."""


def values(enum: type[StrEnum]) -> list[str]:
    """What the database stores for an enum: its values, never its member names."""
    return [member.value for member in enum]
