"""The violation lifecycle through the API: appeal, decide, reverse, and what each moves."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from app import db
from app.models import JournalEntry, ViolationEvent
from rules.policy import load_policy
from tests.violations.market import Market

# Jinan (370100, home base) cartons delivered to its leading distributor D-370100-1 (agreement
# signed), found at Liaocheng's toll station (371500, a guerrilla zone held by D-371500-1).
JINAN, LIAOCHENG = "D-370100-1", "D-371500-1"


def counts() -> tuple[int, int]:
    with db.get_sessionmaker()() as s:
        entries = s.scalar(select(func.count()).select_from(JournalEntry)) or 0
        events = s.scalar(select(func.count()).select_from(ViolationEvent)) or 0
    return entries, events


def test_confirmation_moves_the_value_and_fines_the_diverting_distributor(market: Market) -> None:
    start = market.balances()
    cartons = market.stock(JINAN, "SP-370100", "370100", 3)
    assert market.moved(start) == {JINAN: "144.00", "SP-370100": "144.00"}
    stocked = market.balances()
    vid = market.divert(cartons[0], "LC-G3")

    v = market.violation(vid)
    assert v["status"] == "open" and v["kind"] == "diversion"
    assert v["diverting_distributor_code"] == JINAN
    assert v["diverting_salesperson_code"] == "SP-370100"
    assert v["invaded_distributor_code"] == LIAOCHENG
    assert v["invaded_salesperson_code"] == "SP-371500"
    # "0.00" until a confirmation fines it (CONTRACT, money that bites).
    assert v["region_code"] == "371500" and v["value"] == "48.00" and v["fine"] == "0.00"
    assert len(v["carton_serials"]) == 1 and cartons[0].find(v["carton_serials"][0]) >= 0
    assert [e["to_status"] for e in v["events"]] == ["open"]
    assert [(e["verdict"], e["checkpoint_code"]) for e in v["evidence"]] == [("diversion", "LC-G3")]

    r = market.api.post(
        "jinan-distributor",
        f"/api/v1/violations/{vid}/appeal",
        json={"reason": "sold to a Jinan retailer", "evidence": "invoice 2026-118"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "appealed"

    r = market.api.post(
        "auditor",
        f"/api/v1/violations/{vid}/decide",
        json={"decision": "confirm", "note": "checked the invoice: it is a Liaocheng buyer"},
    )
    assert r.status_code == 200, r.text
    v = r.json()
    assert v["status"] == "confirmed"
    # Guerrilla zone: 50.00 per carton; Jinan has an agreement on file.
    assert v["fine"] == "50.00" and "guerrilla" in v["fine_reason"]
    assert [(e["from_status"], e["to_status"], e["actor"]) for e in v["events"]] == [
        (None, "open", "system"),
        ("open", "appealed", "jinan-distributor"),
        ("appealed", "confirmed", "auditor"),
    ]
    assert v["events"][1]["evidence"] == "invoice 2026-118"
    # People are named as the pages call them; the system that opened the case has no name.
    people = market.api.get("admin", "/api/v1/users?limit=200").json()["items"]
    shown = {u["username"]: u["display_name"] for u in people}
    assert [e["actor_name"] for e in v["events"]] == [
        None,
        shown["jinan-distributor"],
        shown["auditor"],
    ]
    assert shown["jinan-distributor"] != "jinan-distributor"
    transfer = {p["cause_type"]: p for p in v["postings"]}
    assert set(transfer) == {"violation_transfer", "violation_fine"}
    assert transfer["violation_transfer"]["policy_version"] == load_policy().version
    assert {(ln["party_code"], ln["amount"]) for ln in transfer["violation_transfer"]["lines"]} == {
        (JINAN, "-48.00"),
        ("SP-370100", "-48.00"),
        (LIAOCHENG, "48.00"),
        ("SP-371500", "48.00"),
    }
    assert market.moved(stocked) == {
        JINAN: "-48.00",
        "SP-370100": "-48.00",
        LIAOCHENG: "48.00",
        "SP-371500": "48.00",
    }
    fines = market.api.get(
        "auditor", f"/api/v1/ledger/statements/distributor/{JINAN}", params={"kind": "fines"}
    ).json()
    mine = [ln for ln in fines["lines"] if ln["cause_key"] == str(vid)]
    assert [(ln["cause_type"], ln["amount"], ln["rule"]) for ln in mine] == [
        ("violation_fine", "-50.00", "fine_schedule")
    ]


def test_an_illegal_transition_is_409_and_changes_nothing(market: Market) -> None:
    cartons = market.stock(JINAN, "SP-370100", "370100", 1)
    vid = market.divert(cartons[0], "LC-G3")
    confirm = {"decision": "confirm", "note": "seen"}
    assert (
        market.api.post("auditor", f"/api/v1/violations/{vid}/reverse", json={}).status_code == 409
    )
    assert (
        market.api.post("auditor", f"/api/v1/violations/{vid}/decide", json=confirm).status_code
        == 200
    )
    before, balances = counts(), market.balances()
    for path, body in [
        ("decide", confirm),
        ("decide", {"decision": "dismiss", "note": "too late"}),
    ]:
        r = market.api.post("auditor", f"/api/v1/violations/{vid}/{path}", json=body)
        assert r.status_code == 409, r.text
    r = market.api.post(
        "jinan-distributor", f"/api/v1/violations/{vid}/appeal", json={"reason": "late"}
    )
    assert r.status_code == 409
    assert counts() == before and market.balances() == balances
    assert market.violation(vid)["status"] == "confirmed"


def test_reversal_compensates_and_frees_the_carton(market: Market) -> None:
    cartons = market.stock(JINAN, "SP-370100", "370100", 2)
    stocked = market.balances()
    vid = market.divert(cartons[0], "LC-G3")
    market.api.post(
        "auditor", f"/api/v1/violations/{vid}/decide", json={"decision": "confirm", "note": ""}
    )
    r = market.api.post(
        "auditor", f"/api/v1/violations/{vid}/reverse", json={"note": "wrong checkpoint entered"}
    )
    assert r.status_code == 200, r.text
    v = r.json()
    assert v["status"] == "reversed"
    reversals = [p for p in v["postings"] if p["cause_type"] == "reversal"]
    originals = {p["entry_id"]: p for p in v["postings"] if p["cause_type"] != "reversal"}
    assert {p["reverses_entry_id"] for p in reversals} == set(originals)
    for p in reversals:
        original = originals[p["reverses_entry_id"]]
        assert sorted((ln["party_code"], ln["amount"].lstrip("-")) for ln in p["lines"]) == sorted(
            (ln["party_code"], ln["amount"].lstrip("-")) for ln in original["lines"]
        )
    assert market.moved(stocked) == {}  # every leg compensated
    assert (
        market.api.post("auditor", f"/api/v1/violations/{vid}/reverse", json={}).status_code == 409
    )
    # The carton no longer counts on the reversed violation: a later scan opens a new one.
    again = market.divert(cartons[0], "LC-G3")
    assert again != vid


def test_dismissal_posts_nothing_and_frees_the_carton(market: Market) -> None:
    cartons = market.stock(JINAN, "SP-370100", "370100", 1)
    vid = market.divert(cartons[0], "LC-G3")
    assert market.divert(cartons[0], "LC-G3") == vid  # the open violation counts it once
    before = counts()
    r = market.api.post(
        "auditor",
        f"/api/v1/violations/{vid}/decide",
        json={"decision": "dismiss", "note": "a sanctioned promotion"},
    )
    assert r.status_code == 200 and r.json()["status"] == "dismissed"
    assert r.json()["postings"] == []
    assert counts()[0] == before[0]
    assert market.divert(cartons[0], "LC-G3") != vid


def test_no_fine_without_an_agreement_and_the_report_says_so(market: Market) -> None:
    # Liaocheng's distributor signed nothing; its cartons turn up in Jinan.
    cartons = market.stock(LIAOCHENG, "SP-371500", "371500", 2)
    stocked = market.balances()
    vid = market.divert(cartons[0], "JN-G2-N")
    v = market.api.post(
        "auditor", f"/api/v1/violations/{vid}/decide", json={"decision": "confirm", "note": ""}
    ).json()
    assert v["fine"] == "0.00" and "no signed agreement" in v["fine_reason"]
    assert [p["cause_type"] for p in v["postings"]] == ["violation_transfer"]
    # The value moves even where no fine can be imposed.
    assert market.moved(stocked) == {
        LIAOCHENG: "-48.00",
        "SP-371500": "-48.00",
        JINAN: "48.00",
        "SP-370100": "48.00",
    }


def test_only_the_diverting_distributor_appeals_and_only_hq_decides(market: Market) -> None:
    cartons = market.stock(JINAN, "SP-370100", "370100", 1)
    vid = market.divert(cartons[0], "LC-G3")
    appeal = {"reason": "not ours"}
    for user in ("liaocheng-distributor", "jinan-sales", "inspector", "auditor", "admin"):
        r = market.api.post(user, f"/api/v1/violations/{vid}/appeal", json=appeal)
        assert r.status_code == 403, (user, r.text)
    for user in ("jinan-distributor", "jinan-sales", "inspector", "admin"):
        for path, body in [("decide", {"decision": "confirm", "note": ""}), ("reverse", {})]:
            r = market.api.post(user, f"/api/v1/violations/{vid}/{path}", json=body)
            assert r.status_code == 403, (user, path, r.text)
    assert market.violation(vid)["status"] == "open"
    r = market.api.post(
        "auditor", f"/api/v1/violations/{vid}/decide", json={"decision": "maybe", "note": ""}
    )
    assert r.status_code == 422
    assert (
        market.api.post(
            "auditor", "/api/v1/violations/999999/decide", json={"decision": "confirm", "note": ""}
        ).status_code
        == 404
    )


def _ids(market: Market, user: str, **params: Any) -> set[int]:
    r = market.api.get(user, "/api/v1/violations", params=params)
    assert r.status_code == 200, r.text
    return {item["id"] for item in r.json()["items"]}
