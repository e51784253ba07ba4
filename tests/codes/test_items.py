"""Item codes (瓶码/盖码): issued like carton codes, packed into cartons (关联), judged as their
carton wherever they are scanned."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.codes import gs1
from app.config import get_settings
from tests.conftest import Api
from tests.verify.helpers import DRAFT, issue, pack

NOW = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30)


def test_item_batch_issues_signed_digital_links_with_their_own_serials(api: Api) -> None:
    cartons = issue(api, 3)
    items = issue(api, 5, level="item")
    keys = get_settings().signing
    for code in items:
        parsed = gs1.parse_payload(code["payload"], allowed_hosts=get_settings().allowed_link_hosts)
        assert isinstance(parsed, gs1.ParsedCarton) and parsed.form == "digital_link"
        assert gs1.verify(parsed, keys=keys) == "valid"
    assert not {c["serial"] for c in cartons} & {c["serial"] for c in items}
    # The default is still a carton batch; an unknown level is refused naming the field.
    r = api.post(
        "admin",
        "/api/v1/code-batches",
        json={"gtin": "06901234560015", "region_code": "370100", "quantity": 1, "level": "pallet"},
    )
    assert r.status_code == 422 and "level" in r.text
    # An item code is not a carton: its own history is not a carton's page.
    assert api.get("admin", f"/api/v1/cartons/{items[0]['serial']}").status_code == 404


def test_packing_is_idempotent_and_an_item_lives_in_one_carton(api: Api) -> None:
    a, b = issue(api, 2)
    items = issue(api, 4, level="item")
    payloads = [i["payload"] for i in items]
    r = pack(api, a["serial"], payloads[:3])
    assert r.status_code == 200, r.text
    assert r.json()["packed"] == 3
    assert r.json()["item_serials"] == sorted(i["serial"] for i in items[:3])
    again = pack(api, a["serial"], [items[0]["element_string"], *payloads[1:4]])
    assert again.status_code == 200, again.text
    assert again.json()["packed"] == 1 and len(again.json()["item_serials"]) == 4
    moved = pack(api, b["serial"], [payloads[1]])
    assert moved.status_code == 409 and items[1]["serial"] in moved.text
    assert pack(api, a["serial"], payloads[:1], user="inspector").status_code == 403
    assert pack(api, a["serial"], payloads[:1], user="auditor").status_code == 403
    assert pack(api, a["serial"], payloads[:1], user=None).status_code == 401
    assert pack(api, "ZZZZZZZZZZZZZZZZ", payloads[:1]).status_code == 404


def test_forged_unknown_and_foreign_items_are_refused_naming_their_index(api: Api) -> None:
    (carton,) = issue(api, 1)
    (item,) = issue(api, 1, level="item")
    (other_product,) = issue(api, 1, level="item", gtin=DRAFT)
    (another_carton,) = issue(api, 1)
    forged = item["payload"][:-3] + ("AAA" if not item["payload"].endswith("AAA") else "BBB")
    unknown = gs1.issue_code(
        gtin="06901234560015", region_code="370100", keys=get_settings().signing
    ).digital_link(get_settings().digital_link_base)
    for bad in (forged, unknown, other_product["payload"], another_carton["payload"], "hello"):
        r = pack(api, carton["serial"], [item["payload"], bad])
        assert r.status_code == 422, (bad, r.text)
        assert "payloads.1" in r.text or "payloads', 1" in r.text or '"payloads",1' in r.text
    r = pack(api, carton["serial"], [item["payload"], item["payload"]])
    assert r.status_code == 422
    # Nothing of a refused call was packed.
    assert pack(api, carton["serial"], [item["payload"]]).json()["packed"] == 1


def _scan(api: Api, payload: str, where: str = "JN-G2-N", at: datetime = NOW) -> dict[str, object]:
    r = api.post(
        "inspector",
        "/api/v1/scans",
        json={
            "scans": [{"payload": payload, "checkpoint_code": where, "scanned_at": at.isoformat()}]
        },
    )
    assert r.status_code == 200, r.text
    result: dict[str, object] = r.json()["results"][0]
    return result


def test_an_item_scan_is_judged_as_its_carton_and_names_both_serials(api: Api) -> None:
    (carton,) = issue(api, 1)
    bottle, loose = issue(api, 2, level="item")
    assert pack(api, carton["serial"], [bottle["payload"]]).status_code == 200
    home = _scan(api, bottle["payload"])
    assert home["serial"] == carton["serial"] and home["item_serial"] == bottle["serial"]
    assert home["verdict"] == "in_region"
    # In Liaocheng, with no waybill, the bottle is its carton diverted.
    away = _scan(api, bottle["element_string"], where="LC-G3", at=NOW + timedelta(hours=5))
    assert away["verdict"] == "diversion" and away["serial"] == carton["serial"]
    assert away["item_serial"] == bottle["serial"] and away["violation_id"]
    history = api.get("inspector", f"/api/v1/cartons/{carton['serial']}").json()
    assert [s["verdict"] for s in history["scans"]] == ["in_region", "diversion"]
    # An unpacked item code is not judged on its own: the answer says what to do.
    lone = _scan(api, loose["payload"])
    assert lone.get("verdict") is None and "not packed" in str(lone["error"])
    assert lone["item_serial"] == loose["serial"]


def test_a_voided_item_in_a_live_carton_scans_voided(api: Api) -> None:
    (carton,) = issue(api, 1)
    (bottle,) = issue(api, 1, level="item")
    pack(api, carton["serial"], [bottle["payload"]])
    r = api.post("admin", f"/api/v1/cartons/{bottle['serial']}/void", json={"reason": "broken"})
    assert r.status_code == 200, r.text
    assert _scan(api, bottle["payload"])["verdict"] == "voided"
    assert _scan(api, carton["payload"])["verdict"] == "in_region"


def test_item_labels_print_small_qr_and_datamatrix_that_decode_to_the_digital_link(
    api: Api,
) -> None:
    r = api.post(
        "admin",
        "/api/v1/code-batches",
        json={"gtin": "06901234560015", "region_code": "370100", "quantity": 2, "level": "item"},
    )
    batch = r.json()
    for layout in ("item_qr", "item_datamatrix"):
        pdf = api.get("admin", f"/api/v1/code-batches/{batch['id']}/labels.pdf?layout={layout}")
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
        assert pdf.content.count(b"/Type /Page\n") + pdf.content.count(b"/Type /Page ") >= 2 or (
            b"/Count 2" in pdf.content
        )
