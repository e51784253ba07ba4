"""Judging a gathered batch is a pure function: built here from plain facts, with no database,
it gives each scan its verdicts and the cases they open, in the order the scans were made."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from app.regions.tree import RegionNode, RegionTree
from app.scans.gather import Gathered, ItemFacts
from app.scans.judge import judge
from app.scans.recognise import CartonFacts
from rules.blame import Custody
from rules.policy import Policy
from rules.vocab import RegionKind, ViolationKind
from tests.rules.conftest import policy_variant

T0 = datetime(2026, 11, 10, 8, 0, tzinfo=UTC)
CN = RegionNode(1, "CN", "中国", RegionKind.CONTESTED, None)
SD = RegionNode(2, "SD", "山东", RegionKind.HOME_BASE, 1)
JINAN = RegionNode(3, "SD-JINAN", "济南", RegionKind.HOME_BASE, 2)
BJ = RegionNode(4, "BJ", "北京", RegionKind.CONTESTED, 1)
TREE = RegionTree(
    nodes={n.id: n for n in (CN, SD, JINAN, BJ)},
    by_code={n.code: n for n in (CN, SD, JINAN, BJ)},
)
JINAN_POS = (36.6512, 117.1201)
BEIJING_POS = (39.9042, 116.4074)


def carton(cid: int, **changes: Any) -> CartonFacts:
    """A carton of distributor 7 (territory Shandong), worth 120.00 CNY."""
    base = CartonFacts(
        id=cid,
        serial=f"S{cid}",
        voided=False,
        region_id=SD.id,
        distributor_id=7,
        value_fen=12_000,
        floors={},
        pallet_id=None,
    )
    return dataclasses.replace(base, **changes)


def item(region: RegionNode | None, at: datetime, *cartons: CartonFacts, **kw: Any) -> ItemFacts:
    pos = BEIJING_POS if region is BJ else JINAN_POS
    fields: dict[str, Any] = {
        "payload": "p",
        "scanned_at": at,
        "region": region,
        "checkpoint_id": None,
        "pos": pos,
        "observed_price_fen": None,
        "device_id": None,
        "code_status": "valid" if cartons else "unknown",
        "serial": cartons[0].serial if cartons else None,
        "item_serial": None,
        "sscc": None,
        "detail": "",
        "error": None,
        "error_verdict": None,
        "cartons": cartons,
    }
    fields.update(kw)
    return ItemFacts(**fields)


def gathered(*items: ItemFacts, custody: dict[int, Custody] | None = None) -> Gathered:
    cartons = {c.id: c for it in items for c in it.cartons}
    return Gathered(
        tree=TREE,
        items=items,
        territory={cid: frozenset({"SD"}) for cid in cartons},
        waybills={},
        sightings={},
        tiers={},
        custody=custody or {cid: Custody(7, "distributor", 7, 7) for cid in cartons},
        received_at=T0 + timedelta(days=1),
    )


@pytest.fixture
def policy() -> Policy:
    return policy_variant(verdicts={"clone_speed_kmh": 150, "clone_min_distance_km": 5})


def test_cartons_found_outside_their_territory_open_one_case_per_diverting_custodian(
    policy: Policy,
) -> None:
    a, b, c = carton(1), carton(2, value_fen=9_950), carton(3)
    g = gathered(
        item(BJ, T0, a, b, c, sscc="0123"),
        custody={
            1: Custody(7, "sub_customer", 30, 7),
            2: Custody(7, "sub_customer", 30, 7),
            3: Custody(7, "distributor", 7, 7),
        },
    )
    (j,) = judge(g, policy)
    assert [cv.decision.verdict.value for cv in j.cartons] == ["diversion"] * 3
    by_blame = {case.blame_rule: case for case in j.cases}
    sub = by_blame["sub_customer_custodian"]
    assert (sub.carton_ids, sub.value_fen) == ((1, 2), 21_950)
    assert (sub.diverting_distributor_id, sub.diverting_sub_customer_id) == (7, 30)
    own = by_blame["distributor_custodian"]
    assert (own.carton_ids, own.value_fen, own.diverting_sub_customer_id) == ((3,), 12_000, None)
    assert all(case.region_id == BJ.id and case.detected_at == T0 for case in j.cases)


def test_in_its_territory_a_carton_opens_no_case(policy: Policy) -> None:
    (j,) = judge(gathered(item(JINAN, T0, carton(1))), policy)
    assert j.worst.decision.verdict.value == "in_region"
    assert j.cases == ()


def test_scans_are_judged_in_the_order_they_were_made_and_a_clone_names_nobody(
    policy: Policy,
) -> None:
    # Uploaded Beijing first, but made ten minutes after Jinan: 364 km in 10 minutes.
    late = item(BJ, T0 + timedelta(minutes=10), carton(1))
    early = item(JINAN, T0, carton(1))
    first, second = judge(gathered(late, early), policy)
    assert (first.index, second.index) == (1, 0)
    assert first.worst.decision.verdict.value == "in_region"
    assert second.worst.decision.verdict.value == "cloned"
    (case,) = second.cases
    assert case.kind is ViolationKind.CLONED
    assert case.diverting_distributor_id is None and case.blame_rule is None


def test_a_scan_without_cartons_gets_a_decision_and_one_in_error_none(policy: Policy) -> None:
    unknown = item(JINAN, T0)
    broken = item(None, T0, error="unknown checkpoint 'X'")
    j_unknown, j_broken = judge(gathered(unknown, broken), policy)
    assert j_unknown.decision is not None
    assert j_unknown.decision.verdict.value == "unknown"
    assert j_unknown.cartons == () and j_unknown.cases == ()
    assert (j_broken.decision, j_broken.cartons, j_broken.cases) == (None, (), ())
