"""Carton codes: issuing, every accepted scanner form, forgeries, rotation, pallets."""

from __future__ import annotations

import re
import string

import pytest
from biip.checksums import gs1_standard_check_digit
from biip.gs1_digital_link_uris import GS1DigitalLinkURI
from biip.gs1_messages import GS1Message
from biip.sscc import Sscc
from hypothesis import given, settings
from hypothesis import strategies as st

from app.codes.gs1 import (
    GS,
    CartonCode,
    ParsedCarton,
    ParsedPallet,
    SigningKeys,
    Unreadable,
    issue_code,
    issue_codes,
    new_serial,
    new_sscc,
    normalize_gtin,
    parse_payload,
    validate_sscc,
    verify,
)

KEY_1 = bytes(range(32))
KEY_2 = bytes(range(100, 132))
KEYS = SigningKeys({"K1": KEY_1, "K2": KEY_2}, current="K2")
GTIN = "09506000134352"
HOST = "cg.example.com"
BASE = f"https://{HOST}"


def _code(region: str = "CN-GD_SZ", serial: str | None = None) -> CartonCode:
    return issue_code(gtin=GTIN, region_code=region, keys=KEYS, serial=serial)


def _read(raw: str) -> ParsedCarton:
    parsed = parse_payload(raw, allowed_hosts={HOST})
    assert isinstance(parsed, ParsedCarton), parsed
    return parsed


def _same_code(parsed: ParsedCarton, code: CartonCode) -> None:
    assert (parsed.gtin, parsed.serial, parsed.region_code, parsed.signature) == (
        code.gtin,
        code.serial,
        code.region_code,
        code.signature,
    )


# --- issuing ---------------------------------------------------------------------------


def test_signature_is_pinned_so_printed_labels_stay_valid() -> None:
    code = issue_code(
        gtin="9506000134352", region_code="CN-GD", keys=KEYS, serial="0123456789ABCDEF"
    )
    assert code.gtin == GTIN
    # A known answer: changing the signed message or the MAC encoding breaks every label.
    assert code.signature == "K2-EPV5FIH7BFFRNQIH"
    assert code.key_id == "K2"
    assert code.element_string == f"(01){GTIN}(21)0123456789ABCDEF(91)CN-GD(92)K2-EPV5FIH7BFFRNQIH"
    assert code.element_string_fnc1 == (
        f"01{GTIN}210123456789ABCDEF{GS}91CN-GD{GS}92K2-EPV5FIH7BFFRNQIH"
    )


def test_new_serials_are_random_16_chars_of_0_9_A_Z() -> None:
    serials = [new_serial() for _ in range(20_000)]
    assert all(re.fullmatch(r"[0-9A-Z]{16}", s) for s in serials)
    assert len(set(serials)) == len(serials)
    # Every position uses the whole alphabet, so nothing is fixed or sequential.
    for position in range(16):
        assert len({s[position] for s in serials}) == 36
    assert sorted(serials[:100]) != serials[:100]


def test_issue_normalizes_gtin_and_validates_inputs() -> None:
    assert issue_code(gtin="4006381333931", region_code="R", keys=KEYS).gtin == "04006381333931"
    with pytest.raises(ValueError, match="check digit"):
        issue_code(gtin="4006381333932", region_code="R", keys=KEYS)
    with pytest.raises(ValueError, match="region code"):
        issue_code(gtin=GTIN, region_code="华南", keys=KEYS)
    with pytest.raises(ValueError, match="region code"):
        issue_code(gtin=GTIN, region_code="A" * 41, keys=KEYS)
    with pytest.raises(ValueError, match="serial"):
        issue_code(gtin=GTIN, region_code="R", keys=KEYS, serial="short")
    with pytest.raises(ValueError, match="serial"):
        issue_code(gtin=GTIN, region_code="R", keys=KEYS, serial="abcdefghijkl")


def test_issue_codes_streams_distinct_valid_codes() -> None:
    codes = list(issue_codes(gtin=GTIN, region_code="NORTH", keys=KEYS, quantity=500))
    assert len({c.serial for c in codes}) == 500
    assert all(verify(c, keys=KEYS) == "valid" and c.key_id == "K2" for c in codes)
    with pytest.raises(ValueError, match="GTIN"):
        issue_codes(gtin="123", region_code="NORTH", keys=KEYS, quantity=1)  # eager, not lazy
    with pytest.raises(ValueError, match="region"):
        issue_codes(gtin=GTIN, region_code="", keys=KEYS, quantity=1)


def test_signing_keys_refuse_bad_setups_and_hide_secrets() -> None:
    with pytest.raises(ValueError, match="current"):
        SigningKeys({"K1": KEY_1}, current="K2")
    with pytest.raises(ValueError, match="shorter"):
        SigningKeys({"K1": b"short"}, current="K1")
    with pytest.raises(ValueError, match="key id"):
        SigningKeys({"k-1": KEY_1}, current="k-1")
    source = {"K1": KEY_1}
    keys = SigningKeys(source, current="K1")
    source["K1"] = KEY_2  # mutating the caller's dict must not change verification
    assert keys.keys["K1"] == KEY_1
    assert KEY_1.hex() not in repr(keys)
    assert str(KEY_1) not in repr(keys)


# --- reading every accepted form -------------------------------------------------------


def _variants(code: CartonCode) -> dict[str, str]:
    fnc1 = code.element_string_fnc1
    return {
        "hri": code.element_string,
        "hri with spaces and CRLF": f"  (01) {code.gtin} (21) {code.serial} (91) "
        f"{code.region_code} (92) {code.signature}\r\n",
        "fnc1": fnc1,
        "fnc1 + CR": fnc1 + "\r",
        "fnc1 + LF + spaces": f"  {fnc1}\n",
        "leading GS (FNC1 as GS)": GS + fnc1,
        "trailing GS": fnc1 + GS,
        "]C1": "]C1" + fnc1,
        "]Q3": "]Q3" + fnc1,
        "]d2": "]d2" + fnc1,
        "]e0": "]e0" + fnc1,
        "]C1 + CRLF": "]C1" + fnc1 + "\r\n",
        "no GS (keyboard wedge)": fnc1.replace(GS, ""),
        "]C1 no GS": "]C1" + fnc1.replace(GS, ""),
        "fnc1 + extra AI (biip path)": fnc1 + GS + "10LOT42",
        "digital link https": code.digital_link(BASE),
        "digital link http": code.digital_link(f"http://{HOST}"),
        "digital link with path prefix": code.digital_link(f"{BASE}/dl/v"),
        "digital link, digits in prefix (biip path)": code.digital_link(f"{BASE}/v1"),
        "digital link with port": code.digital_link(f"{BASE}:8443"),
        "digital link upper-case host": code.digital_link(f"HTTPS://{HOST.upper()}"),
        "digital link + extra query (biip path)": code.digital_link(BASE) + "&utm=1",
        "]Q1 digital link": "]Q1" + code.digital_link(BASE),
        "]Q1 digital link + CRLF": "]Q1" + code.digital_link(BASE) + "\r\n",
    }


@pytest.mark.parametrize("variant", list(_variants(_code())))
def test_every_accepted_form_round_trips_and_verifies(variant: str) -> None:
    # A fixed serial with no "9": a random one holds "91" or "92" about once in 40 codes, and
    # then the forms without GS split two ways (the property test below covers that case).
    code = _code(serial="ABCDEFGH12345678")
    parsed = _read(_variants(code)[variant])
    _same_code(parsed, code)
    assert verify(parsed, keys=KEYS) == "valid"
    assert parsed.element_string == code.element_string


def test_form_and_symbology_identifier_are_reported() -> None:
    code = _code()
    assert _read(code.element_string).form == "hri"
    assert _read("]d2" + code.element_string_fnc1).symbology_identifier == "]d2"
    dl = _read("]Q1" + code.digital_link(BASE))
    assert (dl.form, dl.symbology_identifier) == ("digital_link", "]Q1")


def test_digital_link_matches_biip() -> None:
    code = _code(region="SOUTH_2-B")
    uri = code.digital_link(f"{BASE}/dl")
    parsed = GS1DigitalLinkURI.parse(uri)
    assert [(e.ai.ai, e.value) for e in parsed.element_strings] == [
        ("01", code.gtin),
        ("21", code.serial),
        ("91", code.region_code),
        ("92", code.signature),
    ]
    built = GS1Message.parse(code.element_string_fnc1).as_gs1_digital_link_uri()
    assert uri == built.as_uri(domain=HOST, prefix="dl")
    assert GS1Message.parse(code.element_string_fnc1).as_hri() == code.element_string
    with pytest.raises(ValueError, match="http"):
        code.digital_link("ftp://x.example")
    with pytest.raises(ValueError, match="query"):
        code.digital_link(f"{BASE}?a=1")


def test_digital_link_host_must_be_allowed() -> None:
    uri = _code().digital_link("https://evil.example")
    refused = parse_payload(uri, allowed_hosts={HOST})
    assert isinstance(refused, Unreadable)
    assert "evil.example" in refused.reason
    assert isinstance(parse_payload(uri, allowed_hosts=None), ParsedCarton)
    with_port = _code().digital_link(f"{BASE}:8443")
    assert isinstance(parse_payload(with_port, allowed_hosts={f"{HOST}:8443"}), ParsedCarton)


_GTIN_13 = st.text(string.digits, min_size=12, max_size=12).map(
    lambda d: d + str(gs1_standard_check_digit(d))
)
_SERIALS = st.text("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=10, max_size=20)
_REGIONS = st.from_regex(r"[A-Za-z0-9_-]{1,40}", fullmatch=True)


@settings(max_examples=300, deadline=None)
@given(gtin=_GTIN_13, serial=_SERIALS, region=_REGIONS)
def test_property_random_codes_round_trip_in_every_form(
    gtin: str, serial: str, region: str
) -> None:
    code = issue_code(gtin=gtin, region_code=region, keys=KEYS, serial=serial)
    for name, raw in _variants(code).items():
        parsed = parse_payload(raw, allowed_hosts={HOST})
        if name.startswith(("no GS", "]C1 no GS")) and isinstance(parsed, Unreadable):
            # Only a region that itself contains "92"+signature-like text can split two ways.
            assert "more than one way" in parsed.reason
            continue
        assert isinstance(parsed, ParsedCarton), (name, raw, parsed)
        _same_code(parsed, code)
        assert verify(parsed, keys=KEYS) == "valid"


@settings(max_examples=300, deadline=None)
@given(gtin=_GTIN_13, serial=_SERIALS, region=_REGIONS)
def test_property_fast_path_agrees_with_biip(gtin: str, serial: str, region: str) -> None:
    code = issue_code(gtin=gtin, region_code=region, keys=KEYS, serial=serial)
    for raw, message in (
        (code.element_string_fnc1, GS1Message.parse(code.element_string_fnc1)),
        (code.element_string, GS1Message.parse_hri(code.element_string)),
        (code.digital_link(BASE), GS1DigitalLinkURI.parse(code.digital_link(BASE))),
    ):
        parsed = _read(raw)
        by_biip = {e.ai.ai: e.value for e in message.element_strings}
        assert by_biip == {
            "01": parsed.gtin,
            "21": parsed.serial,
            "91": parsed.region_code,
            "92": parsed.signature,
        }


# --- forgeries -------------------------------------------------------------------------

_MUTATIONS = string.digits + string.ascii_uppercase + "-_a"


def _fields_of(code: CartonCode) -> list[tuple[str, str]]:
    return [
        ("01", code.gtin),
        ("21", code.serial),
        ("91", code.region_code),
        ("92", code.signature),
    ]


def _with_field(code: CartonCode, ai: str, value: str) -> str:
    return "".join(f"({a}){value if a == ai else v}" for a, v in _fields_of(code))


@pytest.mark.parametrize("ai", ["01", "21", "91", "92"])
def test_every_single_character_change_is_caught(ai: str) -> None:
    code = _code()
    original = dict(_fields_of(code))[ai]
    outcomes: set[str] = set()
    for i, old in enumerate(original):
        for new in _MUTATIONS:
            if new == old:
                continue
            raw = _with_field(code, ai, original[:i] + new + original[i + 1 :])
            parsed = parse_payload(raw, allowed_hosts=None)
            if isinstance(parsed, Unreadable):
                outcome = "unreadable"
            else:
                assert isinstance(parsed, ParsedCarton)
                outcome = verify(parsed, keys=KEYS)
            assert outcome != "valid", raw
            outcomes.add(outcome)
            if ai == "92" and i >= 2:  # the MAC itself (or the separator)
                assert outcome == "forged", raw
            if ai in ("21", "91"):
                assert outcome == "forged", raw
    if ai == "01":  # a GTIN check digit catches every single-digit change at parse time
        assert outcomes == {"unreadable"}
    if ai == "92":  # a changed key id names another key (forged) or none we hold
        assert outcomes == {"forged", "unknown_key"}


def test_signature_from_another_key_is_forged() -> None:
    code = _code()
    k1 = SigningKeys({"K1": KEY_1}, current="K1")
    other = issue_code(gtin=GTIN, region_code=code.region_code, keys=k1, serial=code.serial)
    relabelled = "K2" + other.signature[2:]  # K1's MAC presented as K2's
    assert verify(_read(_with_field(code, "92", relabelled)), keys=KEYS) == "forged"
    stranger = SigningKeys({"K2": KEY_1}, current="K2")  # same id, someone else's key
    forged = issue_code(gtin=GTIN, region_code="CN-GD_SZ", keys=stranger, serial=code.serial)
    assert verify(_read(forged.element_string), keys=KEYS) == "forged"


def test_region_or_signature_swapped_between_codes_is_forged() -> None:
    north, south = _code(region="NORTH"), _code(region="SOUTH")
    assert verify(_read(_with_field(north, "91", "SOUTH")), keys=KEYS) == "forged"
    assert verify(_read(_with_field(north, "92", south.signature)), keys=KEYS) == "forged"
    assert verify(_read(_with_field(north, "21", south.serial)), keys=KEYS) == "forged"


def test_missing_region_or_signature_and_junk_signatures_are_forged() -> None:
    code = _code()
    assert verify(_read(f"(01){code.gtin}(21){code.serial}(91)R"), keys=KEYS) == "forged"
    assert verify(_read(f"(01){code.gtin}(21){code.serial}(92){code.signature}"), keys=KEYS) == (
        "forged"
    )
    for junk in ("", "K2", "K2-", "-ABC", "K2-ÄÖÜ", "K2-" + "A" * 200, "TOOLONGID-AAAA"):
        fake = ParsedCarton(code.gtin, code.serial, code.region_code, junk, "hri")
        assert verify(fake, keys=KEYS) == "forged", junk


def test_rotation_old_key_verifies_new_codes_use_new_key() -> None:
    before = SigningKeys({"K1": KEY_1}, current="K1")
    old = issue_code(gtin=GTIN, region_code="EAST", keys=before)
    after = SigningKeys({"K1": KEY_1, "K2": KEY_2}, current="K2")
    new = issue_code(gtin=GTIN, region_code="EAST", keys=after)
    assert (old.key_id, new.key_id) == ("K1", "K2")
    assert new.signature.startswith("K2-")
    assert verify(_read(old.element_string), keys=after) == "valid"
    assert verify(_read(new.element_string), keys=after) == "valid"
    retired = SigningKeys({"K2": KEY_2}, current="K2")
    assert verify(_read(old.element_string), keys=retired) == "unknown_key"
    assert verify(_read(new.element_string), keys=before) == "unknown_key"


# --- unreadable ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "empty"),
        (" \r\n\t", "empty"),
        ("1" * 5000, "too long"),
        ("hello world", "starts with digits"),
        ("4006381333931", "product barcode"),
        ("]E04006381333931", "product barcode"),
        ("0104006381333932", "check digit"),
        ("(01)04006381333932(21)ABCDEFGHIJ", "check digit"),
        ("(01)04006381333931", "without a serial"),
        ("(01)04006381333931(10)LOT1", "without a serial"),
        ("(10)LOT1(17)250101", "without a GTIN"),
        ("(00)106141412345678908(01)04006381333931(21)ABCDEFGHIJ", "both a pallet"),
        ("(00)106141412345678907", "check digit"),
        ("(99)", "not a GS1 element string"),
        ("0104006381333931¤¤", "not a GS1 element string"),
        ("]", "symbology identifier"),
        ("]C1", "no data"),
        ("https://cg.example.com/about", "not a GS1 Digital Link"),
        ("https://cg.example.com/01/04006381333931/21/A/B", "not a GS1 Digital Link"),
        ("https://other.example/01/04006381333931/21/ABCDEFGHIJ", "not one of ours"),
        ("http://[::1", "not a valid URL"),
    ],
)
def test_unreadable_payloads_say_why(raw: str, reason: str) -> None:
    parsed = parse_payload(raw, allowed_hosts={HOST})
    assert isinstance(parsed, Unreadable), parsed
    assert reason in parsed.reason


def test_ambiguous_payload_without_separators_is_unreadable_not_forged() -> None:
    # Region "X92K1" lets "92" start the signature in two places once GS is dropped.
    code = _code(region="X92K1")
    parsed = parse_payload(code.element_string_fnc1.replace(GS, ""), allowed_hosts=None)
    assert isinstance(parsed, Unreadable)
    assert "more than one way" in parsed.reason
    assert verify(_read(code.element_string_fnc1), keys=KEYS) == "valid"


# --- pallets ---------------------------------------------------------------------------


def test_new_sscc_is_valid_random_and_keeps_the_company_prefix() -> None:
    ssccs = {new_sscc("6901234", extension_digit=3) for _ in range(200)}
    assert len(ssccs) == 200
    for sscc in ssccs:
        assert re.fullmatch(r"36901234\d{10}", sscc)
        assert Sscc.parse(sscc).value == sscc
        assert validate_sscc(sscc) == sscc
    with pytest.raises(ValueError, match="4 to 12"):
        new_sscc("123")
    with pytest.raises(ValueError, match="digits"):
        new_sscc("69O1234")
    with pytest.raises(ValueError, match="check digit"):
        validate_sscc("106141412345678907")


@pytest.mark.parametrize(
    "template",
    [
        "(00){s}",
        "00{s}",
        "]C100{s}\r\n",
        "]d2" + "00{s}" + GS + "02" + GTIN + "37" + "12",
        "https://cg.example.com/00/{s}",
        "https://cg.example.com/00/{s}?02=" + GTIN + "&37=12",
    ],
)
def test_pallet_codes_parse_to_the_sscc(template: str) -> None:
    sscc = new_sscc("6901234")
    parsed = parse_payload(template.format(s=sscc), allowed_hosts={HOST})
    assert isinstance(parsed, ParsedPallet), parsed
    assert parsed.sscc == sscc


def test_normalize_gtin_accepts_every_gtin_length() -> None:
    assert normalize_gtin("96385074") == "00000096385074"
    assert normalize_gtin("036000291452") == "00036000291452"
    assert normalize_gtin(" 4006381333931 ") == "04006381333931"
    assert normalize_gtin(GTIN) == GTIN
    with pytest.raises(ValueError, match="check digit"):
        normalize_gtin("4006381333930")


_NEAR_MISSES = st.sampled_from(
    [
        *("(01)", "(21)", "(91)", "(92)", "(00)", "01", "21", "91", "92", "00", GS, GTIN),
        *("]C1", "]Q1", "]d2", "]X9", "]", "https://h/", "http://[", "://", "/01/", "/21/"),
        *("?91=", "&92=", "K1-", "%2F", "#", "106141412345678908", "(", ")", " ", "\r\n"),
    ]
)


@settings(max_examples=1500, deadline=None)
@given(
    st.one_of(
        st.text(),
        st.lists(st.one_of(_NEAR_MISSES, st.text(max_size=5)), max_size=12).map("".join),
    )
)
def test_property_any_text_parses_to_an_outcome_without_raising(raw: str) -> None:
    parsed = parse_payload(raw, allowed_hosts=None)
    assert isinstance(parsed, ParsedCarton | ParsedPallet | Unreadable)
    if isinstance(parsed, Unreadable):
        assert parsed.reason
