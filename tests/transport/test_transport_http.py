"""Over real HTTP (`channelguard serve`): the vehicle register, waybills only for approved
vehicles, the printed waybill with its signed QR, a checkpoint's look at the truck, and the route
notifications in the inboxes along the route."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from app.codes.decode import decode_image
from tests.conftest import LiveServer

LAGER = "06901234560015"
NOW = datetime.now(UTC)


class Http:
    def __init__(self, server: LiveServer) -> None:
        self.server = server
        self.client = httpx.Client(base_url=server.base_url, timeout=60)

    def __call__(self, method: str, user: str, path: str, **kw: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.server.tokens[user]}", **kw.pop("headers", {})}
        return self.client.request(method, f"/api/v1{path}", headers=headers, **kw)


@pytest.fixture(scope="module")
def http(live_server: LiveServer) -> Http:
    return Http(live_server)


def _cartons(http: Http, region: str, n: int) -> list[str]:
    r = http(
        "POST", "admin", "/code-batches", json={"gtin": LAGER, "region_code": region, "quantity": n}
    )
    assert r.status_code == 201, r.text
    return [c["payload"] for c in r.json()["codes"]]


def _waybill(
    http: Http, number: str, plate: str, dest: str = "D-370200-1", **kw: Any
) -> httpx.Response:
    body = {
        "number": number,
        "vehicle_plate": plate,
        "dispatched_at": (NOW - timedelta(hours=1)).isoformat(),
        "expected_arrival": (NOW + timedelta(hours=6)).isoformat(),
        "destination_distributor_code": dest,
        "route_region_codes": ["370100", "370300", "370700", "370200"],
        "issuer": "物流部 王",
        "salesperson_code": "SP-370200",
        "carton_payloads": kw.pop("cartons", None) or _cartons(http, "370200", 2),
        **kw,
    }
    return http("POST", "admin", "/waybills", json=body)


VEHICLE = {
    "plate": "鲁B·6K7M8",
    "owner": "青岛顺达物流有限公司",
    "driver_name": "张师傅",
    "driver_phone": "13800138000",
    "distributor_codes": ["D-370200-1"],
}


def test_register_edit_revoke_and_who_may(http: Http) -> None:
    assert (
        http("POST", "admin", "/vehicles", json={**VEHICLE, "plate": "鲁I12345"}).status_code == 422
    )
    assert (
        http("POST", "admin", "/vehicles", json={**VEHICLE, "plate": "ABC123"}).status_code == 422
    )
    r = http("POST", "admin", "/vehicles", json={**VEHICLE, "distributor_codes": ["NOPE"]})
    assert r.status_code == 422 and "distributor_codes" in r.text
    assert http("POST", "jinan-distributor", "/vehicles", json=VEHICLE).status_code == 403
    r = http("POST", "auditor", "/vehicles", json=VEHICLE)
    assert r.status_code == 201, r.text
    assert r.json()["plate"] == "鲁B6K7M8" and r.json()["status"] == "active"
    dup = http("POST", "admin", "/vehicles", json={**VEHICLE, "plate": "鲁b 6k7m8"})
    assert dup.status_code == 409
    plate = quote("鲁B6K7M8")
    r = http("PATCH", "admin", f"/vehicles/{plate}", json={"driver_phone": "13900139000"})
    assert r.status_code == 200 and r.json()["driver_phone"] == "13900139000"
    # A distributor sees only the vehicles approved to deliver to it.
    assert http("GET", "jinan-distributor", f"/vehicles/{plate}").status_code == 404
    listed = http("GET", "jinan-distributor", "/vehicles").json()
    assert all("D-370100-1" in v["distributor_codes"] for v in listed["items"])
    everyone = http("GET", "admin", "/vehicles", params={"q": "6K7"}).json()
    assert [v["plate"] for v in everyone["items"]] == ["鲁B6K7M8"]


def test_waybills_only_for_approved_vehicles(http: Http) -> None:
    plate = "鲁B12321"
    r = http("POST", "admin", "/vehicles", json={**VEHICLE, "plate": plate})
    assert r.status_code == 201, r.text
    # Registered but not approved for this destination: 409 with the reason, nothing issued.
    r = _waybill(http, "WB-V-NA", plate, dest="D-370100-1", salesperson_code="SP-370100")
    assert r.status_code == 409, r.text
    assert r.json()["detail"]["reason"] == "vehicle_not_approved_for_distributor"
    assert http("GET", "admin", "/waybills/WB-V-NA").status_code == 404
    # The plate as written on paper, with a dot: still the registered vehicle.
    assert _waybill(http, "WB-V-OK", "鲁B·12321").status_code == 201
    r = http("POST", "admin", f"/vehicles/{quote(plate)}/revoke", json={"reason": "车辆报废"})
    assert r.status_code == 200 and r.json()["status"] == "revoked"
    again = http("POST", "admin", f"/vehicles/{quote(plate)}/revoke", json={"reason": "x"})
    assert again.status_code == 409
    r = _waybill(http, "WB-V-RV", plate)
    assert r.status_code == 409 and r.json()["detail"]["reason"] == "vehicle_revoked"
    # An unregistered plate still passes under the default setting (older clients).
    assert _waybill(http, "WB-V-UN", "鲁A1").status_code == 201


def _pdf_qr(pdf: bytes, tmp_path: Path) -> str:
    (tmp_path / "w.pdf").write_bytes(pdf)
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            "200",
            "-png",
            "-f",
            "1",
            "-l",
            "1",
            str(tmp_path / "w.pdf"),
            str(tmp_path / "p"),
        ],
        check=True,
    )
    (page,) = sorted(tmp_path.glob("p-*.png"))
    texts = [s.text for s in decode_image(page.read_bytes()) if s.symbology == "QRCode"]
    assert len(texts) == 1
    return texts[0]


def test_printed_waybill_qr_lets_a_checkpoint_check_the_truck(http: Http, tmp_path: Path) -> None:
    plate = "鲁B77889"
    assert http("POST", "admin", "/vehicles", json={**VEHICLE, "plate": plate}).status_code == 201
    cartons = _cartons(http, "370200", 3)
    assert _waybill(http, "WB-PRINT", plate, cartons=cartons).status_code == 201

    r = http("GET", "admin", "/waybills/WB-PRINT/waybill.pdf")
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    (tmp_path / "w.pdf").write_bytes(r.content)
    text = subprocess.run(
        ["pdftotext", str(tmp_path / "w.pdf"), "-"], check=True, capture_output=True, text=True
    ).stdout
    for expected in (
        "控制运货单",
        "WB-PRINT",
        "济南市 → 淄博市 → 潍坊市 → 青岛市",
        plate,
        "张师傅",
        "3 箱",
    ):
        assert expected in text, expected
    fonts = subprocess.run(
        ["pdffonts", str(tmp_path / "w.pdf")], check=True, capture_output=True, text=True
    ).stdout
    cjk = [line for line in fonts.splitlines() if "WenQuanYi" in line]
    assert cjk and all(" yes " in line for line in cjk)  # embedded
    qr = _pdf_qr(r.content, tmp_path)
    assert "/waybills/WB-PRINT/inspect?t=" in qr

    # Who may print it: the destination distributor, not another one; an unknown number is 404.
    assert http("GET", "liaocheng-distributor", "/waybills/WB-PRINT/waybill.pdf").status_code == 404
    assert http("GET", "jinan-distributor", "/waybills/WB-PRINT/waybill.pdf").status_code == 404
    assert http("GET", "admin", "/waybills/NOPE/waybill.pdf").status_code == 404

    # The checkpoint on the route reads the QR (with the reader's CR/LF) and the truck's plate.
    look = {"qr": qr + "\r\n", "vehicle_plate": "鲁B 77889", "checkpoint_code": "ZB-G20"}
    r = http("POST", "inspector", "/waybill-inspections", json=look)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["verdict"] == "ok" and out["plate_matches"] and out["on_route"]
    assert [s["name"] for s in out["route"]] == ["济南市", "淄博市", "潍坊市", "青岛市"]
    assert out["cartons"] == 3 and out["vehicle_registered"] and out["driver"] == "张师傅"
    # Another truck carrying this paper, at a checkpoint off the route.
    r = http(
        "POST",
        "inspector",
        "/waybill-inspections",
        json={**look, "vehicle_plate": "鲁B00001", "checkpoint_code": "LC-G3"},
    )
    assert r.status_code == 200
    assert r.json()["findings"] == ["plate_mismatch", "off_route"]
    # A copied number with a made-up token, and something that is not a waybill QR: 422.
    forged = qr.split("?t=")[0] + "?t=D1.AAAAAAAAAAAAAAAAAAAAAAAA"
    for bad in (forged, "https://example.com/", "WB-PRINT"):
        r = http("POST", "inspector", "/waybill-inspections", json={**look, "qr": bad})
        assert r.status_code == 422, bad
    assert http("POST", "jinan-distributor", "/waybill-inspections", json=look).status_code == 403


def test_route_notifications_reach_the_inboxes_along_the_route(http: Http) -> None:
    assert _waybill(http, "WB-ROUTE", "鲁A2").status_code == 201
    for user, expect in (
        ("jinan-distributor", True),
        ("jinan-sales", True),
        ("liaocheng-distributor", False),
    ):
        inbox = http("GET", user, "/inbox", params={"limit": 200}).json()
        numbers = {i["data"].get("number") for i in inbox["items"] if i["kind"] == "waybill.issued"}
        assert ("WB-ROUTE" in numbers) is expect, user
