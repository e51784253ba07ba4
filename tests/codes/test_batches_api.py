"""Code batches over the API: inline codes, pages, the CSV export, printable labels that decode
back to the same codes, voiding, pallets."""

from __future__ import annotations

import csv
import io
import subprocess
from pathlib import Path

import pytest

from app.codes import gs1
from app.codes.decode import decode_image
from app.config import get_settings
from tests.conftest import Api

LAGER = "06901234560015"


def issue(api: Api, n: int, region: str = "370100") -> dict[str, object]:
    r = api.post(
        "admin", "/api/v1/code-batches", json={"gtin": LAGER, "region_code": region, "quantity": n}
    )
    assert r.status_code == 201, r.text
    body: dict[str, object] = r.json()
    return body


def test_small_batch_lists_signed_codes_inline(api: Api) -> None:
    batch = issue(api, 25)
    codes = batch["codes"]
    assert isinstance(codes, list) and len(codes) == 25
    keys = get_settings().signing
    serials = set()
    for c in codes:
        assert 10 <= len(c["serial"]) <= 20 and c["serial"].isalnum() and c["serial"].isupper()
        assert c["element_string"].startswith(f"(01){LAGER}(21){c['serial']}(91)370100(92)")
        assert c["payload"].startswith(
            f"https://id.channelguard.example/01/{LAGER}/21/{c['serial']}?"
        )
        parsed = gs1.parse_payload(c["payload"], allowed_hosts=None)
        assert isinstance(parsed, gs1.ParsedCarton)
        assert gs1.verify(parsed, keys=keys) == "valid"
        serials.add(c["serial"])
    assert len(serials) == 25
    # Random, not sequential: sorted serials share no long common prefix run.
    assert len({s[:4] for s in serials}) > 20


def test_large_batch_is_paged_and_streamed_as_csv(api: Api) -> None:
    batch = issue(api, 1200)
    assert batch["codes"] is None
    seen: list[str] = []
    after = None
    while True:
        params = {"limit": 500, **({"after": after} if after else {})}
        page = api.get("admin", f"/api/v1/code-batches/{batch['id']}/codes", params=params).json()
        seen += [c["serial"] for c in page["items"]]
        assert page["next"] == page["next_after"]  # one cursor shape: pass `next` as `after`
        after = page["next_after"]
        if after is None:
            break
    assert len(seen) == len(set(seen)) == 1200
    r = api.get("admin", f"/api/v1/code-batches/{batch['id']}/codes.csv")
    assert r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert sorted(row["serial"] for row in rows) == sorted(seen)
    assert all(row["region_code"] == "370100" for row in rows)


def test_batch_input_errors(api: Api) -> None:
    body = {"gtin": LAGER, "region_code": "370100", "quantity": 1}
    assert (
        api.post("admin", "/api/v1/code-batches", json={**body, "quantity": 0}).status_code == 422
    )
    assert (
        api.post(
            "admin", "/api/v1/code-batches", json={**body, "region_code": "999999"}
        ).status_code
        == 422
    )
    r = api.post("admin", "/api/v1/code-batches", json={**body, "gtin": "96385074"})
    assert r.status_code == 422
    assert "unknown product" in r.json()["detail"][0]["msg"]
    assert api.get("admin", "/api/v1/code-batches/99999").status_code == 404
    assert api.post("inspector", "/api/v1/code-batches", json=body).status_code == 403
    assert api.post("jinan-distributor", "/api/v1/code-batches", json=body).status_code == 403


@pytest.mark.parametrize("layout", ["a4", "thermal"])
def test_printed_labels_decode_back_to_the_same_codes(
    api: Api, layout: str, tmp_path: Path
) -> None:
    batch = issue(api, 3)
    r = api.get(
        "admin", f"/api/v1/code-batches/{batch['id']}/labels.pdf", params={"layout": layout}
    )
    assert r.status_code == 200
    assert r.content.startswith(b"%PDF")
    pdf = tmp_path / "labels.pdf"
    pdf.write_bytes(r.content)
    subprocess.run(["pdftoppm", "-r", "300", "-png", str(pdf), str(tmp_path / "page")], check=True)
    texts: set[str] = set()
    for page in sorted(tmp_path.glob("page*.png")):
        texts |= {s.text for s in decode_image(page.read_bytes(), max_pixels=200_000_000)}
    codes = batch["codes"]
    assert isinstance(codes, list)
    for c in codes:
        assert c["payload"] in texts  # the QR code holds the Digital Link
    keys = get_settings().signing
    element_reads = [
        gs1.parse_payload("]C1" + t, allowed_hosts=None) for t in texts if t.startswith("01")
    ]
    assert {
        p.serial
        for p in element_reads
        if isinstance(p, gs1.ParsedCarton) and gs1.verify(p, keys=keys) == "valid"
    } == {c["serial"] for c in codes}


def test_void_and_pallet(api: Api) -> None:
    batch = issue(api, 4)
    codes = batch["codes"]
    assert isinstance(codes, list)
    serial = codes[0]["serial"]
    r = api.post("admin", f"/api/v1/cartons/{serial}/void", json={"reason": "退货销毁"})
    assert r.json() == {"serial": serial, "status": "voided"}
    assert (
        api.post("admin", f"/api/v1/cartons/{serial}/void", json={"reason": "again"}).status_code
        == 409
    )
    carton = api.get("auditor", f"/api/v1/cartons/{serial}").json()
    assert (carton["status"], carton["void_reason"]) == ("voided", "退货销毁")
    r = api.post("admin", "/api/v1/pallets", json={"carton_payloads": [codes[0]["payload"]]})
    assert r.status_code == 422 and "voided" in r.json()["detail"][0]["msg"]
    r = api.post(
        "admin",
        "/api/v1/pallets",
        json={"carton_payloads": [c["element_string"] for c in codes[1:]]},
    )
    assert r.status_code == 201, r.text
    pallet = r.json()
    assert len(pallet["sscc"]) == 18 and gs1.validate_sscc(pallet["sscc"]) == pallet["sscc"]
    assert sorted(pallet["carton_serials"]) == sorted(c["serial"] for c in codes[1:])
    again = api.post("admin", "/api/v1/pallets", json={"carton_payloads": [codes[1]["serial"]]})
    assert again.status_code == 409
    tampered = codes[2]["element_string"][:-1] + (
        "A" if codes[2]["element_string"][-1] != "A" else "B"
    )
    r = api.post("admin", "/api/v1/pallets", json={"carton_payloads": [tampered]})
    assert r.status_code == 422 and "does not verify" in r.json()["detail"][0]["msg"]


def test_key_rotation_old_codes_still_verify(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    from app.config import DEV_SIGNING_KEYS

    old = issue(api, 1)
    new_key = "K2:" + "bmV3LXNpZ25pbmcta2V5LWZvci0yMDI3LTAxLTAx"
    monkeypatch.setenv("CG_SIGNING_KEYS", f"{DEV_SIGNING_KEYS},{new_key}")
    get_settings.cache_clear()
    new = issue(api, 1)
    assert (old["key_id"], new["key_id"]) == ("D1", "K2")

    def verdict(batch: dict[str, object]) -> str:
        codes = batch["codes"]
        assert isinstance(codes, list)
        r = api.post(
            "inspector",
            "/api/v1/scans",
            json={
                "scans": [
                    {
                        "payload": codes[0]["payload"],
                        "checkpoint_code": "JN-G2-N",
                        "scanned_at": "2026-11-21T09:00:00+08:00",
                    }
                ]
            },
        )
        return str(r.json()["results"][0]["verdict"])

    assert verdict(old) == verdict(new) == "in_region"
    monkeypatch.setenv("CG_SIGNING_KEYS", new_key)  # the old key retired
    get_settings.cache_clear()
    assert verdict(old) == "unknown"
    assert verdict(new) == "in_region"
    get_settings.cache_clear()
