"""Judging a gathered batch: a pure function of `Gathered` and the policy. Each scan gets its
verdicts from `rules.verdicts`, and its diverted (or cloned) cartons the cases they open; the
database is not touched here, so the whole judgement can be read (and tested) from its facts."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from app.models import ViolationKind
from app.scans.gather import Gathered, ItemFacts
from app.scans.recognise import CartonFacts
from app.violations.opening import CaseDraft
from rules.blame import Blame, blame
from rules.penalties import advisory_market
from rules.policy import Policy
from rules.prices import price_case
from rules.transfers import case_value
from rules.verdicts import (
    Decision,
    ScanFacts,
    Sighting,
    evaluate,
    price_floor_for,
)
from rules.vocab import Verdict

# For a pallet, the verdict reported is the gravest of its cartons'.
SEVERITY = [
    Verdict.CLONED,
    Verdict.DIVERSION,
    Verdict.VOIDED,
    Verdict.UNKNOWN,
    Verdict.IN_TRANSIT,
    Verdict.IN_REGION,
]


Party = tuple[int | None, int | None, str | None]
"""Who answers for a case: a distributor, a sub-customer, and the rule that named them."""


@dataclass(frozen=True)
class CartonVerdict:
    carton: CartonFacts
    decision: Decision
    floor_fen: int | None = None
    """The price floor the scan's observed price was held to, if it gave one."""


@dataclass(frozen=True)
class Judged:
    """One scan's judgement. A scan that could not be judged (`item.error`, or no region) has
    neither a decision nor cartons; one that named no known carton has a `decision` only."""

    index: int
    """The scan's position in the batch as received."""
    item: ItemFacts
    decision: Decision | None = None
    cartons: tuple[CartonVerdict, ...] = ()
    cases: tuple[CaseDraft, ...] = ()

    @property
    def worst(self) -> CartonVerdict:
        """The carton whose verdict is the gravest: what a pallet scan reports."""
        return min(self.cartons, key=lambda cv: SEVERITY.index(cv.decision.verdict))


def judge(g: Gathered, policy: Policy) -> tuple[Judged, ...]:
    """Every scan of the batch judged, in the order they were scanned: a batch uploaded late
    from an offline phone compares each carton with its true previous sighting."""
    seen: dict[int, list[Sighting]] = {cid: list(s) for cid, s in g.sightings.items()}
    order = sorted(range(len(g.items)), key=lambda i: g.items[i].scanned_at)
    out: list[Judged] = []
    for i in order:
        it = g.items[i]
        if it.error or it.region is None:
            out.append(Judged(i, it))
            continue
        path = g.tree.path_codes(it.region.id)
        here = (
            Sighting(at=it.scanned_at, lat=it.pos[0], lon=it.pos[1])
            if it.pos
            else Sighting(at=it.scanned_at)
        )
        if not it.cartons:
            status = (
                it.code_status
                if it.code_status in ("unreadable", "forged", "unknown")
                else "unknown"
            )
            facts = ScanFacts(code_status=status, scanned=here, scan_region_path=path)  # type: ignore[arg-type]
            out.append(Judged(i, it, decision=evaluate(facts, policy)))
            continue
        verdicts: list[CartonVerdict] = []
        for c in it.cartons:
            floor = None
            if c.distributor_id is not None and it.observed_price_fen is not None:
                floor = price_floor_for(
                    tier=g.tiers[c.distributor_id], floors_fen=c.floors, policy=policy
                )
            d = evaluate(
                ScanFacts(
                    code_status="valid",
                    scanned=here,
                    scan_region_path=path,
                    territory_region_codes=g.territory[c.id],
                    voided=c.voided,
                    previous=_latest_before(seen.get(c.id, []), it.scanned_at),
                    active_waybills=g.waybills.get(c.id, ()),
                    observed_unit_price_fen=it.observed_price_fen,
                    floor_unit_price_fen=floor,
                ),
                policy,
            )
            verdicts.append(CartonVerdict(c, d, floor))
            if here.has_position:
                seen.setdefault(c.id, []).append(here)
        out.append(Judged(i, it, cartons=tuple(verdicts)))
    return tuple(j if not j.cartons else _with_cases(j, g=g, policy=policy) for j in out)


def _latest_before(sightings: Sequence[Sighting], at: datetime) -> Sighting | None:
    earlier = [s for s in sightings if s.at <= at]
    return max(earlier, key=lambda s: s.at) if earlier else None


def _with_cases(j: Judged, *, g: Gathered, policy: Policy) -> Judged:
    """The cases a scan opens: one for its diverted cartons per diverting custodian (the
    custodian of record answers, `rules.blame`), and one of its own for cloned ones: a copied
    code blames nobody until HQ decides."""
    it = j.item
    assert it.region is not None
    advisory = advisory_market(g.tree.path_codes(it.region.id), policy)
    by_diverter: dict[Party, list[CartonFacts]] = defaultdict(list)
    cloned: list[CartonFacts] = []
    for cv in j.cartons:
        if cv.decision.verdict is Verdict.DIVERSION:
            b: Blame = blame(g.custody[cv.carton.id], policy)
            key = (b.diverting_distributor_id, b.diverting_sub_customer_id, b.rule)
            by_diverter[key].append(cv.carton)
        elif cv.decision.verdict is Verdict.CLONED:
            cloned.append(cv.carton)
    # Price disorder is a case of its own against the seller, diverted goods or not; price
    # cases come first, so a diversion is the scan's case when it opens both.
    cases = _price_cases(j, g=g, policy=policy, advisory=advisory)
    cases += _drafts(ViolationKind.DIVERSION, by_diverter, it=it, policy=policy, advisory=advisory)
    if cloned:
        nobody: Party = (None, None, None)
        cases += _drafts(
            ViolationKind.CLONED, {nobody: cloned}, it=it, policy=policy, advisory=advisory
        )
    return Judged(j.index, it, j.decision, j.cartons, tuple(cases))


def _price_cases(j: Judged, *, g: Gathered, policy: Policy, advisory: bool) -> list[CaseDraft]:
    """The price cases a scan's cartons open, one per seller (`rules.prices`)."""
    it = j.item
    assert it.region is not None
    if it.observed_price_fen is None or not policy.price_cases.open_cases:
        return []
    by_seller: dict[Party, list[CartonFacts]] = defaultdict(list)
    for cv in j.cartons:
        decision = price_case(
            observed_fen=it.observed_price_fen,
            floor_fen=cv.floor_fen,
            custody=g.custody[cv.carton.id],
            policy=policy,
            genuine=cv.decision.verdict not in (Verdict.CLONED, Verdict.VOIDED),
        )
        if decision.opens:
            key = (decision.seller_distributor_id, decision.seller_sub_customer_id, decision.rule)
            by_seller[key].append(cv.carton)
    return _drafts(ViolationKind.PRICE, by_seller, it=it, policy=policy, advisory=advisory)


def _drafts(
    kind: ViolationKind,
    by_party: dict[Party, list[CartonFacts]],
    *,
    it: ItemFacts,
    policy: Policy,
    advisory: bool,
) -> list[CaseDraft]:
    """One case of this kind per party, counting the cartons it answers for in this scan."""
    assert it.region is not None
    return [
        CaseDraft(
            kind=kind,
            carton_ids=tuple(c.id for c in cartons),
            diverting_distributor_id=distributor,
            diverting_sub_customer_id=sub_customer,
            blame_rule=rule,
            value_fen=case_value(c.value_fen for c in cartons),
            region_id=it.region.id,
            detected_at=it.scanned_at,
            policy_version=policy.version,
            advisory=advisory,
        )
        for (distributor, sub_customer, rule), cartons in by_party.items()
    ]
