"""Reading back whatever a scanner sends: GS1 element strings with or without FNC1/GS, the
human-readable form with parentheses, and GS1 Digital Link URIs, fast paths first, `biip` for
the rest."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from urllib.parse import urlsplit

from biip import ParseError
from biip.checksums import gs1_standard_check_digit
from biip.gs1_digital_link_uris import GS1DigitalLinkURI
from biip.gs1_element_strings import GS1ElementStrings
from biip.gs1_messages import GS1Message
from biip.symbology import SymbologyIdentifier

from app.codes.gs1_types import (
    GS,
    MAC_RE,
    MAX_PAYLOAD_CHARS,
    REGION_CODE_RE,
    SERIAL_RE,
    ParsedCarton,
    ParsedPallet,
    ParsedPayload,
    PayloadForm,
    Unreadable,
)
from app.common.signing import KEY_ID_RE

_FAST_FNC1_RE = re.compile(
    r"01([0-9]{14})21([0-9A-Z]{10,20})\x1d91([A-Za-z0-9_-]{1,40})\x1d92([A-Z0-9]{1,8}-[A-Z2-7]{16})"
)
_FAST_HRI_RE = re.compile(
    r"\(01\)([0-9]{14})\(21\)([0-9A-Z]{10,20})\(91\)([A-Za-z0-9_-]{1,40})"
    r"\(92\)([A-Z0-9]{1,8}-[A-Z2-7]{16})"
)
_FAST_DL_PATH_RE = re.compile(r"((?:/[^/0-9]*)*)/01/([0-9]{14})/21/([0-9A-Z]{10,20})")
_FAST_DL_QUERY_RE = re.compile(r"91=([A-Za-z0-9_-]{1,40})&92=([A-Z0-9]{1,8}-[A-Z2-7]{16})")
_TWO_DIGITS = re.compile(r"[0-9]{2}")
_CSET82 = re.compile(r"[!\"%-?A-Z_a-z]+")


def parse_payload(raw: str, *, allowed_hosts: Collection[str] | None) -> ParsedPayload:
    """Recognise a scanned payload: element string (raw or HRI), Digital Link, or unreadable.

    `allowed_hosts` limits the Digital Link hosts we accept (None accepts any host).
    """
    text = raw.strip()  # also drops CR/LF and a leading or trailing GS (str.strip counts it)
    if not text:
        return Unreadable("empty payload")
    if len(text) > MAX_PAYLOAD_CHARS:
        return Unreadable(f"payload of {len(text)} characters is too long to be a carton code")
    symbology: str | None = None
    if text.startswith("]"):
        try:
            symbology = SymbologyIdentifier.extract(text).value
        except (ParseError, ValueError, IndexError):
            return Unreadable(f"unknown symbology identifier {text[:3]!r}")
        text = text[len(symbology) :].strip()
        if not text:
            return Unreadable(f"symbology identifier {symbology} with no data")
    if text[:8].lower().startswith(("http://", "https://")):
        return _parse_digital_link(text, symbology, allowed_hosts)
    if text.startswith("("):
        return _parse_hri(text, symbology)
    return _parse_element_string(text, symbology)


def _parse_hri(text: str, symbology: str | None) -> ParsedPayload:
    fast = _FAST_HRI_RE.fullmatch(text)
    if fast and _check_digit_ok(fast[1]):
        return ParsedCarton(fast[1], fast[2], fast[3], fast[4], "hri", symbology)
    return _via_biip(GS1Message.parse_hri, text, "hri", symbology)


def _parse_element_string(text: str, symbology: str | None) -> ParsedPayload:
    fast = _FAST_FNC1_RE.fullmatch(text)
    if fast and _check_digit_ok(fast[1]):
        return ParsedCarton(fast[1], fast[2], fast[3], fast[4], "element_string", symbology)
    if not _TWO_DIGITS.match(text):
        return Unreadable("not a carton code: a GS1 element string starts with digits")
    if len(text) in (8, 12, 13) and text.isascii() and text.isdecimal():
        # EAN/UPC symbols carry a bare GTIN; biip would misread it as AIs.
        return Unreadable(f"a product barcode ({text}), not a carton code")
    parsed = _via_biip(GS1Message.parse, text, "element_string", symbology)
    complete = isinstance(parsed, ParsedPallet) or (
        isinstance(parsed, ParsedCarton) and None not in (parsed.region_code, parsed.signature)
    )
    if not complete and GS not in text:
        # Keyboard-wedge readers often drop GS; without it the variable-length fields only
        # split if exactly one reading fits our layout (biip reads greedily instead).
        splits = _splits_without_separators(text)
        if len(splits) == 1:
            return ParsedCarton(*splits[0], "element_string", symbology)
        if len(splits) > 1:
            return Unreadable("GS separators missing and the fields split more than one way")
    return parsed


def _parse_digital_link(
    text: str, symbology: str | None, allowed_hosts: Collection[str] | None
) -> ParsedPayload:
    try:
        parts = urlsplit(text)
        host = (parts.hostname or "").lower()
        netloc = parts.netloc.lower()
    except ValueError as exc:
        return Unreadable(f"not a valid URL: {exc}")
    if allowed_hosts is not None:
        allowed = {h.lower() for h in allowed_hosts}
        if host not in allowed and netloc not in allowed:
            return Unreadable(f"Digital Link host {host!r} is not one of ours")
    path = _FAST_DL_PATH_RE.fullmatch(parts.path)
    query = _FAST_DL_QUERY_RE.fullmatch(parts.query)
    if path and query and not parts.fragment and _check_digit_ok(path[2]):
        return ParsedCarton(path[2], path[3], query[1], query[2], "digital_link", symbology)
    return _via_biip(GS1DigitalLinkURI.parse, text, "digital_link", symbology)


def _via_biip(
    parse: Callable[[str], GS1Message | GS1DigitalLinkURI],
    text: str,
    form: PayloadForm,
    symbology: str | None,
) -> ParsedPayload:
    try:
        elements = parse(text).element_strings
    except ParseError as exc:
        what = "GS1 Digital Link" if form == "digital_link" else "GS1 element string"
        return Unreadable(f"not a {what}: {exc}")
    return _from_element_strings(elements, form, symbology)


def _from_element_strings(
    elements: GS1ElementStrings, form: PayloadForm, symbology: str | None
) -> ParsedPayload:
    values: dict[str, str] = {}
    for element in elements:
        if element.gtin_error or element.sscc_error:
            return Unreadable(element.gtin_error or element.sscc_error or "")
        values.setdefault(element.ai.ai, element.value)
    gtin, serial, sscc = values.get("01"), values.get("21"), values.get("00")
    if sscc is not None:
        if serial is not None:
            return Unreadable("holds both a pallet SSCC (00) and a carton serial (21)")
        return ParsedPallet(sscc, form, symbology)
    if gtin is None:
        found = ", ".join(f"({ai})" for ai in values) or "no AIs"
        return Unreadable(f"GS1 data without a GTIN (01) or SSCC (00): found {found}")
    if serial is None:
        return Unreadable(f"product code (01){gtin} without a serial (21): not a carton code")
    return ParsedCarton(gtin, serial, values.get("91"), values.get("92"), form, symbology)


def _splits_without_separators(text: str) -> list[tuple[str, str, str, str]]:
    """Every (gtin, serial, region, signature) reading of `text` that fits our layout."""
    if not (text.startswith("01") and _CSET82.fullmatch(text)):
        return []
    gtin = text[2:16]
    if not (len(gtin) == 14 and gtin.isascii() and gtin.isdecimal() and _check_digit_ok(gtin)):
        return []
    rest = text[16:]
    if not rest.startswith("21"):
        return []
    found: list[tuple[str, str, str, str]] = []
    for serial_length in range(10, 21):
        serial, after = rest[2 : 2 + serial_length], rest[2 + serial_length :]
        if not (SERIAL_RE.fullmatch(serial) and after.startswith("91")):
            continue
        at = after.find("92", 3)
        while at != -1:
            region, signature = after[2:at], after[at + 2 :]
            key_id, _, mac = signature.partition("-")
            if (
                REGION_CODE_RE.fullmatch(region)
                and KEY_ID_RE.fullmatch(key_id)
                and MAC_RE.fullmatch(mac)
            ):
                found.append((gtin, serial, region, signature))
            at = after.find("92", at + 1)
    return found


def _check_digit_ok(digits: str) -> bool:
    return gs1_standard_check_digit(digits[:-1]) == int(digits[-1])
