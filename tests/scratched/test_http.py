"""Scratched-off cartons (刮码) over real HTTP against `channelguard serve` (run with
CG_TEST_DB=postgres for PostgreSQL): an inspector records the carton with photos, product,
count, place and price; a bottle's item code names the carton and its region after all and gets
the normal verdict; HQ lists the records; retries and bad input are refused precisely."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from PIL import Image

from tests.conftest import LiveClient, LiveServer

BEER_GTIN = "06901234560015"


def png(colour: tuple[int, int, int]) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(buf, format="PNG")
    return buf.getvalue()


class Http(LiveClient):
    def ok(self, method: str, path: str, **kw: Any) -> Any:
        r = self.call(method, "admin", path, **kw)
        assert r.status_code in (200, 201), r.text
        return r.json()

    def record(
        self, user: str = "inspector", *, photos: list[bytes] | None = None, **fields: Any
    ) -> httpx.Response:
        data = {"observed_at": datetime.now(UTC).isoformat(), **fields}
        files = [("photos", (f"p{i}.png", p, "image/png")) for i, p in enumerate(photos or [])]
        headers = {}
        if "key" in data:
            headers["Idempotency-Key"] = data.pop("key")
        return self.call(
            "POST", user, "/scratched-cartons", data=data, files=files or None, headers=headers
        )

    def packed_bottle(self, *, delivered_to: str, number: str) -> tuple[str, str, str]:
        """A Jinan carton delivered to Jinan's distributor with one bottle code packed in it:
        the carton's serial, the bottle's serial and the bottle's payload."""
        carton = self.ok(
            "POST",
            "/code-batches",
            json={"gtin": BEER_GTIN, "region_code": "370100", "quantity": 1},
        )["codes"][0]
        bottle = self.ok(
            "POST",
            "/code-batches",
            json={"gtin": BEER_GTIN, "region_code": "370100", "quantity": 1, "level": "item"},
        )["codes"][0]
        self.ok(
            "POST", f"/cartons/{carton['serial']}/items", json={"payloads": [bottle["payload"]]}
        )
        now = datetime.now(UTC)
        self.ok(
            "POST",
            "/waybills",
            json={
                "number": number,
                "vehicle_plate": "鲁A12345",
                "dispatched_at": (now - timedelta(hours=5)).isoformat(),
                "expected_arrival": (now - timedelta(hours=1)).isoformat(),
                "destination_distributor_code": delivered_to,
                "route_region_codes": ["370100"],
                "issuer": "logistics",
                "salesperson_code": "SP-370100",
                "carton_payloads": [carton["element_string"]],
            },
        )
        self.ok("POST", f"/waybills/{number}/deliver", json={})
        return carton["serial"], bottle["serial"], bottle["payload"]


@pytest.fixture(scope="module")
def http(live_server: LiveServer) -> Iterator[Http]:
    with Http(live_server) as h:
        yield h


def test_a_scratched_carton_is_recorded_with_its_photos_and_hq_lists_it(http: Http) -> None:
    photos = [png((200, 30, 30)), png((30, 30, 200))]
    r = http.record(
        photos=photos,
        checkpoint_code="LC-G3",
        gtin=BEER_GTIN,
        carton_count="3",
        observed_price="3.20",
        note="箱码被刮掉，店主称从济南进货",
    )
    assert r.status_code == 201, r.text
    rec = r.json()
    assert (rec["region_code"], rec["region_name"]) == ("371500", "聊城市")
    assert rec["checkpoint_code"] == "LC-G3"
    assert rec["product_gtin"] == BEER_GTIN and rec["product_name"]
    assert (rec["carton_count"], rec["observed_price"]) == (3, "3.20")
    assert rec["note"] == "箱码被刮掉，店主称从济南进货"
    assert rec["recorded_by"] == "inspector"
    assert rec["recorded_by_name"] == "王建国"  # HQ reads who it was by name
    assert rec["verdict"] is None and rec["carton_serial"] is None
    assert len(rec["photos"]) == 2
    # Each photo is kept as evidence and HQ can open it.
    for sha, data in zip(rec["photos"], photos, strict=True):
        got = http.call("GET", "auditor", f"/scans/photos/{sha}")
        assert got.status_code == 200 and got.content == data

    listed = http.call("GET", "auditor", "/scratched-cartons")
    assert listed.status_code == 200, listed.text
    assert rec["id"] in {i["id"] for i in listed.json()["items"]}


def test_a_bottle_code_names_the_carton_and_its_region_with_the_normal_verdict(
    http: Http,
) -> None:
    carton, bottle, payload = http.packed_bottle(delivered_to="D-370100-1", number="WB-SCR-1")
    body = {"checkpoint_code": "LC-G3", "carton_count": "1", "item_payload": payload}
    r = http.record(photos=[png((10, 120, 10))], key="scratch-1", **body)
    assert r.status_code == 201, r.text
    rec = r.json()
    assert rec["carton_serial"] == carton
    assert (rec["carton_region_code"], rec["carton_region_name"]) == ("370100", "济南市")
    assert rec["verdict"] == "diversion"
    assert rec["violation_id"] is not None
    assert rec["scan"]["item_serial"] == bottle
    assert rec["scan"]["reason"]["code"]
    # The product comes from the carton when the inspector did not pick one.
    assert rec["product_gtin"] == BEER_GTIN

    # The phone retries after losing the answer: the same record, and the carton scanned once.
    again = http.record(photos=[png((10, 120, 10))], key="scratch-1", **body)
    assert again.status_code == 201, again.text
    assert again.json()["id"] == rec["id"]
    scans = http.ok("GET", f"/cartons/{carton}")["scans"]
    assert [s["verdict"] for s in scans] == ["diversion"]

    violation = http.ok("GET", f"/violations/{rec['violation_id']}")
    assert carton in violation["carton_serials"]
    assert violation["diverting_distributor_code"] == "D-370100-1"


def test_a_bottle_found_at_home_is_in_region(http: Http) -> None:
    carton, _bottle, payload = http.packed_bottle(delivered_to="D-370100-1", number="WB-SCR-2")
    r = http.record(checkpoint_code="JN-G2-N", item_payload=payload)
    assert r.status_code == 201, r.text
    assert (r.json()["carton_serial"], r.json()["verdict"]) == (carton, "in_region")
    assert r.json()["violation_id"] is None


def test_gps_places_the_record(http: Http) -> None:
    r = http.record(lat="36.489", lon="115.950")
    assert r.status_code == 201, r.text
    assert r.json()["region_code"] == "371500"
    assert r.json()["checkpoint_code"] is None


@pytest.mark.parametrize(
    ("fields", "status", "says"),
    [
        ({}, 422, "checkpoint_code"),
        ({"checkpoint_code": "NOPE-1"}, 422, "unknown checkpoint"),
        ({"lat": "0.0", "lon": "0.0"}, 422, "inside no region"),
        ({"checkpoint_code": "LC-G3", "gtin": "12345678"}, 422, "unknown product"),
        ({"checkpoint_code": "LC-G3", "observed_price": "abc"}, 422, "observed_price"),
        ({"checkpoint_code": "LC-G3", "carton_count": "0"}, 422, "carton_count"),
        ({"checkpoint_code": "LC-G3", "observed_at": "yesterday"}, 422, "observed_at"),
        ({"checkpoint_code": "LC-G3", "lat": "36.4"}, 422, "both lat and lon"),
    ],
)
def test_bad_input_is_a_precise_422(
    http: Http, fields: dict[str, str], status: int, says: str
) -> None:
    r = http.record(**fields)
    assert r.status_code == status, r.text
    assert says in str(r.json()["detail"])


def test_a_file_that_is_not_a_photo_is_415(http: Http) -> None:
    r = http.call(
        "POST",
        "inspector",
        "/scratched-cartons",
        data={"observed_at": datetime.now(UTC).isoformat(), "checkpoint_code": "LC-G3"},
        files=[("photos", ("x.png", b"not an image at all", "image/png"))],
    )
    assert r.status_code == 415, r.text


@pytest.mark.parametrize("user", ["auditor", "jinan-distributor", "jinan-sales"])
def test_only_inspectors_and_admin_record(http: Http, user: str) -> None:
    assert http.record(user, checkpoint_code="LC-G3").status_code == 403


def test_who_sees_the_records(http: Http) -> None:
    mine = http.record("inspector", checkpoint_code="LC-G3").json()["id"]
    admins = http.record("admin", checkpoint_code="LC-G3").json()["id"]
    seen_by_inspector = {
        i["id"] for i in http.call("GET", "inspector", "/scratched-cartons").json()["items"]
    }
    assert mine in seen_by_inspector and admins not in seen_by_inspector
    seen_by_hq = {
        i["id"] for i in http.call("GET", "auditor", "/scratched-cartons").json()["items"]
    }
    assert {mine, admins} <= seen_by_hq
    assert http.call("GET", "jinan-distributor", "/scratched-cartons").status_code == 403
