"""The facts a custody batch is judged on, read with a few set-based queries: each carton's state
and territory, the parties handing over and receiving, and what a hand-off finds."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.custody.schemas import CustodyItemIn
from app.models import (
    Carton,
    CartonStatus,
    CustodyParty,
    Distributor,
    Role,
    SubCustomer,
    SubCustomerStatus,
    ViolationKind,
    distributor_region,
)
from app.regions.tree import RegionTree, territories
from app.scans.recognise import CartonFacts
from app.violations.opening import CaseDraft
from rules.blame import Custody, blame
from rules.custody import (
    Party,
)
from rules.penalties import advisory_market
from rules.policy import Policy
from rules.transfers import case_value

Direction = Literal["ship", "receive"]


@dataclass
class CartonCustody:
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


def load_parties(
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


def caller_key(principal: Principal) -> tuple[str, int] | None:
    if principal.role is Role.distributor and principal.distributor_id is not None:
        return (CustodyParty.DISTRIBUTOR.value, principal.distributor_id)
    if principal.role is Role.sub_customer and principal.sub_customer_id is not None:
        return (CustodyParty.SUB_CUSTOMER.value, principal.sub_customer_id)
    return None


def load_states(session: Session, carton_ids: list[int]) -> dict[int, CartonCustody]:
    out: dict[int, CartonCustody] = {}
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
            out[row.id] = CartonCustody(
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


def territory_of(
    session: Session, tree: RegionTree, states: dict[int, CartonCustody]
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


def actor_of(
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


def finding_of(
    c: CartonFacts,
    st: CartonCustody,
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
