"""Hostile input over the API: every odd value a client or fuzzer can send is a 4xx that says
why, never a 500, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import Api

BIG = [2**31, 2**63, 2**64, 10**30]


def test_huge_ids_in_the_path_are_404_or_422(api: Api) -> None:
    for value in [*BIG, -1, 0]:
        for path in (
            "/api/v1/violations/{v}",
            "/api/v1/code-batches/{v}",
            "/api/v1/code-batches/{v}/codes",
            "/api/v1/code-batches/{v}/codes.csv",
            "/api/v1/code-batches/{v}/labels.pdf",
        ):
            r = api.get("admin", path.format(v=value))
            assert r.status_code in (404, 422), (path, value, r.text)
        r = api.post("auditor", f"/api/v1/violations/{value}/decide", json={"decision": "dismiss"})
        assert r.status_code in (404, 422), r.text
        r = api.post("inspector", f"/api/v1/notifications/{value}/read")
        assert r.status_code in (404, 422), r.text


def test_huge_offsets_and_cursors_are_answered(api: Api) -> None:
    for value in BIG:
        for path, param in [
            ("/api/v1/regions", "offset"),
            ("/api/v1/violations", "offset"),
            ("/api/v1/waybills", "offset"),
            ("/api/v1/regions", "limit"),
            ("/api/v1/audit-log", "after_seq"),
            ("/epcis/events", "after"),
        ]:
            r = api.get("admin", path, params={param: value})
            # A cursor past the end is an empty page; an offset past int4 is 422.
            assert r.status_code in (200, 422), (path, param, value, r.text)
            if r.status_code == 422:
                assert r.json()["detail"][0]["loc"][-1] == param


def test_cursors_as_large_as_a_bigint_are_answered(api: Api) -> None:
    # oldest first, nothing comes after the largest cursor; newest first, everything is before it
    r = api.get("auditor", "/api/v1/audit-log", params={"after_seq": 2**63 - 1, "order": "asc"})
    assert r.status_code == 200, r.text
    assert r.json()["items"] == []
    r = api.get("auditor", "/api/v1/audit-log", params={"after_seq": 2**63 - 1})
    assert r.status_code == 200, r.text
    assert r.json()["items"] == api.get("auditor", "/api/v1/audit-log").json()["items"]
    assert api.get("admin", "/api/v1/audit-log", params={"after_seq": 2**63}).status_code == 422


def test_timestamps_that_overflow_in_utc_are_422(api: Api) -> None:
    for at in ["0001-01-01T00:00:00+08:00", "9999-12-31T23:59:59-14:00"]:
        _overflowing_timestamp(api, at)
    # Dates a business never meets are typos; arithmetic on them (deadlines) would overflow.
    r = api.post(
        "admin",
        "/api/v1/waybills",
        json={
            "number": "WB-FAR",
            "vehicle_plate": "鲁A12345",
            "dispatched_at": "2026-11-20T08:00:00+08:00",
            "expected_arrival": "9999-12-31T23:59:59Z",
            "destination_distributor_code": "D-370100-1",
            "route_region_codes": ["370100"],
            "issuer": "x",
            "salesperson_code": "SP-370100",
            "carton_payloads": ["x"],
        },
    )
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["loc"] == ["body", "expected_arrival"]


def _overflowing_timestamp(api: Api, at: str) -> None:
    r = api.post(
        "inspector",
        "/api/v1/scans",
        json={"scans": [{"payload": "x", "checkpoint_code": "JN-G2-N", "scanned_at": at}]},
    )
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["loc"] == ["body", "scans", 0, "scanned_at"]
    r = api.get("admin", "/epcis/events", params={"GE_eventTime": at})
    assert r.status_code == 422, r.text


def test_periods_out_of_range_or_in_fullwidth_digits_are_422(api: Api) -> None:
    for period in ["0000-01", "0001-01", "9999-12", "２０２６-０１", "2026-１1"]:
        _bad_period(api, period)
    assert api.get("auditor", "/api/v1/ledger/balances", params={"period": "2026-01"}).is_success


def _bad_period(api: Api, period: str) -> None:
    for path in ("/api/v1/ledger/balances", "/api/v1/reports/scorecards"):
        r = api.get("auditor", path, params={"period": period})
        assert r.status_code == 422, (path, r.text)
    r = api.client.put(
        f"/api/v1/reports/targets/distributor/D-370100-1/{period}",
        json={"target": "100.00"},
        headers=api.as_("admin"),
    )
    assert r.status_code == 422, r.text


def test_fullwidth_digits_are_not_a_gtin(api: Api) -> None:
    r = api.get("admin", "/api/v1/products/０６９０１２３４５６００１５")
    assert r.status_code in (404, 422), r.text
    r = api.post(
        "admin",
        "/api/v1/pallets",
        json={"sscc": "０" * 18, "carton_payloads": ["x"]},
    )
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["loc"] == ["body", "sscc"]


def _raw_post(api: Api, user: str, path: str, text: str) -> httpx.Response:
    headers = {**api.as_(user), "Content-Type": "application/json"}
    return api.client.post(path, content=text.encode("utf-8", "surrogatepass"), headers=headers)


def test_non_finite_numbers_are_422(api: Api) -> None:
    for number in ["NaN", "Infinity", "-Infinity", "1e400", "-1e400"]:
        _non_finite(api, number)


def _non_finite(api: Api, number: str) -> None:
    body = (
        '{"scans": [{"payload": "x", "checkpoint_code": "JN-G2-N", '
        f'"scanned_at": "2026-11-20T08:00:00+08:00", "lat": {number}, "lon": 117.0}}]}}'
    )
    r = _raw_post(api, "inspector", "/api/v1/scans", body)
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["loc"][-1] == "lat"
    r = _raw_post(
        api,
        "admin",
        "/api/v1/checkpoints",
        f'{{"code": "CP-X", "name": "x", "region_code": "370100", "lat": 36.6, "lon": {number}}}',
    )
    assert r.status_code == 422, r.text


def test_lone_surrogates_are_422(api: Api) -> None:
    for text in ['"\\ud800"', '"a\\udfffb"', '"\\udc00\\ud800"']:
        _surrogate(api, text)


def _surrogate(api: Api, text: str) -> None:
    r = _raw_post(
        api, "admin", "/api/v1/regions", f'{{"code": "R9", "name": {text}, "kind": "contested"}}'
    )
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["loc"] == ["body", "name"]
    r = _raw_post(
        api,
        "inspector",
        "/api/v1/scans",
        f'{{"scans": [{{"payload": {text}, "checkpoint_code": "JN-G2-N", '
        '"scanned_at": "2026-11-20T08:00:00+08:00"}]}',
    )
    assert r.status_code == 422, r.text


def test_a_422_echoes_only_a_short_prefix_of_the_input(api: Api) -> None:
    huge = "é" * 2_000_000
    r = api.post("admin", "/api/v1/regions", json={"code": huge, "name": "x", "kind": "contested"})
    assert r.status_code == 422
    assert len(r.content) < 2_000
    echoed = r.json()["detail"][0]["input"]
    assert isinstance(echoed, str) and echoed.startswith("éé") and len(echoed) <= 210
    r = api.post("admin", "/api/v1/regions", json=["x"] * 100_000)
    assert r.status_code == 422
    assert len(r.content) < 2_000


CONTROL_CASES = [
    ("admin", "POST", "/api/v1/regions", {"code": "R9", "name": "a\x00b", "kind": "contested"}),
    ("admin", "PATCH", "/api/v1/regions/370100", {"name": "济南\x00"}),
    ("admin", "PATCH", "/api/v1/checkpoints/JN-G2-N", {"name": "\x00"}),
    ("admin", "POST", "/api/v1/cartons/AAAAAAAAAA/void", {"reason": "lost\x00"}),
    ("jinan-distributor", "POST", "/api/v1/violations/1/appeal", {"reason": "no\x00"}),
    ("auditor", "POST", "/api/v1/violations/1/decide", {"decision": "dismiss", "note": "\x00"}),
    ("auditor", "POST", "/api/v1/violations/1/reverse", {"note": "a\x07b"}),
]


def test_control_characters_in_stored_text_are_422_naming_the_field(api: Api) -> None:
    for user, method, path, body in CONTROL_CASES:
        r = api.client.request(method, path, json=body, headers=api.as_(user))
        assert r.status_code == 422, (path, r.text)
        (field,) = body if len(body) == 1 else [k for k, v in body.items() if "\x00" in str(v)]
        assert r.json()["detail"][0]["loc"] == ["body", field]


def test_text_may_hold_line_breaks_and_tabs(api: Api) -> None:
    r = api.patch("admin", "/api/v1/regions/370100", json={"name": "济南\t市"})
    assert r.status_code == 200, r.text


def test_nul_in_path_codes_is_4xx(api: Api) -> None:
    for path in ["/api/v1/regions/A%00B", "/api/v1/distributors/%00", "/api/v1/waybills/WB%00"]:
        r = api.get("admin", path)
        assert r.status_code in (404, 422), r.text


def test_nul_in_query_filters_is_never_a_500(api: Api) -> None:
    """A filter no row can match: an empty list (SQLite) or 422 (PostgreSQL cannot even
    compare text with NUL), never a 500."""
    for path, params in [
        ("/api/v1/regions", {"parent_code": "37\x00"}),
        ("/api/v1/violations", {"distributor_code": "\x00"}),
        ("/api/v1/audit-log", {"entity_key": "\x00"}),
    ]:
        r = api.get("admin" if "audit" not in path else "auditor", path, params=params)
        assert r.status_code in (200, 404, 422), (path, r.text)
        if r.status_code == 200:
            assert r.json()["items"] == []
    # A cursor before every serial is the first page.
    r = api.get("admin", "/api/v1/code-batches/1/codes", params={"after": "\x00"})
    assert r.status_code in (200, 404, 422), r.text


def test_nul_in_the_idempotency_key_is_422(api: Api) -> None:
    r = api.client.post(
        "/api/v1/scans",
        json={
            "scans": [
                {
                    "payload": "x",
                    "checkpoint_code": "JN-G2-N",
                    "scanned_at": "2026-11-20T08:00:00+08:00",
                }
            ]
        },
        headers=[*api.as_("inspector").items(), ("Idempotency-Key", "k\x00")],
    )
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["loc"] == ["header", "idempotency-key"]


def _chunks(total: int, size: int = 64 * 1024) -> Iterator[bytes]:
    yield b'{"scans": [{"payload": "'
    sent = 0
    while sent < total:
        yield b"A" * size
        sent += size
    yield b'", "scanned_at": "2026-11-20T08:00:00+08:00", "checkpoint_code": "JN-G2-N"}]}'


def test_a_chunked_body_over_the_limit_is_413(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    from app.config import get_settings
    from app.main import create_app

    monkeypatch.setenv("CG_MAX_REQUEST_BYTES", "100000")
    get_settings.cache_clear()
    app = create_app()
    get_settings.cache_clear()
    transport = httpx.ASGITransport(app=app)
    consumed = 0

    def body() -> Iterator[bytes]:
        nonlocal consumed
        for chunk in _chunks(1_000_000):
            consumed += len(chunk)
            yield chunk

    async def send(chunks: Iterator[bytes]) -> httpx.Response:
        """Upload the chunks as they come, without a Content-Length."""
        async with httpx.AsyncClient(transport=transport, base_url="http://cg") as client:

            async def gen() -> object:
                for c in chunks:
                    yield c

            return await client.post(
                "/api/v1/scans",
                content=gen(),  # type: ignore[arg-type]
                headers={**api.as_("inspector"), "Content-Type": "application/json"},
            )

    import anyio

    r = anyio.run(send, body())
    assert r.status_code == 413, r.text
    assert "100000" in r.json()["detail"]
    # Reading stopped at the limit: the rest of the 1 MB upload was never pulled.
    assert consumed < 300_000

    # Small enough bodies still go through.
    r = anyio.run(send, _chunks(1000, 100))
    assert r.status_code == 200, r.text
    assert r.json()["results"][0]["verdict"] == "unreadable"


def test_a_chunked_upload_over_http_is_413(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same through the synchronous test client, which streams a generator body with
    Transfer-Encoding: chunked."""
    from fastapi.testclient import TestClient

    from app.config import get_settings
    from app.main import create_app

    monkeypatch.setenv("CG_MAX_REQUEST_BYTES", "100000")
    get_settings.cache_clear()
    app = create_app()
    get_settings.cache_clear()
    with TestClient(app) as client:
        r = client.post(
            "/api/v1/scans",
            content=_chunks(1_000_000),
            headers={**api.as_("inspector"), "Content-Type": "application/json"},
        )
    assert r.status_code == 413, r.text
    assert r.json() == {"detail": "request body larger than 100000 bytes"}


def test_malformed_json_is_422_not_500(api: Api) -> None:
    for text in ["{", '{"scans": [}', "\x00", '{"a": "\\u0000"}', "[" * 10_000]:
        r = _raw_post(api, "inspector", "/api/v1/scans", text)
        # 400 for a document nested too deep to parse, 422 for one that is not JSON.
        assert r.status_code in (400, 422), (text[:20], r.text)
        json.dumps(r.json())
