"""Custody hand-offs: shipping (出库) and receiving (入库) scans by distributors and
sub-customers. A batch reads its codes as `/scans` does, gathers the facts of each carton and
party with a few set-based queries, asks `rules.custody` what each hand-off means, and applies
the decisions: the carton's pending receiver or new custodian, an append-only custody event,
and a diversion violation where a receipt came from outside the receiver's supply line."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.auth.principal import Principal
from app.common.locks import lock_cartons
from app.config import Settings
from app.custody.schemas import CustodyItemIn, CustodyResult
from app.db import table_of, utcnow
from app.models import (
    Carton,
    CartonStatus,
    CustodyEvent,
    CustodyKind,
    CustodyParty,
    Distributor,
    Role,
    SubCustomer,
    SubCustomerStatus,
    ViolationKind,
    distributor_region,
)
from app.regions.tree import RegionTree, region_tree, territories
from app.scans.gather import FUTURE_TOLERANCE
from app.scans.recognise import CartonFacts, Item, recognise
from app.violations.opening import CaseDraft, open_or_join_many
from rules.blame import Custody, blame
from rules.custody import (
    CartonState,
    HandOffDecision,
    Outcome,
    Party,
    decide_receive,
    decide_ship,
)
from rules.penalties import advisory_market
from rules.policy import Policy
from rules.transfers import case_value

Direction = Literal["ship", "receive"]

GRAVITY = [Outcome.REFUSED, Outcome.WARNING, Outcome.ACCEPTED]


@dataclass
class _State:
    """A carton's custody as the batch goes: loaded once, changed by each decision in turn."""

    voided: bool
    delivered_distributor_id: int | None
    coded_region_id: int
    custodian: tuple[str, int] | None
    pending_to: tuple[str, int] | None
    changed: bool = False


@dataclass
class _Parties:
    """Every party a batch names or whose goods it touches, by code and by (kind, id)."""

    by_code: dict[str, Party] = field(default_factory=dict)
    by_key: dict[tuple[str, int], Party] = field(default_factory=dict)
    region_of: dict[tuple[str, int], int] = field(default_factory=dict)
    """The region a violation found at that party is recorded in."""
    codes: dict[tuple[str, int], str] = field(default_factory=dict)


def _load_parties(
    session: Session,
    tree: RegionTree,
    *,
    codes: set[str],
    keys: set[tuple[str, int]],
) -> _Parties:
    out = _Parties()
    dist_ids = {i for k, i in keys if k == CustodyParty.DISTRIBUTOR}
    sub_ids = {i for k, i in keys if k == CustodyParty.SUB_CUSTOMER}
    subs = list(
        session.scalars(
            select(SubCustomer).where(SubCustomer.code.in_(codes) | SubCustomer.id.in_(sub_ids))
        )
    )
    dist_ids |= {s.distributor_id for s in subs}
    dists = list(
        session.scalars(
            select(Distributor).where(Distributor.code.in_(codes) | Distributor.id.in_(dist_ids))
        )
    )
    regions: dict[int, list[int]] = defaultdict(list)
    for did, rid in session.execute(
        select(distributor_region.c.distributor_id, distributor_region.c.region_id)
        .where(distributor_region.c.distributor_id.in_([d.id for d in dists]))
        .order_by(distributor_region.c.region_id)
    ):
        regions[did].append(rid)
    for d in dists:
        party = Party(
            kind=CustodyParty.DISTRIBUTOR.value,
            id=d.id,
            distributor_id=d.id,
            region_paths=tuple(tree.path_codes(r) for r in regions[d.id]),
        )
        out.by_code[d.code] = party
        out.by_key[party.key] = party
        out.codes[party.key] = d.code
        if regions[d.id]:
            out.region_of[party.key] = regions[d.id][0]
    for s in subs:
        party = Party(
            kind=CustodyParty.SUB_CUSTOMER.value,
            id=s.id,
            distributor_id=s.distributor_id,
            region_paths=(tree.path_codes(s.region_id),),
            authorized=s.status is SubCustomerStatus.APPROVED,
        )
        # A code names a distributor first: sub-customer codes are kept apart from them.
        out.by_code.setdefault(s.code, party)
        out.by_key[party.key] = party
        out.codes[party.key] = s.code
        out.region_of[party.key] = s.region_id
    return out


def _caller_key(principal: Principal) -> tuple[str, int] | None:
    if principal.role is Role.distributor and principal.distributor_id is not None:
        return (CustodyParty.DISTRIBUTOR.value, principal.distributor_id)
    if principal.role is Role.sub_customer and principal.sub_customer_id is not None:
        return (CustodyParty.SUB_CUSTOMER.value, principal.sub_customer_id)
    return None


def _load_states(session: Session, carton_ids: list[int]) -> dict[int, _State]:
    out: dict[int, _State] = {}
    for start in range(0, len(carton_ids), 5000):
        for row in session.execute(
            select(
                Carton.id,
                Carton.status,
                Carton.distributor_id,
                Carton.region_id,
                Carton.custodian_type,
                Carton.custodian_id,
                Carton.pending_to_type,
                Carton.pending_to_id,
            ).where(Carton.id.in_(carton_ids[start : start + 5000]))
        ):
            out[row.id] = _State(
                voided=row.status == CartonStatus.voided,
                delivered_distributor_id=row.distributor_id,
                coded_region_id=row.region_id,
                custodian=(row.custodian_type, row.custodian_id)
                if row.custodian_type and row.custodian_id is not None
                else None,
                pending_to=(row.pending_to_type, row.pending_to_id)
                if row.pending_to_type and row.pending_to_id is not None
                else None,
            )
    return out


def _territory(
    session: Session, tree: RegionTree, states: dict[int, _State]
) -> dict[int, frozenset[str]]:
    """Each carton's authorized territory: its distributor's regions once delivered, else the
    region it was coded for (as the verdict rules see it)."""
    delivered = {s.delivered_distributor_id for s in states.values()}
    held = territories(session, tree, {d for d in delivered if d is not None})
    return {
        cid: held[s.delivered_distributor_id]
        if s.delivered_distributor_id is not None
        else frozenset({tree.nodes[s.coded_region_id].code})
        for cid, s in states.items()
    }


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
    states = _load_states(session, sorted(cartons))
    caller = _caller_key(principal)
    parties = _load_parties(
        session,
        tree,
        codes={c for i in items_in for c in (i.to_party_code, i.from_party_code) if c},
        keys={k for s in states.values() for k in (s.custodian, s.pending_to) if k}
        | ({caller} if caller else set()),
    )
    territory = _territory(session, tree, states)
    results: dict[int, CustodyResult] = {}
    events: list[dict[str, Any]] = []
    findings: list[CaseDraft] = []
    finding_events: list[list[int]] = []
    finding_results: list[int] = []
    now = utcnow()
    for i in sorted(range(len(items)), key=lambda n: items[n].scanned_at):
        it, src = items[i], items_in[i]
        actor, error = _actor(direction, src, caller, parties)
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
                    _finding(c, st, chain, target, parties, tree, it.scanned_at, policy)
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
        audit.record(
            session,
            actor=principal.username,
            action=f"custody.{direction}",
            entity_type="custody",
            entity_key=(ref or "-")[:80],
            data={
                "hand_offs": len(events),
                "refused": refused,
                "warnings": sum(1 for e in events if e["outcome"] == "warning"),
                "violations": sorted({e["violation_id"] for e in events if e["violation_id"]}),
            },
        )
    return [results[i] for i in range(len(items))]


def _actor(
    direction: Direction,
    src: CustodyItemIn,
    caller: tuple[str, int] | None,
    parties: _Parties,
) -> tuple[Party | None, str | None]:
    """The party that ships (or receives): the caller's own, or the one an admin names."""
    named = src.from_party_code if direction == "ship" else src.to_party_code
    if caller is not None:
        if direction == "ship" and src.from_party_code:
            return None, "only an admin may name from_party_code: you ship from your own stock"
        if direction == "receive" and src.to_party_code:
            return None, "only an admin may name to_party_code: you receive into your own stock"
        party = parties.by_key.get(caller)
        return (party, None) if party else (None, "your own party is not on file")
    if not named:
        field_name = "from_party_code" if direction == "ship" else "to_party_code"
        return None, f"{field_name} is required: name the party that hands the goods on"
    party = parties.by_code.get(named)
    return (party, None) if party else (None, f"unknown party {named!r}")


def _unjudgeable(it: Item) -> str | None:
    if it.cartons:
        return None
    if it.status == "unreadable":
        return f"unreadable payload: {it.detail}" if it.detail else "unreadable payload"
    if it.status == "forged":
        return "the code's signature does not verify: not a carton of ours"
    return f"unknown carton: {it.detail}" if it.detail else "unknown carton"


def _finding(
    c: CartonFacts,
    st: _State,
    chain: Party | None,
    target: Party,
    parties: _Parties,
    tree: RegionTree,
    at: datetime,
    policy: Policy,
) -> CaseDraft:
    """A diversion caught at the hand-off: the chain the goods come from diverted them into the
    receiver's place; the receiver's distributor is the invaded party."""
    b = blame(
        Custody(
            delivered_distributor_id=st.delivered_distributor_id,
            custodian_kind=chain.kind if chain else None,
            custodian_id=chain.id if chain else None,
            custodian_distributor_id=chain.distributor_id if chain else None,
        ),
        policy,
    )
    region_id = parties.region_of.get(target.key, st.coded_region_id)
    invaded = target.distributor_id if target.distributor_id != b.diverting_distributor_id else None
    return CaseDraft(
        kind=ViolationKind.DIVERSION,
        carton_ids=(c.id,),
        diverting_distributor_id=b.diverting_distributor_id,
        diverting_sub_customer_id=b.diverting_sub_customer_id,
        blame_rule=b.rule,
        value_fen=case_value([c.value_fen]),
        region_id=region_id,
        detected_at=at,
        policy_version=policy.version,
        advisory=advisory_market(tree.path_codes(region_id), policy),
        invaded_distributor_id=invaded,
    )


def _write(session: Session, states: dict[int, _State], events: list[dict[str, Any]]) -> None:
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
