"""Carton codes: issue signed GS1 element strings and read back whatever a scanner sends.

A carton code is `(01)GTIN-14 (21)SERIAL (91)REGION_CODE (92)KEY_ID-MAC`, where MAC is a
truncated HMAC-SHA256 over `gtin|serial|region`. Key ids never contain `-` and base32 never
does either, so the first `-` of AI 92 splits it unambiguously. Keys are passed in, so rotation
is the caller's choice: new codes use `SigningKeys.current`, every key still verifies.

The code types live in `gs1_types`, reading a payload in `gs1_parse`; both are re-exported here.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Iterator

from biip import ParseError
from biip.checksums import gs1_standard_check_digit
from biip.gtin import Gtin
from biip.sscc import Sscc

from app.codes.gs1_parse import parse_payload as parse_payload
from app.codes.gs1_types import GS as GS
from app.codes.gs1_types import MAC_BYTES as MAC_BYTES
from app.codes.gs1_types import MAX_PAYLOAD_CHARS as MAX_PAYLOAD_CHARS
from app.codes.gs1_types import REGION_CODE_RE as REGION_CODE_RE
from app.codes.gs1_types import SERIAL_ALPHABET as SERIAL_ALPHABET
from app.codes.gs1_types import SERIAL_LENGTH as SERIAL_LENGTH
from app.codes.gs1_types import SERIAL_RE as SERIAL_RE
from app.codes.gs1_types import CartonCode as CartonCode
from app.codes.gs1_types import ParsedCarton as ParsedCarton
from app.codes.gs1_types import ParsedPallet as ParsedPallet
from app.codes.gs1_types import ParsedPayload as ParsedPayload
from app.codes.gs1_types import PayloadForm as PayloadForm
from app.codes.gs1_types import SignedFields as SignedFields
from app.codes.gs1_types import Unreadable as Unreadable
from app.codes.gs1_types import Verification as Verification
from app.codes.gs1_types import hri_string as hri_string
from app.common.signing import KEY_ID_RE, SigningKeys


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
