"""Random sequences of deliveries, custody hand-offs to sub-customers, scans, appeals,
confirmations, dismissals and reversals, checked after every step against an independent model
of credited sales and fines, and against the ledger's own invariants.

CI size and the same sequences every run by default; CG_MODEL_EXAMPLES / CG_MODEL_STEPS make a
bigger, random run, e.g.
`CG_MODEL_EXAMPLES=300 CG_MODEL_STEPS=60 .venv/bin/pytest tests/violations/test_ledger_model.py`.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import ClassVar

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import db
from app.auth.principal import Principal
from app.auth.visibility import Visibility, visibility
from app.codes import service as codes
from app.codes.schemas import CodeBatchIn
from app.config import get_settings
from app.custody import service as custody
from app.custody.schemas import CustodyItemIn
from app.errors import Conflict
from app.ledger import money
from app.ledger import service as ledger
from app.models import (
    AccountKind,
    Distributor,
    JournalEntry,
    JournalLine,
    PartyType,
    Role,
    SubCustomer,
    SubCustomerTier,
    User,
    Violation,
)
from app.scans import service as scans
from app.scans.schemas import ScanIn
from app.subcustomers import service as subcustomers
from app.subcustomers.schemas import SubCustomerIn
from app.violations import sanctions, service
from app.violations.schemas import Ruling
from app.waybills import service as waybills
from app.waybills.schemas import WaybillIn
from rules.policy import load_policy
from tests import conftest

LAGER = "06901234560015"
CARTON_FEN = 4800
# distributor -> (its salesperson, its region, agreement on file)
DISTRIBUTORS = {
    "D-370100-2": ("SP-370100", "370100", True),
    "D-370300-2": ("SP-370300", "370300", True),
    "D-371500-2": ("SP-371500", "371500", False),
}
# distributor -> its approved 二批 in its own city, agreement signed (fined per carton on its own)
SUB_CUSTOMERS = {d: f"SC-{region}-M1" for d, (_sp, region, _signed) in DISTRIBUTORS.items()}
SUB_FINE_FEN = 5000
# checkpoint -> (region, region kind, the invaded distributor and salesperson)
CHECKPOINTS = {
    "JN-G2-N": ("370100", "home_base", "D-370100-1", "SP-370100"),
    "ZB-G20": ("370300", "contested", "D-370300-1", "SP-370300"),
    "LC-G3": ("371500", "guerrilla", "D-371500-1", "SP-371500"),
    "QD-G20-W": ("370200", "stronghold", "D-370200-1", "SP-370200"),
}
# Four hours between scans keeps every hop between these cities under the clone speed.
SCAN_GAP = timedelta(hours=4)


@dataclass
class ModelViolation:
    id: int
    carton: str
    distributor: str
    salesperson: str
    invaded: str
    invaded_salesperson: str
    region_kind: str
    step: int
    sub_customer: str | None = None
    """The diverting sub-customer: the carton's last custodian of record, when one held it."""
    status: str = "open"
    fine_fen: int = 0
    penalty_fen: int = 0
    """The ladder's deposit-deduction step, owed beside the fine."""
    from_deposit_fen: int = 0
    supply_stop: bool = False


class LedgerMachine(RuleBasedStateMachine):
    databases: ClassVar[conftest.Databases]
    template: ClassVar[str]
    seen: ClassVar[Counter[str]] = Counter()
    """What the runs exercised, so the test can tell it did not pass by doing nothing."""

    def __init__(self) -> None:
        super().__init__()
        self.url = self.databases.copy(self.template)
        conftest._use(self.url)
        self.policy = load_policy()
        self.period = ledger.period_of(datetime.now(UTC))
        with self.session() as s:
            self.start = self.sales(s)
            self.start_fines = self.fines(s)
            inspector = s.scalar(select(User.id).where(User.username == "inspector"))
            assert inspector is not None
            self.inspector: int = inspector
            self.dist_ids = dict(s.execute(select(Distributor.code, Distributor.id)).all())
            self.sub_ids = dict(
                s.execute(
                    select(SubCustomer.code, SubCustomer.id).where(
                        SubCustomer.code.in_(SUB_CUSTOMERS.values())
                    )
                ).all()
            )
        self.credited: dict[str, int] = {}
        self.fined: dict[str, int] = {}
        self.deposit: dict[str, int] = {}
        self.lifted: set[int] = set()  # violations whose supply stop HQ lifted
        self.owner: dict[str, str] = {}  # carton payload -> distributor it was delivered to
        self.holder: dict[str, str] = {}  # carton payload -> sub-customer that received it
        self.shipped: dict[str, str] = {}  # carton payload -> sub-customer it is on its way to
        self.violations: dict[int, ModelViolation] = {}
        self.clock = datetime.now(UTC) - timedelta(days=20)
        self.steps = 0
        self.waybills = 0

    def teardown(self) -> None:
        db.get_engine().dispose()

    def session(self) -> Session:
        return db.get_sessionmaker()()

    # --- what the system says -------------------------------------------------------------

    def sales(self, s: Session) -> dict[str, int]:
        return {
            b.party_code: b.amount_fen
            for b in ledger.balances(s, period=self.period)
            if b.party_type is not PartyType.SYSTEM
        }

    def fines(self, s: Session) -> dict[str, int]:
        return {
            b.party_code: b.amount_fen
            for b in ledger.balances(s, period=self.period, kinds=[AccountKind.fines])
        }

    # --- the model ------------------------------------------------------------------------

    def credit(self, party: str, fen: int) -> None:
        self.credited[party] = self.credited.get(party, 0) + fen

    def transfer(self, v: ModelViolation, sign: int) -> None:
        value = sign * CARTON_FEN
        self.credit(v.distributor, -value)
        self.credit(v.salesperson, -value)
        self.credit(v.invaded, value)
        self.credit(v.invaded_salesperson, value)

    def fine_for(self, v: ModelViolation) -> int:
        if not DISTRIBUTORS[v.distributor][2]:
            return 0  # no agreement on file, no fine
        prior = sum(
            1
            for o in self.violations.values()
            if o.distributor == v.distributor and o.status == "confirmed" and o.step < v.step
        )
        per_carton = {
            "home_base": 20000,
            "stronghold": 15000,
            "contested": 10000,
            "guerrilla": 5000,
        }[v.region_kind]
        multiplier = Decimal(1) if prior == 0 else Decimal("1.5") if prior == 1 else Decimal(2)
        return int(per_carton * multiplier)

    def offence(self, v: ModelViolation) -> int:
        return 1 + sum(
            1
            for o in self.violations.values()
            if o.distributor == v.distributor and o.status == "confirmed" and o.step < v.step
        )

    def stopped(self, distributor: str) -> bool:
        return any(
            v.supply_stop and v.status == "confirmed" and v.id not in self.lifted
            for v in self.violations.values()
            if v.distributor == distributor
        )

    def rebate(self, fen: int, tiers: tuple[tuple[int, str], ...]) -> int:
        """The schedule of policy 2026-12-15, applied independently of rules.money."""
        rate = Decimal(0)
        for start, r in tiers:
            if fen > 0 and fen >= start:
                rate = Decimal(r)
        return int((fen * rate).quantize(Decimal(1), rounding="ROUND_HALF_UP"))

    def active_violation(self, carton: str) -> ModelViolation | None:
        for v in self.violations.values():
            if v.carton == carton and v.status in ("open", "appealed", "confirmed"):
                return v
        return None

    # --- rules ----------------------------------------------------------------------------

    @initialize(distributor=st.sampled_from(sorted(DISTRIBUTORS)), n=st.integers(1, 3))
    def first_delivery(self, distributor: str, n: int) -> None:
        self.deliver(distributor, n)

    @rule(distributor=st.sampled_from(sorted(DISTRIBUTORS)), n=st.integers(1, 3))
    def deliver(self, distributor: str, n: int) -> None:
        salesperson, region, _signed = DISTRIBUTORS[distributor]
        self.waybills += 1
        number = f"WB-MODEL-{self.waybills}"
        settings_ = get_settings()
        if self.stopped(distributor):
            with pytest.raises(Conflict, match="stopped"), self.session() as s, s.begin():
                waybills.create_waybill(
                    s,
                    data=WaybillIn(
                        number=number,
                        vehicle_plate="鲁A00001",
                        dispatched_at=self.clock - timedelta(days=2),
                        expected_arrival=self.clock - timedelta(days=1),
                        destination_distributor_code=distributor,
                        route_region_codes=[region],
                        issuer="model",
                        salesperson_code=salesperson,
                        carton_payloads=list(self.owner)[:1],
                    ),
                    settings=settings_,
                    actor="model",
                )
            self.seen["supply_stopped"] += 1
            return
        with self.session() as s, s.begin():
            batch = codes.issue_batch(
                s,
                data=CodeBatchIn(gtin=LAGER, region_code=region, quantity=n),
                settings=settings_,
                actor="model",
            )
            payloads = [c.payload for c in batch.codes or []]
            waybills.create_waybill(
                s,
                data=WaybillIn(
                    number=number,
                    vehicle_plate="鲁A00001",
                    dispatched_at=self.clock - timedelta(days=2),
                    expected_arrival=self.clock - timedelta(days=1),
                    destination_distributor_code=distributor,
                    route_region_codes=[region],
                    issuer="model",
                    salesperson_code=salesperson,
                    carton_payloads=payloads,
                ),
                settings=settings_,
                actor="model",
            )
            waybills.deliver_waybill(s, number=number, actor="model")
        for p in payloads:
            self.owner[p] = distributor
        self.credit(distributor, n * CARTON_FEN)
        self.credit(salesperson, n * CARTON_FEN)

    @initialize(fen=st.integers(1, 40000))
    def first_deposits(self, fen: int) -> None:
        for distributor in sorted(DISTRIBUTORS):
            self.lodge(distributor, fen)

    @rule(distributor=st.sampled_from(sorted(DISTRIBUTORS)), fen=st.integers(1, 40000))
    def lodge(self, distributor: str, fen: int) -> None:
        with self.session() as s, s.begin():
            money.lodge(s, code=distributor, amount_fen=fen, actor="model")
        self.deposit[distributor] = self.deposit.get(distributor, 0) + fen
        self.seen["lodged"] += 1

    @rule(distributor=st.sampled_from(sorted(DISTRIBUTORS)), fen=st.integers(1, 40000))
    def refund(self, distributor: str, fen: int) -> None:
        held = self.deposit.get(distributor, 0)
        try:
            with self.session() as s, s.begin():
                money.refund(s, code=distributor, amount_fen=fen, actor="model")
        except Conflict:
            assert fen > held
            self.seen["refund_refused"] += 1
            return
        assert fen <= held
        self.deposit[distributor] = held - fen

    @precondition(lambda self: any(self.stopped(d) for d in DISTRIBUTORS))
    @rule()
    def lift(self) -> None:
        for d in DISTRIBUTORS:
            if self.stopped(d):
                with self.session() as s, s.begin():
                    dist = s.get_one(Distributor, self.dist_ids[d])
                    sanctions.lift_supply_stop(s, dist, actor="model")
                self.lifted |= {v.id for v in self.violations.values() if v.distributor == d}
                self.seen["lifted"] += 1

    def in_order(self, cartons: dict[str, str]) -> list[str]:
        """Cartons in delivery order: their payloads carry random serials, so sorting by payload
        would pick a different carton for the same draw on every run and on Hypothesis' replay."""
        return [c for c in self.owner if c in cartons]

    def in_distributors_hands(self) -> list[str]:
        return [c for c in self.owner if c not in self.holder and c not in self.shipped]

    def hand_off(self, direction: custody.Direction, who: Principal, item: CustodyItemIn) -> str:
        self.clock += timedelta(minutes=1)
        with self.session() as s, s.begin():
            (result,) = custody.hand_off(
                s,
                direction=direction,
                items_in=[item],
                principal=who,
                ref=f"model-{direction}",
                settings=get_settings(),
                policy=self.policy,
            )
        assert result.error is None and result.violation_id is None, result
        assert result.outcome is not None
        return result.outcome

    @precondition(lambda self: self.in_distributors_hands())
    @rule(data=st.data(), own=st.integers(0, 3))
    def ship(self, data: st.DataObject, own: int) -> None:
        """出库: a distributor ships a carton it holds to its own 二批 (inside its territory:
        accepted) or, now and then, to another city's 二批 (outside: refused, nothing moves)."""
        carton = data.draw(st.sampled_from(self.in_distributors_hands()))
        distributor = self.owner[carton]
        others = sorted(sc for d, sc in SUB_CUSTOMERS.items() if d != distributor)
        to = SUB_CUSTOMERS[distributor] if own else data.draw(st.sampled_from(others))
        who = Principal(
            user_id=self.inspector,
            username=f"{distributor}-user",
            role=Role.distributor,
            distributor_id=self.dist_ids[distributor],
        )
        outcome = self.hand_off(
            "ship", who, CustodyItemIn(payload=carton, to_party_code=to, at=self.clock)
        )
        if own:
            assert outcome == "accepted"
            self.shipped[carton] = to
            self.seen["shipped"] += 1
        else:
            assert outcome == "refused"
            self.seen["ship_refused"] += 1

    @precondition(lambda self: self.shipped)
    @rule(data=st.data())
    def receive(self, data: st.DataObject) -> None:
        """入库: the 二批 scans in what its distributor shipped it and becomes its custodian."""
        carton = data.draw(st.sampled_from(self.in_order(self.shipped)))
        sub = self.shipped[carton]
        who = Principal(
            user_id=self.inspector,
            username=f"{sub}-user",
            role=Role.sub_customer,
            sub_customer_id=self.sub_ids[sub],
        )
        assert self.hand_off("receive", who, CustodyItemIn(payload=carton, at=self.clock)) == (
            "accepted"
        )
        self.holder[carton] = self.shipped.pop(carton)
        self.seen["received"] += 1

    @rule(data=st.data(), checkpoint=st.sampled_from(sorted(CHECKPOINTS)))
    def scan(self, data: st.DataObject, checkpoint: str) -> None:
        carton = data.draw(st.sampled_from(list(self.owner)))  # delivery order: replayable
        self.scan_at(carton, checkpoint)

    @precondition(lambda self: self.holder)
    @rule(data=st.data())
    def scan_sub_customer_stock(self, data: st.DataObject) -> None:
        """An inspector comes upon a carton a 二批 received, out of its region: a new case names
        the 二批 and its distributor."""
        carton = data.draw(st.sampled_from(self.in_order(self.holder)))
        home = DISTRIBUTORS[self.owner[carton]][1]
        away = sorted(c for c, (region, *_) in CHECKPOINTS.items() if region != home)
        self.scan_at(carton, data.draw(st.sampled_from(away)))

    def released(self) -> list[str]:
        """Cartons whose violation was dismissed or reversed and that nothing counts now."""
        done = [v.carton for v in self.violations.values() if v.status in ("dismissed", "reversed")]
        return [c for c in dict.fromkeys(done) if self.active_violation(c) is None]

    @precondition(lambda self: self.released())
    @rule(data=st.data())
    def rescan_released(self, data: st.DataObject) -> None:
        """A later scan of a carton whose violation was dismissed or reversed counts it again."""
        carton = data.draw(st.sampled_from(self.released()))
        home = DISTRIBUTORS[self.owner[carton]][1]
        checkpoint = next(c for c, (region, *_) in sorted(CHECKPOINTS.items()) if region != home)
        before = len(self.violations)
        self.scan_at(carton, checkpoint)
        assert len(self.violations) == before + 1
        self.seen["recounted"] += 1

    def scan_at(self, carton: str, checkpoint: str) -> None:
        self.clock += SCAN_GAP
        self.steps += 1
        with self.session() as s, s.begin():
            (result,) = scans.as_results(
                scans.ingest(
                    s,
                    items=scans.items_from(
                        [ScanIn(payload=carton, checkpoint_code=checkpoint, scanned_at=self.clock)]
                    ),
                    user_id=self.inspector,
                    settings=get_settings(),
                    policy=self.policy,
                )
            )
        distributor = self.owner[carton]
        region, kind, invaded, invaded_sp = CHECKPOINTS[checkpoint]
        if region == DISTRIBUTORS[distributor][1]:
            assert result.verdict == "in_region", result
            return
        assert result.verdict == "diversion", result
        assert result.violation_id is not None
        counted = self.active_violation(carton)
        if counted is not None:
            assert result.violation_id == counted.id  # a carton is never counted twice
            self.seen["joined"] += 1
            return
        assert result.violation_id not in self.violations
        # Blame on the last custodian of record: the 二批 that received it (a shipment not yet
        # received leaves it with the distributor), jointly with its distributor.
        sub = self.holder.get(carton)
        auditor = Principal(user_id=0, username="model-auditor", role=Role.hq_auditor)
        with self.session() as s:
            out = service.get_violation(
                s, violation_id=result.violation_id, vis=visibility(s, auditor), principal=auditor
            )
        found = (out.diverting_distributor_code, out.diverting_sub_customer_code, out.blame_rule)
        rule_ = "sub_customer_custodian" if sub else "distributor_custodian"
        assert found == (distributor, sub, rule_), found
        assert out.invaded_distributor_code == invaded, out
        self.seen["sub_customer_blamed" if sub else "distributor_blamed"] += 1
        self.violations[result.violation_id] = ModelViolation(
            id=result.violation_id,
            carton=carton,
            distributor=distributor,
            salesperson=DISTRIBUTORS[distributor][0],
            invaded=invaded,
            invaded_salesperson=invaded_sp,
            region_kind=kind,
            step=self.steps,
            sub_customer=sub,
        )
        self.seen["opened"] += 1

    def act(
        self,
        violation: ModelViolation,
        allowed: tuple[str, ...],
        call: Callable[[Session, Principal, Visibility], None],
    ) -> bool:
        """Run a lifecycle call; it must succeed exactly when the model allows it."""
        auditor = Principal(user_id=0, username="model-auditor", role=Role.hq_auditor)
        try:
            with self.session() as s, s.begin():
                call(s, auditor, visibility(s, auditor))
        except Conflict:
            assert violation.status not in allowed, f"{violation} refused"
            self.seen["refused"] += 1
            return False
        assert violation.status in allowed, f"{violation} should have been refused"
        return True

    @precondition(lambda self: self.violations)
    @rule(data=st.data())
    def appeal(self, data: st.DataObject) -> None:
        v = self.pick(data, ("open",))
        who = Principal(
            user_id=0,
            username=f"{v.distributor}-user",
            role=Role.distributor,
            distributor_id=self.dist_ids[v.distributor],
        )
        try:
            with self.session() as s, s.begin():
                service.appeal(
                    s,
                    violation_id=v.id,
                    principal=who,
                    vis=visibility(s, who),
                    reason="not ours",
                    evidence=None,
                )
        except Conflict:
            assert v.status != "open"
            return
        assert v.status == "open"
        v.status = "appealed"
        self.seen["appealed"] += 1

    def pick(self, data: st.DataObject, fitting: tuple[str, ...]) -> ModelViolation:
        """Mostly a violation the action fits, sometimes any (to try illegal transitions)."""
        everything = sorted(self.violations.values(), key=lambda m: m.id)
        fits = [v for v in everything if v.status in fitting]
        if fits and data.draw(st.integers(0, 3)) > 0:
            return data.draw(st.sampled_from(fits))
        return data.draw(st.sampled_from(everything))

    def decide(
        self, data: st.DataObject, decision: Ruling, v: ModelViolation | None = None
    ) -> None:
        v = v or self.pick(data, ("open", "appealed"))

        def call(s: Session, who: Principal, vis: Visibility) -> None:
            service.decide(s, violation_id=v.id, decision=decision, note="", principal=who, vis=vis)

        if not self.act(v, ("open", "appealed"), call):
            return
        if decision is Ruling.dismiss:
            v.status = "dismissed"
            self.seen["dismissed"] += 1
            return
        v.fine_fen = self.fine_for(v)
        ladder = self.policy.sanctions.ladder
        step = ladder[min(self.offence(v), len(ladder)) - 1].value if v.fine_fen else None
        v.penalty_fen = self.policy.sanctions.deposit_deduction_fen * (step == "deposit_deduction")
        v.supply_stop = step == "supply_stop"
        owed = v.fine_fen + v.penalty_fen
        v.from_deposit_fen = min(owed, self.deposit.get(v.distributor, 0))
        v.status = "confirmed"
        self.seen["confirmed"] += 1
        with self.session() as s:
            sub_fine = s.get_one(Violation, v.id).sub_customer_fine_fen
        # The 二批 signed its own agreement: it owes its own fine, recorded on the violation and
        # outside the ledger (whose parties are the company's contract partners).
        assert sub_fine == (SUB_FINE_FEN if v.sub_customer else None), (v, sub_fine)
        self.seen["sub_customer_fined"] += bool(sub_fine)
        self.seen["fined"] += bool(v.fine_fen)
        self.seen[f"step_{step}"] += 1
        self.seen["paid_from_deposit"] += bool(v.from_deposit_fen)
        self.transfer(v, +1)
        if owed:
            self.fined[v.distributor] = self.fined.get(v.distributor, 0) - owed + v.from_deposit_fen
            self.deposit[v.distributor] = self.deposit.get(v.distributor, 0) - v.from_deposit_fen

    @precondition(lambda self: self.violations)
    @rule(data=st.data())
    def confirm(self, data: st.DataObject) -> None:
        self.decide(data, Ruling.confirm)

    def second_tier_cases(self) -> list[ModelViolation]:
        """Undecided cases that name a 二批 (few among all cases: a random pick can miss them)."""
        return sorted(
            (
                m
                for m in self.violations.values()
                if m.sub_customer and m.status in ("open", "appealed")
            ),
            key=lambda m: m.id,
        )

    @precondition(lambda self: self.second_tier_cases())
    @rule(data=st.data())
    def confirm_second_tier(self, data: st.DataObject) -> None:
        self.decide(data, Ruling.confirm, data.draw(st.sampled_from(self.second_tier_cases())))

    @precondition(lambda self: self.violations)
    @rule(data=st.data())
    def dismiss(self, data: st.DataObject) -> None:
        self.decide(data, Ruling.dismiss)

    @precondition(lambda self: self.violations)
    @rule(data=st.data())
    def reverse(self, data: st.DataObject) -> None:
        v = self.pick(data, ("confirmed",))

        def call(s: Session, who: Principal, vis: Visibility) -> None:
            service.reverse(s, violation_id=v.id, note="", principal=who, vis=vis)

        if not self.act(v, ("confirmed",), call):
            return
        v.status = "reversed"
        self.seen["reversed"] += 1
        self.transfer(v, -1)
        if v.fine_fen:
            self.fined[v.distributor] += v.fine_fen + v.penalty_fen - v.from_deposit_fen
            self.deposit[v.distributor] = self.deposit.get(v.distributor, 0) + v.from_deposit_fen

    # --- invariants -----------------------------------------------------------------------

    @invariant()
    def every_entry_balances(self) -> None:
        with self.session() as s:
            bad = s.execute(
                select(JournalLine.entry_id)
                .group_by(JournalLine.entry_id)
                .having((func.sum(JournalLine.amount_fen) != 0) | (func.count() < 2))
            ).all()
            assert bad == []
            orphans = s.scalar(
                select(func.count())
                .select_from(JournalLine)
                .outerjoin(JournalEntry, JournalEntry.id == JournalLine.entry_id)
                .where(JournalEntry.id.is_(None))
            )
            assert orphans == 0

    @invariant()
    def balances_are_the_sums_of_their_lines(self) -> None:
        with self.session() as s:
            for party, fen in self.sales(s).items():
                ptype = PartyType.DISTRIBUTOR if party.startswith("D-") else PartyType.SALESPERSON
                st_ = ledger.statement(
                    s,
                    party_type=ptype,
                    party_code=party,
                    kind=AccountKind.credited_sales,
                    period=self.period,
                )
                assert st_.closing_balance - st_.opening_balance == Decimal(fen) / 100
                assert sum(line.amount for line in st_.lines) == Decimal(fen) / 100

    @invariant()
    def each_violation_moved_value_at_most_once(self) -> None:
        with self.session() as s:
            rows = s.execute(
                select(JournalEntry.cause_type, JournalEntry.cause_key, func.count())
                .group_by(JournalEntry.cause_type, JournalEntry.cause_key)
                .having(func.count() > 1)
            ).all()
            assert rows == []
            for v in self.violations.values():
                transfer = ledger.entry_for(s, cause_type="violation_transfer", cause_key=str(v.id))
                assert (transfer is not None) == (v.status in ("confirmed", "reversed"))
                if transfer is None:
                    continue
                legs = ledger.legs_of(s, transfer.id)
                assert sum(leg.amount_fen for leg in legs if leg.amount_fen > 0) == 2 * CARTON_FEN
                reversal = ledger.entry_for(s, cause_type="reversal", cause_key=transfer.id)
                assert (reversal is not None) == (v.status == "reversed")

    @invariant()
    def balances_match_the_model(self) -> None:
        with self.session() as s:
            sales, fines = self.sales(s), self.fines(s)

        def expected(start: dict[str, int], moves: dict[str, int]) -> dict[str, int]:
            out = dict(start)
            for party, fen in moves.items():
                out[party] = out.get(party, 0) + fen
            return out

        def nonzero(d: dict[str, int]) -> dict[str, int]:
            return {k: v for k, v in d.items() if v}

        assert nonzero(sales) == nonzero(expected(self.start, self.credited))
        assert nonzero(fines) == nonzero(expected(self.start_fines, self.fined))

    @invariant()
    def deposits_match_the_model_and_never_go_negative(self) -> None:
        with self.session() as s:
            held = dict(money.deposits(s, codes=None))
        assert all(fen >= 0 for fen in held.values())
        assert {k: v for k, v in held.items() if v} == {k: v for k, v in self.deposit.items() if v}

    @invariant()
    def rebates_follow_credited_sales_and_each_violation_once(self) -> None:
        """A rebate is the schedule applied to the model's credited sales (a reversal restores
        it exactly), and each confirmed, unreversed transfer shows as one effect per party."""
        tiers = {
            PartyType.DISTRIBUTOR: (
                (0, "0.01"),
                (100000, "0.02"),
                (190000, "0.03"),
                (10**6, "0.05"),
            ),
            PartyType.SALESPERSON: ((0, "0.005"), (190000, "0.01")),
        }
        expected = dict(self.start)
        for party, fen in self.credited.items():
            expected[party] = expected.get(party, 0) + fen
        with self.session() as s:
            for ptype, schedule in tiers.items():
                for p in money.pay(s, period=self.period, party_type=ptype):
                    assert p.credited_fen == expected[p.party_code]
                    assert p.amount_fen == self.rebate(p.credited_fen, schedule)
                    moved = {
                        v.id: CARTON_FEN
                        if p.party_code in (v.invaded, v.invaded_salesperson)
                        else -CARTON_FEN
                        for v in self.violations.values()
                        if v.status == "confirmed"
                        and p.party_code
                        in (v.distributor, v.salesperson, v.invaded, v.invaded_salesperson)
                    }
                    assert {e.violation_id: e.credited_change_fen for e in p.effects} == moved
                    for e in p.effects:
                        without = self.rebate(p.credited_fen - e.credited_change_fen, schedule)
                        assert e.pay_change_fen == p.amount_fen - without


def with_sub_customers(databases: conftest.Databases) -> str:
    """The demo plus one approved 二批 under each of the model's distributors, as a template."""
    url = databases.copy(databases.template("demo", conftest._build_demo))
    conftest._use(url)
    hq = Principal(user_id=0, username="model", role=Role.admin)
    signed = datetime.now(UTC) - timedelta(days=365)
    with db.get_sessionmaker()() as s, s.begin():
        for distributor, code in SUB_CUSTOMERS.items():
            subcustomers.create(
                s,
                data=SubCustomerIn(
                    code=code,
                    name=f"{code} 二批",
                    tier=SubCustomerTier.WHOLESALE_2,
                    region_code=DISTRIBUTORS[distributor][1],
                    distributor_code=distributor,
                    agreement_signed_at=signed,
                ),
                principal=hq,
            )
    db.get_engine().dispose()
    return url


def test_ledger_matches_an_independent_model(databases: conftest.Databases) -> None:
    LedgerMachine.databases = databases
    LedgerMachine.template = with_sub_customers(databases)
    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(
            max_examples=int(os.environ.get("CG_MODEL_EXAMPLES", "30")),
            # CI replays the same sequences (stable); a bigger run explores new ones.
            derandomize="CG_MODEL_EXAMPLES" not in os.environ,
            stateful_step_count=int(os.environ.get("CG_MODEL_STEPS", "30")),
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
    every = {"opened", "joined", "appealed", "confirmed", "fined", "dismissed", "reversed"}
    every |= {"refused", "recounted", "lodged", "paid_from_deposit", "step_warning"}
    every |= {"refund_refused", "shipped", "ship_refused", "received", "distributor_blamed"}
    # A case naming a 二批 needs ship, receive, an out-of-region scan and a confirmation in that
    # order; whether 30 walks get there depends on row order (the process's hash seed), so it
    # is not required here. Whenever it happens, its invariants are checked above, and
    # tests/custody/test_story.py walks that path on purpose (in process and over HTTP).
    assert every <= {k for k, n in LedgerMachine.seen.items() if n}, str(dict(LedgerMachine.seen))
