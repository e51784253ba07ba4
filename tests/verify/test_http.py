"""Item codes and public verification over real HTTP against `channelguard serve` (run with
CG_TEST_DB=postgres for PostgreSQL): issue, pack, scan an item as its carton, verify as a phone
would with no token, forged/unknown/voided alike to the byte, the carton's history, the limit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from app.codes import gs1
from app.config import get_settings
from tests.conftest import LiveClient, LiveServer
from tests.verify.helpers import JSON, LAGER, path_of


class Http(LiveClient):
    """The live server, with a role's token or none; paths are given whole."""

    prefix = ""

    def issue(self, n: int, level: str) -> list[dict[str, str]]:
        r = self.call(
            "POST",
            "admin",
            "/api/v1/code-batches",
            json={"gtin": LAGER, "region_code": "370100", "quantity": n, "level": level},
        )
        assert r.status_code == 201, r.text
        assert r.json()["level"] == level
        return list(r.json()["codes"])

    def verify(self, payload: str) -> httpx.Response:
        """What a phone sends for the Digital Link URI's path and query: no token."""
        r = self.call("GET", None, path_of(payload), headers=JSON)
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith("application/json")
        return r


@pytest.fixture(scope="module")
def http(live_server: LiveServer) -> Http:
    return Http(live_server)


def test_items_packed_scanned_and_verified_over_http(http: Http) -> None:
    carton, other = http.issue(2, "carton")
    bottle, spare = http.issue(2, "item")
    url = f"/api/v1/cartons/{carton['serial']}/items"
    payloads = {"payloads": [bottle["payload"], spare["payload"]]}
    r = http.call("POST", "admin", url, json=payloads)
    assert r.status_code == 200 and r.json()["packed"] == 2, r.text
    again = http.call("POST", "admin", url, json=payloads)
    assert again.status_code == 200 and again.json()["packed"] == 0
    moved = http.call(
        "POST",
        "admin",
        f"/api/v1/cartons/{other['serial']}/items",
        json={"payloads": [bottle["payload"]]},
    )
    assert moved.status_code == 409
    # An inspector scanning the bottle in Jinan gets its carton's verdict, naming both.
    at = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
    scan = {"payload": bottle["payload"], "checkpoint_code": "JN-G2-N", "scanned_at": at}
    r = http.call("POST", "inspector", "/api/v1/scans", json={"scans": [scan]})
    assert r.status_code == 200, r.text
    (result,) = r.json()["results"]
    assert result["serial"] == carton["serial"] and result["item_serial"] == bottle["serial"]
    assert result["verdict"] == "in_region"

    # Public verification: counted, same first time on every later answer, nothing private.
    first = http.verify(bottle["payload"]).json()
    assert first == {
        "genuine": True,
        "product_name": first["product_name"],
        "region_name": "济南市",
        "verifications": 0,
    }
    second, third = http.verify(bottle["payload"]).json(), http.verify(bottle["payload"]).json()
    assert (second["verifications"], third["verifications"]) == (1, 2)
    assert second["first_verified_at"] == third["first_verified_at"]
    datetime.fromisoformat(third["first_verified_at"])
    for word in ("distributor", "price", "custod", "d-370100", "inspector"):
        assert word not in str(third).lower()
    # The carton's page lists its bottle's three public verifications.
    history = http.call("GET", "inspector", f"/api/v1/cartons/{carton['serial']}")
    assert history.status_code == 200
    assert len(history.json()["public_verifications"]) == 3


def test_forged_unknown_and_voided_codes_are_alike_to_the_byte_over_http(http: Http) -> None:
    (carton,) = http.issue(1, "carton")
    bottle, voided = http.issue(2, "item")
    r = http.call(
        "POST",
        "admin",
        f"/api/v1/cartons/{carton['serial']}/items",
        json={"payloads": [bottle["payload"], voided["payload"]]},
    )
    assert r.status_code == 200, r.text
    assert http.verify(voided["payload"]).json()["genuine"] is True
    r = http.call("POST", "admin", f"/api/v1/cartons/{voided['serial']}/void", json={"reason": "x"})
    assert r.status_code == 200, r.text
    settings = get_settings()
    forged = bottle["payload"].replace("&92=D1-", "&92=D1-A")[:-1]
    unknown = gs1.issue_code(gtin=LAGER, region_code="370100", keys=settings.signing).digital_link(
        settings.digital_link_base
    )
    answers = []
    for payload in (forged, unknown, voided["payload"]):
        for _ in range(3):
            r = http.verify(payload)
            answers.append((r.content, r.headers["content-type"], r.headers["cache-control"]))
    assert set(answers) == {
        (b'{"genuine":false,"verifications":0}', "application/json", "no-store")
    }
    # Their pages are alike too (but for the language link, which echoes the visitor's query),
    # and say 非正品 in Chinese.
    pages = set()
    for payload in (forged, unknown, voided["payload"]):
        page = http.call("GET", None, path_of(payload)).text
        pages.add(page[: page.index('<p class="lang">')])
    assert len(pages) == 1 and "非正品" in pages.pop()
    # The genuine bottle beside them is still genuine and was not counted by the others.
    assert http.verify(bottle["payload"]).json()["verifications"] == 0


def test_the_per_address_limit_holds_over_http(http: Http) -> None:
    """Last in this module: it spends the server's budget for 127.0.0.1 for a minute."""
    (carton,) = http.issue(1, "carton")
    (code,) = http.issue(1, "item")
    limit = get_settings().public_verify_per_minute
    path = path_of(code["payload"])
    statuses = [http.call("GET", None, path, headers=JSON).status_code for _ in range(limit + 5)]
    # The earlier tests here spent a few of this minute's verifications; then 429 and only 429.
    passed = statuses.index(429)
    assert limit - 30 <= passed <= limit and set(statuses[passed:]) == {429}
    r = http.call("GET", None, path, headers=JSON)
    assert r.status_code == 429 and 1 <= int(r.headers["Retry-After"]) <= 60
    # The page and the place report share the limit; signed-in API calls do not.
    assert http.call("GET", None, path).status_code == 429
    assert http.call("POST", None, path.split("?")[0] + "/place", json={}).status_code == 429
    r = http.call("GET", "inspector", f"/api/v1/cartons/{carton['serial']}")
    assert r.status_code == 200
