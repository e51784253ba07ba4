"""Custody hand-offs: shipping (出库) and receiving (入库) scans by distributors and
sub-customers. A batch reads its codes as `/scans` does, gathers the facts of each carton and
party with a few set-based queries, asks `rules.custody` what each hand-off means, and applies
the decisions: the carton's pending receiver or new custodian, an append-only custody event,
and a diversion violation where a receipt came from outside the receiver's supply line.

The facts themselves are read in `facts`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, insert, update
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.auth.principal import Principal
from app.common.locks import lock_cartons
from app.config import Settings
from app.custody.facts import (
    CartonCustody,
    actor_of,
    caller_key,
    finding_of,
    load_parties,
    load_states,
    territory_of,
)
from app.custody.facts import Direction as Direction
from app.custody.schemas import CustodyItemIn, CustodyResult
from app.db import table_of, utcnow
from app.models import (
    Carton,
    CustodyEvent,
    CustodyKind,
)
from app.regions.tree import region_tree
from app.scans.gather import FUTURE_TOLERANCE
from app.scans.recognise import CartonFacts, Item, recognise
from app.violations.opening import CaseDraft, open_or_join_many
from rules.custody import (
    CartonState,
    HandOffDecision,
    Outcome,
    decide_receive,
    decide_ship,
)
from rules.policy import Policy

GRAVITY = [Outcome.REFUSED, Outcome.WARNING, Outcome.ACCEPTED]


def hand_off(
    session: Session,
    *,
    direction: Direction,
    items_in: list[CustodyItemIn],
    principal: Principal,
    ref: str | None,
    settings: Settings,
    policy: Policy,
) -> list[CustodyResult]:
    """Judge and apply a batch of shipments or receipts; results come back in input order."""
    tree = region_tree(session)
    items = [Item(payload=i.payload, parse_text=i.payload, scanned_at=i.at) for i in items_in]
    latest = utcnow() + FUTURE_TOLERANCE
    for it in items:
        if it.scanned_at > latest:
            it.error = "`at` is more than a day in the future: check the device clock"
    recognise(session, items, settings)
    cartons = {c.id: c for it in items for c in it.cartons}
    # Each carton's row lock before its state is read, in id order: two batches moving one
    # carton queue, and the second judges what the first committed.
    lock_cartons(session, cartons)
    states = load_states(session, sorted(cartons))
    caller = caller_key(principal)
    parties = load_parties(
        session,
        tree,
        codes={c for i in items_in for c in (i.to_party_code, i.from_party_code) if c},
        keys={k for s in states.values() for k in (s.custodian, s.pending_to) if k}
        | ({caller} if caller else set()),
    )
    territory = territory_of(session, tree, states)
    results: dict[int, CustodyResult] = {}
    events: list[dict[str, Any]] = []
    findings: list[CaseDraft] = []
    finding_events: list[list[int]] = []
    finding_results: list[int] = []
    now = utcnow()
    for i in sorted(range(len(items)), key=lambda n: items[n].scanned_at):
        it, src = items[i], items_in[i]
        actor, error = actor_of(direction, src, caller, parties)
        error = it.error or error or _unjudgeable(it)
        if error or actor is None:
            results[i] = CustodyResult(
                payload=it.payload, serial=it.serial, item_serial=it.item_serial, error=error
            )
            continue
        receiver = parties.by_code.get(src.to_party_code or "") if direction == "ship" else None
        if direction == "ship" and receiver is None:
            results[i] = CustodyResult(
                payload=it.payload,
                serial=it.serial,
                error=f"unknown party {src.to_party_code!r}"
                if src.to_party_code
                else "to_party_code is required to ship",
            )
            continue
        decided: list[tuple[CartonFacts, HandOffDecision]] = []
        for c in it.cartons:
            st = states[c.id]
            carton = CartonState(
                voided=st.voided,
                custodian=parties.by_key.get(st.custodian) if st.custodian else None,
                pending_to=st.pending_to,
                territory_region_codes=territory[c.id],
            )
            if direction == "ship":
                assert receiver is not None
                d = decide_ship(shipper=actor, receiver=receiver, carton=carton, policy=policy)
                target = receiver
            else:
                d = decide_receive(receiver=actor, carton=carton, policy=policy)
                target = actor
            decided.append((c, d))
            if d.outcome is Outcome.REFUSED:
                continue
            before = carton.custodian
            events.append(
                {
                    "carton_id": c.id,
                    "kind": CustodyKind(direction),
                    # A receipt hands over from the custodian of record, a shipment from you.
                    "from_type": (before if direction == "receive" and before else actor).kind,
                    "from_id": (before if direction == "receive" and before else actor).id,
                    "to_type": target.kind,
                    "to_id": target.id,
                    "at": it.scanned_at,
                    "user_id": principal.user_id,
                    "ref": ref,
                    "outcome": d.outcome.value,
                    "reason": d.reason.value if d.reason else None,
                    "violation_id": None,
                    "created_at": now,
                }
            )
            if d.opens_violation:
                chain = before if direction == "receive" else actor
                findings.append(
                    finding_of(c, st, chain, target, parties, tree, it.scanned_at, policy)
                )
                finding_events.append([len(events) - 1])
                finding_results.append(i)
            if direction == "ship":
                st.pending_to = target.key
            else:
                st.custodian, st.pending_to = target.key, None
            st.changed = True
        c0, worst = min(decided, key=lambda cd: GRAVITY.index(cd[1].outcome))
        results[i] = CustodyResult(
            payload=it.payload,
            serial=c0.serial if not it.sscc else None,
            item_serial=it.item_serial,
            outcome=worst.outcome.value,
            reason=worst.reason.value if worst.reason else None,
            rule=worst.rule,
            policy_version=worst.policy_version,
            detail=worst.detail or None,
            cartons=len(decided) if it.sscc else None,
        )
    for vid, evs, i in zip(
        open_or_join_many(session, findings, tree=tree),
        finding_events,
        finding_results,
        strict=True,
    ):
        for e in evs:
            events[e]["violation_id"] = vid
        results[i].violation_id = results[i].violation_id or vid
    _write(session, states, events)
    refused = sum(1 for r in results.values() if r.outcome == Outcome.REFUSED.value)
    if events or refused:  # a refused hand-off changes nothing, but the attempt is on record
        audit.change(
            session,
            principal.username,
            f"custody.{direction}",
            (ref or "-")[:80],
            {
                "hand_offs": len(events),
                "refused": refused,
                "warnings": sum(1 for e in events if e["outcome"] == "warning"),
                "violations": sorted({e["violation_id"] for e in events if e["violation_id"]}),
            },
        )
    return [results[i] for i in range(len(items))]


def _unjudgeable(it: Item) -> str | None:
    if it.cartons:
        return None
    if it.status == "unreadable":
        return f"unreadable payload: {it.detail}" if it.detail else "unreadable payload"
    if it.status == "forged":
        return "the code's signature does not verify: not a carton of ours"
    return f"unknown carton: {it.detail}" if it.detail else "unknown carton"


def _write(
    session: Session, states: dict[int, CartonCustody], events: list[dict[str, Any]]
) -> None:
    rows = [
        {
            "cid": cid,
            "ct": s.custodian[0] if s.custodian else None,
            "ci": s.custodian[1] if s.custodian else None,
            "pt": s.pending_to[0] if s.pending_to else None,
            "pi": s.pending_to[1] if s.pending_to else None,
        }
        for cid, s in sorted(states.items())
        if s.changed
    ]
    if rows:
        session.connection().execute(
            update(table_of(Carton))
            .where(table_of(Carton).c.id == bindparam("cid"))
            .values(
                custodian_type=bindparam("ct"),
                custodian_id=bindparam("ci"),
                pending_to_type=bindparam("pt"),
                pending_to_id=bindparam("pi"),
            ),
            rows,
        )
    if events:
        session.execute(insert(table_of(CustodyEvent)), events)
