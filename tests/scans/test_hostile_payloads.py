"""A payload a reader could never have produced (NUL and other control characters) is that
item's error: the rest of the batch is judged and stored, and a retry replays the answer."""

from __future__ import annotations

from datetime import timedelta

from tests.scans.conftest import T0, World, iso

AT = T0 + timedelta(hours=1)


def test_control_characters_in_a_payload_fail_only_that_item(world: World) -> None:
    good = world.jinan[0]["payload"]
    element = world.jinan[1]["element_string"].replace("(", "").replace(")", "")
    items = [
        {"payload": good, "checkpoint_code": "JN-G2-N", "scanned_at": iso(AT)},
        {"payload": good + "\x00", "checkpoint_code": "JN-G2-N", "scanned_at": iso(AT)},
        {"payload": "\x00", "checkpoint_code": "JN-G2-N", "scanned_at": iso(AT)},
        {"payload": "01\x0706901234560015", "checkpoint_code": "JN-G2-N", "scanned_at": iso(AT)},
        # GS, CR, LF and a tab are what readers send: judged as usual.
        {"payload": "]C1" + element + "\r\n", "checkpoint_code": "JN-G2-N", "scanned_at": iso(AT)},
        {"payload": good + "\t", "checkpoint_code": "JN-G2-N", "scanned_at": iso(AT)},
    ]
    r = world.scan(*items, key="nul-batch-1")
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    assert [x["payload"] for x in results] == [i["payload"] for i in items]
    assert results[0]["verdict"] == "in_region" and results[0].get("error") is None
    for bad in results[1:4]:
        assert bad["verdict"] == "unreadable"
        assert "control character" in bad["error"]
    assert results[1]["error"].startswith("unreadable payload: control character U+0000")
    assert results[4]["verdict"] == "in_region", results[4]
    assert results[5]["verdict"] == "in_region", results[5]
    # The retry replays the same answer and stores nothing twice.
    again = world.scan(*items, key="nul-batch-1")
    assert again.status_code == 200, again.text
    assert again.json() == r.json()
    scans = world.scans_of(world.jinan[0])
    assert len(scans) == 2


def test_an_item_with_only_a_bad_payload_is_still_a_200(world: World) -> None:
    r = world.scan({"payload": "\x00" * 4096, "checkpoint_code": "JN-G2-N", "scanned_at": iso(AT)})
    assert r.status_code == 200, r.text
    assert r.json()["results"][0]["verdict"] == "unreadable"


def test_nul_in_the_device_id_is_422_naming_it(world: World) -> None:
    r = world.scan(
        {
            "payload": world.jinan[0]["payload"],
            "checkpoint_code": "JN-G2-N",
            "scanned_at": iso(AT),
            "device_id": "pda\x00",
        }
    )
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["loc"] == ["body", "scans", 0, "device_id"]
