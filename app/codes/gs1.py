"""Carton codes: issue signed GS1 element strings and read back whatever a scanner sends.

A carton code is `(01)GTIN-14 (21)SERIAL (91)REGION_CODE (92)KEY_ID-MAC`, where MAC is a
truncated HMAC-SHA256 over `gtin|serial|region`. Key ids never contain `-` and base32 never
does either, so the first `-` of AI 92 splits it unambiguously. Keys are passed in, so rotation
is the caller's choice: new codes use `SigningKeys.current`, every key still verifies.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from typing import Literal, Protocol
from urllib.parse import quote, urlsplit

from biip import ParseError
from biip.checksums import gs1_standard_check_digit
from biip.gs1_digital_link_uris import GS1DigitalLinkURI
from biip.gs1_element_strings import GS1ElementStrings
from biip.gs1_messages import GS1Message
from biip.gtin import Gtin
from biip.sscc import Sscc
from biip.symbology import SymbologyIdentifier

from app.common.signing import KEY_ID_RE, SigningKeys

GS = "\x1d"
SERIAL_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
SERIAL_LENGTH = 16  # 36**16 is about 2**82.7: far above the 64 bits the spec asks for
MAC_BYTES = 10  # 80 bits, exactly 16 base32 characters with no padding
MAX_PAYLOAD_CHARS = 1024  # a carton code is under 150; anything this long is not one of ours

SERIAL_RE = re.compile(r"[0-9A-Z]{10,20}")
REGION_CODE_RE = re.compile(r"[A-Za-z0-9_-]{1,40}")
_MAC_RE = re.compile(r"[A-Z2-7]{16}")

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


# --- issuing ---------------------------------------------------------------------------


def normalize_gtin(gtin: str) -> str:
    """Validate a GTIN-8/12/13/14 (check digit included) and return it as GTIN-14."""
    try:
        return Gtin.parse(gtin.strip()).as_gtin_14()
    except ParseError as exc:
        raise ValueError(str(exc)) from exc


def validate_region_code(region_code: str) -> str:
    """Return the region code if it fits AI 91 as the contract allows, else raise ValueError."""
    if not REGION_CODE_RE.fullmatch(region_code):
        raise ValueError(f"region code {region_code!r} is not 1-40 of letters, digits, - and _")
    return region_code


def new_serial() -> str:
    """A random 16-character serial of 0-9 and A-Z (about 82 bits from `secrets`)."""
    n = secrets.randbelow(36**SERIAL_LENGTH)
    chars = []
    for _ in range(SERIAL_LENGTH):
        n, digit = divmod(n, 36)
        chars.append(SERIAL_ALPHABET[digit])
    return "".join(chars)


def _mac(key: bytes, gtin: str, serial: str, region_code: str) -> str:
    message = f"{gtin}|{serial}|{region_code}".encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()[:MAC_BYTES]
    return base64.b32encode(digest).decode("ascii")


def _sign(gtin14: str, serial: str, region_code: str, keys: SigningKeys) -> CartonCode:
    key_id = keys.current
    mac = _mac(keys.keys[key_id], gtin14, serial, region_code)
    return CartonCode(gtin14, serial, region_code, f"{key_id}-{mac}", key_id)


def issue_code(
    *, gtin: str, region_code: str, keys: SigningKeys, serial: str | None = None
) -> CartonCode:
    """Sign one carton code for `region_code` with the current key; a random serial by default."""
    if serial is not None and not SERIAL_RE.fullmatch(serial):
        raise ValueError(f"serial {serial!r} is not 10-20 characters of 0-9 and A-Z")
    return _sign(
        normalize_gtin(gtin), serial or new_serial(), validate_region_code(region_code), keys
    )


def issue_codes(
    *, gtin: str, region_code: str, keys: SigningKeys, quantity: int
) -> Iterator[CartonCode]:
    """Lazily sign `quantity` codes with fresh serials; bad inputs raise before the first."""
    if quantity < 0:
        raise ValueError("quantity must not be negative")
    gtin14 = normalize_gtin(gtin)
    validate_region_code(region_code)
    return (_sign(gtin14, new_serial(), region_code, keys) for _ in range(quantity))


def verify(code: SignedFields, *, keys: SigningKeys) -> Verification:
    """Check the AI 92 signature: `valid`, `forged`, or `unknown_key` for a key we do not hold."""
    if code.region_code is None or code.signature is None:
        return "forged"
    key_id, sep, mac = code.signature.partition("-")
    if not sep or not KEY_ID_RE.fullmatch(key_id):
        return "forged"
    key = keys.keys.get(key_id)
    if key is None:
        return "unknown_key"
    expected = _mac(key, code.gtin, code.serial, code.region_code)
    ok = hmac.compare_digest(expected.encode(), mac.encode("utf-8", "replace"))
    return "valid" if ok else "forged"


_ABSENT_KEY = bytes(32)


def signature_matches(
    gtin: str, serial: str, region_code: str, signature: str, *, keys: SigningKeys
) -> bool:
    """Whether AI 92 signs the other fields, doing the same work whatever the input: one HMAC
    and one constant-time compare, even for an unknown key id or a malformed signature. For
    public answers, whose timing must not tell a guesser what was wrong."""
    key_id, _, mac = signature.partition("-")
    key = keys.keys.get(key_id)
    expected = _mac(key if key is not None else _ABSENT_KEY, gtin, serial, region_code)
    same = hmac.compare_digest(expected.encode(), mac.encode("utf-8", "replace"))
    return same and key is not None


# --- pallets ---------------------------------------------------------------------------


def new_sscc(company_prefix: str, *, extension_digit: int = 0) -> str:
    """A random SSCC-18 under a GS1 company prefix (4-12 digits), check digit included."""
    if not (company_prefix.isdecimal() and company_prefix.isascii()):
        raise ValueError(f"company prefix {company_prefix!r} is not digits")
    if not 4 <= len(company_prefix) <= 12:
        raise ValueError("a GS1 company prefix has 4 to 12 digits")
    if not 0 <= extension_digit <= 9:
        raise ValueError("the extension digit is 0-9")
    width = 16 - len(company_prefix)
    reference = str(secrets.randbelow(10**width)).zfill(width)
    payload = f"{extension_digit}{company_prefix}{reference}"
    return f"{payload}{gs1_standard_check_digit(payload)}"


def validate_sscc(sscc: str) -> str:
    """Return the SSCC if it is 18 digits with a valid check digit, else raise ValueError."""
    try:
        return Sscc.parse(sscc).value
    except ParseError as exc:
        raise ValueError(str(exc)) from exc


# --- reading what scanners send --------------------------------------------------------

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
                and _MAC_RE.fullmatch(mac)
            ):
                found.append((gtin, serial, region, signature))
            at = after.find("92", at + 1)
    return found


def _check_digit_ok(digits: str) -> bool:
    return gs1_standard_check_digit(digits[:-1]) == int(digits[-1])
