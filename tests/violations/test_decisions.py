"""Confirmation outcomes beyond the plain case, the appeal window and auto-confirmation."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update
from typer.testing import CliRunner

from app import db
from app.auth import service as auth
from app.auth.visibility import visibility
from app.cli.main import cli
from app.errors import Conflict
from app.ledger import service as ledger
from app.models import JournalEntry, Violation, ViolationEvent, ViolationKind
from app.violations import penalties, service
from rules.policy import load_policy
from tests.violations.market import Market, now

JINAN, LIAOCHENG = "D-370100-1", "D-371500-1"


def confirm(market: Market, vid: int) -> dict[str, Any]:
    r = market.api.post("auditor", f"/api/v1/violations/{vid}/decide", json={"decision": "confirm"})
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def opened_at(vid: int) -> Any:
    with db.get_sessionmaker()() as s:
        return s.get_one(Violation, vid).created_at


def test_a_cloned_code_confirms_as_counterfeit_without_transfer_or_fine(market: Market) -> None:
    payload = market.stock(JINAN, "SP-370100", "370100", 1)[0]
    t = now()
    assert market.scan(payload, "JN-G2-N", scanned_at=t.isoformat())["verdict"] == "in_region"
    clone = market.scan(payload, "QD-G20-W", scanned_at=(t + timedelta(minutes=5)).isoformat())
    assert clone["verdict"] == "cloned"
    v = market.violation(clone["violation_id"])
    assert v["kind"] == "cloned" and v["diverting_distributor_code"] is None
    before = market.balances()
    v = confirm(market, clone["violation_id"])
    assert v["status"] == "confirmed" and v["postings"] == []
    assert v["fine"] == "0.00" and "counterfeit" in v["fine_reason"]
    assert "(case.cloned_names_nobody)" in v["fine_reason"]  # the rule that decided, by name
    assert market.balances() == before


def test_goods_never_delivered_confirm_without_a_fine_naming_the_rule() -> None:
    # No distributor ever held the goods: nothing moves, and the case says which rule held.
    v = Violation(kind=ViolationKind.DIVERSION, diverting_distributor_id=None, fine_fen=None)
    penalties.post_confirmation(None, v, actor="auditor")  # type: ignore[arg-type]
    assert v.fine_fen == 0
    assert v.fine_reason is not None and v.fine_reason.endswith("(case.nobody_to_charge)")
    assert "never delivered" in v.fine_reason


def test_an_advisory_market_records_the_violation_but_moves_nothing(market: Market) -> None:
    vid = market.divert(market.stock(JINAN, "SP-370100", "370100", 1)[0], "LC-G3")
    with db.get_sessionmaker()() as s, s.begin():
        # As if the policy in force at detection had made this market advisory.
        s.execute(update(Violation).where(Violation.id == vid).values(advisory=True))
    before = market.balances()
    v = confirm(market, vid)
    assert v["status"] == "confirmed" and v["advisory"] is True
    assert v["postings"] == [] and v["fine"] == "0.00" and "advisory" in v["fine_reason"]
    assert market.balances() == before


def test_a_zone_nobody_holds_credits_the_unassigned_system_account(market: Market) -> None:
    # Binzhou: in the demo a guerrilla zone with no distributor and no salesperson of its own.
    binzhou = market.api.get("admin", "/api/v1/regions/371600").json()
    assert (binzhou["name"], binzhou["kind"]) == ("滨州市", "guerrilla")
    holders = market.api.get("admin", "/api/v1/distributors", params={"limit": 500}).json()
    assert all("371600" not in d["region_codes"] for d in holders["items"])
    assert (
        market.api.post(
            "admin",
            "/api/v1/checkpoints",
            json={"code": "BZ-G25", "name": "G25长深高速 滨州收费站", "region_code": "371600"},
        ).status_code
        == 201
    )
    vid = market.divert(market.stock(JINAN, "SP-370100", "370100", 1)[0], "BZ-G25")
    v = confirm(market, vid)
    assert v["invaded_distributor_code"] is None
    (transfer,) = [p for p in v["postings"] if p["cause_type"] == "violation_transfer"]
    assert {(ln["party_code"], ln["role"], ln["amount"]) for ln in transfer["lines"]} == {
        ("SP-370100", "diverting_salesperson", "-48.00"),
        (JINAN, "diverting_distributor", "-48.00"),
        ("unassigned", "invaded_distributor", "48.00"),
        ("unassigned", "invaded_salesperson_side", "48.00"),
    }
    assert "unassigned" not in market.balances()  # system accounts are not credited sales
    assert v["fine"] == "50.00"


def test_repeat_offences_multiply_the_fine(market: Market) -> None:
    # Jinan's second-tier wholesaler: signed, and with no history in the demo.
    cartons = market.stock("D-370100-2", "SP-370100", "370100", 3)
    fines = [confirm(market, market.divert(c, "LC-G3"))["fine"] for c in cartons]
    assert fines == ["50.00", "75.00", "100.00"]  # x1.5 from the 2nd offence, x2 from the 3rd


def test_the_appeal_window_closes(market: Market) -> None:
    vid = market.divert(market.stock(JINAN, "SP-370100", "370100", 1)[0], "LC-G3")
    start = opened_at(vid)
    with db.get_sessionmaker()() as s, s.begin():
        who = auth.authenticate(s, market.api.tokens["jinan-distributor"])
        vis = visibility(s, who)
        with pytest.raises(Conflict, match="appeal window of 7 days"):
            service.appeal(
                s,
                violation_id=vid,
                principal=who,
                vis=vis,
                reason="late",
                evidence=None,
                now=start + timedelta(days=7, seconds=1),
            )
    with db.get_sessionmaker()() as s, s.begin():
        who = auth.authenticate(s, market.api.tokens["jinan-distributor"])
        out = service.appeal(
            s,
            violation_id=vid,
            principal=who,
            vis=visibility(s, who),
            reason="just in time",
            evidence=None,
            now=start + timedelta(days=6, hours=23),
        )
    assert out.status == "appealed"


def auto_confirm(at: Any) -> list[int]:
    result = CliRunner().invoke(cli, ["violations", "auto-confirm", "--now", at.isoformat()])
    assert result.exit_code == 0, result.output
    return [int(line) for line in result.output.splitlines() if line.strip().isdigit()]


def test_auto_confirm_takes_only_unappealed_diversions_past_the_window(market: Market) -> None:
    cartons = market.stock(JINAN, "SP-370100", "370100", 2)
    quiet, appealed = (market.divert(c, "LC-G3") for c in cartons)
    r = market.api.post(
        "jinan-distributor", f"/api/v1/violations/{appealed}/appeal", json={"reason": "ours"}
    )
    assert r.status_code == 200
    start = opened_at(quiet)
    assert quiet not in auto_confirm(start + timedelta(days=13, hours=23))
    confirmed = auto_confirm(start + timedelta(days=14, minutes=1))
    assert quiet in confirmed and appealed not in confirmed
    assert auto_confirm(start + timedelta(days=30)) == []  # cron may run it any time: no-op
    v = market.violation(quiet)
    assert v["status"] == "confirmed"
    assert v["events"][-1]["actor"] == service.AUTO_CONFIRM_ACTOR
    assert load_policy().version in v["events"][-1]["note"]
    assert [p["cause_type"] for p in v["postings"]] == ["violation_transfer", "violation_fine"]
    assert market.violation(appealed)["status"] == "appealed"  # an appeal always waits for HQ
    with db.get_sessionmaker()() as s:
        entries = s.scalars(select(JournalEntry.cause_key)).all()
        assert entries.count(str(quiet)) == 2 and str(appealed) not in entries
        assert (
            s.scalar(
                select(ViolationEvent.actor).where(
                    ViolationEvent.violation_id == quiet, ViolationEvent.to_status == "confirmed"
                )
            )
            == service.AUTO_CONFIRM_ACTOR
        )


def test_cli_prints_ledger_balances(market: Market) -> None:
    market.stock("D-370100-3", "SP-370100", "370100", 2)
    result = CliRunner().invoke(cli, ["ledger", "balances"])
    assert result.exit_code == 0, result.output
    assert "D-370100-3" in result.output and "96.00" in result.output
    period = ledger.period_of(now())
    assert period in result.output
