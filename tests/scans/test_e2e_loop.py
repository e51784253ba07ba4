"""The inspector's loop over real HTTP against `channelguard serve`, with real concurrency:
issue codes, ship and deliver them, scan them in and out of region, retry, race."""

from __future__ import annotations

import io
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import segno

from tests.conftest import LiveServer

LAGER = "06901234560015"
NOW = datetime.now(UTC).replace(microsecond=0)


def client(server: LiveServer, user: str) -> httpx.Client:
    return httpx.Client(
        base_url=server.base_url,
        timeout=60,
        headers={"Authorization": f"Bearer {server.tokens[user]}"},
    )


@pytest.fixture(scope="module")
def shipped(live_server: LiveServer) -> list[dict[str, Any]]:
    """Twelve Jinan cartons delivered to Jinan's leading distributor."""
    admin = client(live_server, "admin")
    r = admin.post(
        "/api/v1/code-batches", json={"gtin": LAGER, "region_code": "370100", "quantity": 12}
    )
    assert r.status_code == 201, r.text
    codes: list[dict[str, Any]] = r.json()["codes"]
    number = f"WB-{uuid.uuid4().hex[:8]}"
    r = admin.post(
        "/api/v1/waybills",
        json={
            "number": number,
            "vehicle_plate": "鲁A00001",
            "dispatched_at": (NOW - timedelta(days=2)).isoformat(),
            "expected_arrival": (NOW - timedelta(days=1)).isoformat(),
            "destination_distributor_code": "D-370100-1",
            "route_region_codes": ["370100"],
            "issuer": "物流部",
            "salesperson_code": "SP-370100",
            "carton_payloads": [c["payload"] for c in codes],
        },
    )
    assert r.status_code == 201, r.text
    assert r.json()["notified_users"] >= 2  # the Jinan distributor and salesperson users
    assert admin.post(f"/api/v1/waybills/{number}/deliver").json()["status"] == "delivered"
    assert admin.post(f"/api/v1/waybills/{number}/deliver").status_code == 409
    return codes


def scan(
    c: httpx.Client, payload: str, where: str, at: datetime, key: str | None = None
) -> httpx.Response:
    headers = {"Idempotency-Key": key} if key else {}
    return c.post(
        "/api/v1/scans",
        headers=headers,
        json={
            "scans": [{"payload": payload, "checkpoint_code": where, "scanned_at": at.isoformat()}]
        },
    )


def test_route_notification_reaches_the_distributor(
    live_server: LiveServer, shipped: list[dict[str, Any]]
) -> None:
    def numbers(user: str) -> set[str]:
        notes = (
            client(live_server, user)
            .get("/api/v1/notifications", params={"limit": 500})
            .json()["items"]
        )
        return {n["data"]["number"] for n in notes if n["kind"] == "waybill.issued"}

    ours = numbers("jinan-distributor") - numbers("liaocheng-distributor")
    assert any(not n.startswith("WB-DEMO") for n in ours)
    # The Jinan-only waybill never reaches Liaocheng; the demo's Jinan→Liaocheng one does.
    assert "WB-DEMO-002" in numbers("liaocheng-distributor")


def test_in_region_then_diversion_over_http(
    live_server: LiveServer, shipped: list[dict[str, Any]]
) -> None:
    insp = client(live_server, "inspector")
    code = shipped[0]
    assert (
        scan(insp, code["payload"], "JN-G2-N", NOW - timedelta(hours=8)).json()["results"][0][
            "verdict"
        ]
        == "in_region"
    )
    res = scan(insp, code["element_string"], "LC-G3", NOW - timedelta(hours=2)).json()["results"][0]
    assert res["verdict"] == "diversion"
    history = client(live_server, "auditor").get(f"/api/v1/cartons/{code['serial']}").json()
    assert [s["verdict"] for s in history["scans"]] == ["in_region", "diversion"]


def test_simultaneous_scans_of_one_carton_count_it_once(
    live_server: LiveServer, shipped: list[dict[str, Any]]
) -> None:
    code = shipped[1]
    at = NOW - timedelta(hours=1)
    clients = [client(live_server, "inspector") for _ in range(8)]
    with ThreadPoolExecutor(8) as pool:
        responses = list(pool.map(lambda c: scan(c, code["payload"], "LC-G3", at), clients))
    assert all(r.status_code == 200 for r in responses), [r.text for r in responses]
    ids = {r.json()["results"][0]["violation_id"] for r in responses}
    assert len(ids) == 1 and None not in ids
    history = client(live_server, "auditor").get(f"/api/v1/cartons/{code['serial']}").json()
    assert len(history["scans"]) == 8
    assert {s["violation_id"] for s in history["scans"]} == ids


def test_concurrent_retries_of_one_batch_store_it_once(
    live_server: LiveServer, shipped: list[dict[str, Any]]
) -> None:
    code = shipped[2]
    key = f"flaky-{uuid.uuid4()}"
    clients = [client(live_server, "inspector") for _ in range(8)]
    at = NOW - timedelta(hours=3)
    with ThreadPoolExecutor(8) as pool:
        responses = list(pool.map(lambda c: scan(c, code["payload"], "JN-G2-N", at, key), clients))
    ok = [r for r in responses if r.status_code == 200]
    assert ok, [r.text for r in responses]
    assert all(r.status_code in (200, 409) for r in responses)
    assert all(
        "still being processed" in r.json()["detail"] for r in responses if r.status_code == 409
    )
    assert len({r.text for r in ok}) == 1
    history = client(live_server, "auditor").get(f"/api/v1/cartons/{code['serial']}").json()
    assert len(history["scans"]) == 1
    # A late retry after everything settled replays the same answer.
    assert scan(clients[0], code["payload"], "JN-G2-N", at, key).text == ok[0].text


def test_photo_of_two_cartons_gives_two_verdicts_and_keeps_the_photo(
    live_server: LiveServer, shipped: list[dict[str, Any]]
) -> None:
    from PIL import Image

    tiles = []
    for code in shipped[3:5]:
        buf = io.BytesIO()
        segno.make(code["payload"], error="m").save(buf, kind="png", scale=6, border=4)
        tiles.append(Image.open(io.BytesIO(buf.getvalue())).convert("L"))
    w = sum(t.width for t in tiles) + 40
    sheet = Image.new("L", (w, max(t.height for t in tiles)), 255)
    x = 0
    for t in tiles:
        sheet.paste(t, (x, 0))
        x += t.width + 40
    out = io.BytesIO()
    sheet.save(out, format="PNG")
    r = client(live_server, "inspector").post(
        "/api/v1/scans/photo",
        files={"file": ("stack.png", out.getvalue(), "image/png")},
        data={
            "checkpoint_code": "JN-G2-N",
            "scanned_at": (NOW - timedelta(minutes=30)).isoformat(),
        },
    )
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    assert sorted(x["serial"] for x in results) == sorted(c["serial"] for c in shipped[3:5])
    assert {x["verdict"] for x in results} == {"in_region"}
    assert {x["payload"] for x in results} == {c["payload"] for c in shipped[3:5]}
    history = client(live_server, "auditor").get(f"/api/v1/cartons/{shipped[3]['serial']}").json()
    assert len(history["scans"]) == 1
    sha = history["scans"][0]["photo_sha256"]
    photo = client(live_server, "auditor").get(f"/api/v1/scans/photos/{sha}")
    assert photo.status_code == 200
    assert photo.content == out.getvalue()
    assert photo.headers["content-type"] == "image/png"
    # In region: no violation, so no party may see it as evidence.
    assert (
        client(live_server, "jinan-distributor").get(f"/api/v1/scans/photos/{sha}").status_code
        == 404
    )


@pytest.mark.parametrize(
    ("content", "status"),
    [(b"not an image at all", 415), (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, 422)],
)
def test_hostile_photos_get_a_clear_4xx(
    live_server: LiveServer, content: bytes, status: int
) -> None:
    r = client(live_server, "inspector").post(
        "/api/v1/scans/photo",
        files={"file": ("x.png", content, "image/png")},
        data={"checkpoint_code": "JN-G2-N", "scanned_at": NOW.isoformat()},
    )
    assert r.status_code == status, r.text
    assert r.json()["detail"]


def test_evidence_photo_is_visible_to_the_parties_of_its_violation(
    live_server: LiveServer, shipped: list[dict[str, Any]]
) -> None:
    buf = io.BytesIO()
    segno.make(shipped[5]["payload"], error="m").save(buf, kind="png", scale=8, border=4)
    r = client(live_server, "inspector").post(
        "/api/v1/scans/photo",
        files={"file": ("shelf.png", buf.getvalue(), "image/png")},
        data={"checkpoint_code": "LC-G3", "scanned_at": (NOW - timedelta(minutes=5)).isoformat()},
    )
    assert r.status_code == 200, r.text
    (result,) = r.json()["results"]
    assert result["verdict"] == "diversion"
    history = client(live_server, "auditor").get(f"/api/v1/cartons/{shipped[5]['serial']}").json()
    sha = history["scans"][-1]["photo_sha256"]
    for user in ("jinan-distributor", "liaocheng-distributor", "jinan-sales", "auditor"):
        got = client(live_server, user).get(f"/api/v1/scans/photos/{sha}")
        assert got.status_code == 200, user
        assert got.content == buf.getvalue()
    assert (
        client(live_server, "jinan-sales").get(f"/api/v1/scans/photos/{'0' * 64}").status_code
        == 404
    )


def test_concurrent_batches_of_the_same_cartons_in_any_order(live_server: LiveServer) -> None:
    """Uploads racing over the same diverted cartons, listed in different orders, must all
    succeed and count every carton once (on PostgreSQL a careless lock order deadlocks)."""
    import random

    admin = client(live_server, "admin")
    codes = admin.post(
        "/api/v1/code-batches", json={"gtin": LAGER, "region_code": "370100", "quantity": 60}
    ).json()["codes"]
    at = NOW - timedelta(minutes=50)
    clients = [client(live_server, "inspector") for _ in range(3)]

    def upload(args: tuple[httpx.Client, list[dict[str, Any]]]) -> httpx.Response:
        c, items = args
        return c.post(
            "/api/v1/scans",
            json={
                "scans": [
                    {
                        "payload": x["payload"],
                        "checkpoint_code": "LC-G3",
                        "scanned_at": at.isoformat(),
                    }
                    for x in items
                ]
            },
        )

    rng = random.Random(7)
    for _ in range(4):
        # Overlapping but different sets, in different orders.
        orders = [rng.sample(codes, 40) for _ in clients]
        with ThreadPoolExecutor(len(clients)) as pool:
            responses = list(pool.map(upload, zip(clients, orders, strict=True)))
        assert all(r.status_code == 200 for r in responses), [r.text[:300] for r in responses]
        violation_of: dict[str, int] = {}
        for r in responses:
            for x in r.json()["results"]:
                assert x["violation_id"] is not None
                assert violation_of.setdefault(x["payload"], x["violation_id"]) == x["violation_id"]
    counted = (
        client(live_server, "auditor")
        .get("/api/v1/violations", params={"status": "open", "limit": 500})
        .json()["items"]
    )
    serials = [s for v in counted for s in v["carton_serials"] if s in {c["serial"] for c in codes}]
    assert len(serials) == len(set(serials))  # no carton counted twice
