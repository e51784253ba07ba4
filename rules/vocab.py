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
    PRICE = "price"
    """乱价: sold below the tier's uniform price; a case against the seller (SPEC §2.16)."""


class SubCustomerTier(StrEnum):
    """The tiers below a first-tier distributor (二批, 终端批发, 零售店)."""

    WHOLESALE_2 = "wholesale_2"
    TERMINAL_WHOLESALE = "terminal_wholesale"
    RETAIL = "retail"


class SubCustomerStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REVOKED = "revoked"


class CustodyParty(StrEnum):
    """Who may hold a carton: a distributor or one of its sub-customers."""

    DISTRIBUTOR = "distributor"
    SUB_CUSTOMER = "sub_customer"


class CustodyKind(StrEnum):
    DELIVER = "deliver"
    """The company's waybill delivered the carton to a distributor (the first custody)."""
    SHIP = "ship"
    """出库: the holder sent it to a named party; it stays the holder's until received."""
    RECEIVE = "receive"
    """入库: the receiver scanned it in and became its custodian."""


class CodeLevel(StrEnum):
    """What a code is printed on: a carton, or one item in it (bottle, cap, box; 瓶码/盖码)."""

    CARTON = "carton"
    ITEM = "item"


class ConsumerSignalKind(StrEnum):
    """Weak signals from public verifications (SPEC §2.13): shown to HQ, never a verdict."""

    CLONE_SUSPECTED = "clone_suspected"
    """One code verified in places no one could travel between in the time."""
    OUT_OF_REGION = "out_of_region"
    """A genuine code verified far outside its authorized territory: suspected diversion."""


class SanctionStep(StrEnum):
    """The sanctions ladder (SPEC §2.15), mildest first: repeat offences climb it."""

    WARNING = "warning"
    INTERVIEW = "interview"
    """约谈: the distributor is called in to HQ."""
    DEPOSIT_DEDUCTION = "deposit_deduction"
    """An extra amount leaves the deposit (保证金)."""
    REBATE_CUT = "rebate_cut"
    """The period's rebate is cut by the policy's percentage."""
    SUPPLY_STOP = "supply_stop"
    """断货: no new waybills to the distributor until HQ lifts it."""


def values(enum: type[StrEnum]) -> list[str]:
    """What the database stores for an enum: its values, never its member names."""
    return [member.value for member in enum]
