"""How EPCIS identifiers name ChannelGuard's checkpoints and parties: URNs, GLNs (SGLN) and ids
that end in a code."""

from __future__ import annotations

import re

from biip.checksums import gs1_standard_check_digit

from app.common.types import CODE_PATTERN

CHECKPOINT_URN = "urn:channelguard:checkpoint:"
_CODE = re.compile(CODE_PATTERN)
_SGLN = re.compile(r"^urn:epc:id:sgln:([0-9]{6,12})\.([0-9]{0,6})\.(.+)$")
_SEGMENTS = re.compile(r"[/:#]")


def checkpoint_candidates(place_id: str) -> list[str]:
    """The checkpoint codes a readPoint or bizLocation id may name, most specific first."""
    if place_id.startswith(CHECKPOINT_URN):
        code = place_id.removeprefix(CHECKPOINT_URN)
        return [code] if _CODE.fullmatch(code) else []
    sgln = _SGLN.match(place_id)
    if sgln:
        digits = sgln[1] + sgln[2]
        return [digits + str(gs1_standard_check_digit(digits))] if len(digits) == 12 else []
    tail = _SEGMENTS.split(place_id.rstrip("/"))[-1]
    return [tail] if _CODE.fullmatch(tail) else []


PARTY_URN = "urn:channelguard:party:"


def party_candidates(party_id: str) -> list[str]:
    """The party codes a source or destination id may name: `urn:channelguard:party:CODE`, or
    an id whose last segment is a distributor's or sub-customer's code."""
    if party_id.startswith(PARTY_URN):
        code = party_id.removeprefix(PARTY_URN)
        return [code] if _CODE.fullmatch(code) else []
    tail = _SEGMENTS.split(party_id.rstrip("/"))[-1]
    return [tail] if _CODE.fullmatch(tail) else []
