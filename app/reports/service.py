"""Plan completion, the star scorecard and the salesperson dismissal recommendation."""

from __future__ import annotations

from collections.abc import Mapping, Set
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import String, and_, cast, func, select
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.auth.visibility import Visibility
from app.common.lookup import invalid
from app.common.types import from_fen
from app.common.wire import wire_form
from app.errors import NotFound
from app.ledger import service as ledger
from app.models import (
    AccountKind,
    Carton,
    Distributor,
    JournalLine,
    LedgerAccount,
    PartyType,
    Salesperson,
    SalesTarget,
    Scan,
    ScorecardGrade,
    Violation,
    ViolationKind,
    ViolationStatus,
)
from app.reports.schemas import DismissalOut, PlanCompletionOut, ScorecardOut, TargetOut
from rules.policy import Indicator, load_policy
from rules.salespeople import Offence, dismissal
from rules.stars import COMPUTED, growth_bp, ratio_bp, star_indicators

PARTY_MODELS: dict[PartyType, type[Distributor] | type[Salesperson]] = {
    PartyType.DISTRIBUTOR: Distributor,
    PartyType.SALESPERSON: Salesperson,
}


def _target_out(t: SalesTarget) -> TargetOut:
    return wire_form(TargetOut, t, target=from_fen(t.target_fen))


def set_target(
    session: Session,
    *,
    party_type: PartyType,
    party_code: str,
    period: str,
    target_fen: int,
    actor: str,
) -> TargetOut:
    """Set (or replace) a party's credited-sales target for a month."""
    model = PARTY_MODELS.get(party_type)
    if model is None:
        raise NotFound("targets are set for distributors and salespeople only")
    if session.scalar(select(model.id).where(model.code == party_code)) is None:
        raise NotFound(f"{party_type.value} {party_code!r} not found")
    target = session.scalar(
        select(SalesTarget).where(
            SalesTarget.party_type == party_type,
            SalesTarget.party_code == party_code,
            SalesTarget.period == period,
        )
    )
    before = None if target is None else target.target_fen
    if target is None:
        target = SalesTarget(party_type=party_type, party_code=party_code, period=period)
        session.add(target)
    target.target_fen = target_fen
    target.set_by = actor
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="target.set",
        entity_type=f"{party_type.value}_target",
        entity_key=f"{party_code}/{period}",
        data={"target_fen": target_fen, "previous_fen": before},
    )
    return _target_out(target)


def list_targets(
    session: Session, *, period: str, parties: Set[tuple[PartyType, str]] | None
) -> list[TargetOut]:
    """The targets set for a month that the caller may see."""
    rows = session.scalars(
        select(SalesTarget)
        .where(SalesTarget.period == period)
        .order_by(SalesTarget.party_type, SalesTarget.party_code)
    )
    return [
        _target_out(t) for t in rows if parties is None or (t.party_type, t.party_code) in parties
    ]


def completion_pct(credited_fen: int, target_fen: int | None) -> Decimal | None:
    """credited / target as a percentage with two decimals; None without a target to measure."""
    if not target_fen:
        return None
    return (Decimal(credited_fen) * 100 / Decimal(target_fen)).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )


def plan_completion(
    session: Session, *, period: str, parties: Set[tuple[PartyType, str]] | None
) -> list[PlanCompletionOut]:
    """Credited sales against target for every party with a target or postings in the month."""
    sales: dict[tuple[PartyType, str], int] = {
        (b.party_type, b.party_code): b.amount_fen
        for b in ledger.balances(
            session, period=period, kinds=[AccountKind.credited_sales], parties=parties
        )
        if b.party_type is not PartyType.SYSTEM
    }
    targets = {
        (t.party_type, t.party_code): t.target_fen
        for t in session.scalars(select(SalesTarget).where(SalesTarget.period == period))
        if parties is None or (t.party_type, t.party_code) in parties
    }
    out = []
    for key in sorted(sales.keys() | targets.keys()):
        credited, target = sales.get(key, 0), targets.get(key)
        out.append(
            PlanCompletionOut(
                party_type=key[0],
                party_code=key[1],
                period=period,
                credited_sales=from_fen(credited),
                target=None if target is None else from_fen(target),
                completion_pct=completion_pct(credited, target),
            )
        )
    return out


def set_grades(
    session: Session,
    *,
    distributor_code: str,
    period: str,
    grades: Mapping[Indicator, int],
    actor: str,
) -> None:
    """Enter grades for the indicators the service does not compute itself."""
    for indicator, grade in grades.items():
        if indicator in COMPUTED:
            raise invalid("grades", f"{indicator.value} is computed by the service, not entered")
        if not 1 <= grade <= 5:
            raise invalid("grades", f"{indicator.value}: a grade is 1 to 5, got {grade}")
    d = session.scalar(select(Distributor).where(Distributor.code == distributor_code))
    if d is None:
        raise NotFound(f"distributor {distributor_code!r} not found")
    existing = {
        g.indicator: g
        for g in session.scalars(
            select(ScorecardGrade).where(
                ScorecardGrade.distributor_id == d.id, ScorecardGrade.period == period
            )
        )
    }
    for indicator, grade in grades.items():
        row = existing.get(indicator.value)
        if row is None:
            row = ScorecardGrade(distributor_id=d.id, period=period, indicator=indicator.value)
            session.add(row)
        row.grade = grade
        row.set_by = actor
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="scorecard.graded",
        entity_type="distributor",
        entity_key=distributor_code,
        data={"period": period, "grades": {i.value: g for i, g in grades.items()}},
    )


def scorecards(
    session: Session, *, period: str, distributors: list[Distributor]
) -> list[ScorecardOut]:
    """Star scorecards: diversion and price control from the period's data, the rest as entered."""
    if not distributors:
        return []
    policy = load_policy()
    start, end = ledger.period_bounds(period)
    ids = [d.id for d in distributors]
    diversions: dict[int | None, int] = dict(
        session.execute(
            select(Violation.diverting_distributor_id, func.count())
            .where(
                Violation.diverting_distributor_id.in_(ids),
                Violation.kind == ViolationKind.DIVERSION,
                Violation.status == ViolationStatus.CONFIRMED,
                Violation.detected_at >= start,
                Violation.detected_at < end,
            )
            .group_by(Violation.diverting_distributor_id)
        ).all()
    )
    in_period = and_(
        Scan.carton_id == Carton.id,
        Carton.distributor_id.in_(ids),
        Scan.scanned_at >= start,
        Scan.scanned_at < end,
        Scan.observed_price_fen.is_not(None),
    )
    priced = dict(
        session.execute(
            select(Carton.distributor_id, func.count(Scan.id))
            .where(in_period)
            .group_by(Carton.distributor_id)
        ).all()
    )
    # Findings are a short JSON list of fixed words; a text match works on every backend.
    below_floor = dict(
        session.execute(
            select(Carton.distributor_id, func.count(Scan.id))
            .where(in_period, cast(Scan.findings, String).like('%"price_violation"%'))
            .group_by(Carton.distributor_id)
        ).all()
    )
    codes = [d.code for d in distributors]
    credited: dict[str, int] = {}
    last_year: dict[str, int] = {}
    targets: dict[str, int] = {}
    if len(period) == 7:  # plan and growth are monthly measures
        before = f"{int(period[:4]) - 1:04d}{period[4:]}"
        for into, month in ((credited, period), (last_year, before)):
            for b in ledger.balances(session, period=month):
                if b.party_type is PartyType.DISTRIBUTOR and b.party_code in codes:
                    into[b.party_code] = b.amount_fen
        targets = {
            t.party_code: t.target_fen
            for t in session.scalars(
                select(SalesTarget).where(
                    SalesTarget.period == period,
                    SalesTarget.party_type == PartyType.DISTRIBUTOR,
                    SalesTarget.party_code.in_(codes),
                )
            )
        }
    # What a distributor owes in fines now: its fines account, less what its deposit paid.
    owed = {
        code: -int(total)
        for code, total in session.execute(
            select(LedgerAccount.party_code, func.sum(JournalLine.amount_fen))
            .join(JournalLine, JournalLine.account_id == LedgerAccount.id)
            .where(
                LedgerAccount.party_type == PartyType.DISTRIBUTOR,
                LedgerAccount.kind == AccountKind.fines,
                LedgerAccount.party_code.in_(codes),
            )
            .group_by(LedgerAccount.party_code)
        )
        if total is not None and total < 0
    }
    entered: dict[int, dict[Indicator | str, int]] = {}
    for g in session.scalars(
        select(ScorecardGrade).where(
            ScorecardGrade.distributor_id.in_(ids), ScorecardGrade.period == period
        )
    ):
        entered.setdefault(g.distributor_id, {})[Indicator(g.indicator)] = g.grade
    out = []
    for d in distributors:
        others = entered.get(d.id, {})
        target = targets.get(d.code)
        completion = ratio_bp(max(credited.get(d.code, 0), 0), target) if target else None
        growth = growth_bp(credited.get(d.code, 0), last_year.get(d.code, 0))
        rating = star_indicators(
            confirmed_diversions=diversions.get(d.id, 0),
            priced_inspections=int(priced.get(d.id, 0)),
            price_violations=int(below_floor.get(d.id, 0)),
            other_grades=others,
            policy=policy,
            completion_bp=completion,
            growth_bp=growth,
            unpaid_fines_fen=owed.get(d.code, 0),
        )
        out.append(
            ScorecardOut(
                distributor_code=d.code,
                period=period,
                confirmed_diversions=diversions.get(d.id, 0),
                priced_inspections=int(priced.get(d.id, 0)),
                price_violations=int(below_floor.get(d.id, 0)),
                grades=dict(rating.grades),
                entered_missing=[i for i in Indicator if i not in rating.grades],
                score_pct=rating.score_pct,
                stars=rating.stars,
                policy_version=rating.policy_version,
                computed=sorted(rating.computed),
                plan_completion_pct=None if completion is None else Decimal(completion) / 100,
                sales_growth_pct=None if growth is None else Decimal(growth) / 100,
                fines_owed=from_fen(owed.get(d.code, 0)),
                star_cap_rule=rating.star_cap_rule,
            )
        )
    return out


def visible_distributors(
    session: Session, *, vis: Visibility, code: str | None = None
) -> list[Distributor]:
    """Distributors whose scorecard the caller may see (one, by code, or 404)."""
    stmt = select(Distributor).order_by(Distributor.code)
    if not vis.everything:
        stmt = stmt.where(Distributor.id.in_(vis.distributor_ids))
    if code is not None:
        stmt = stmt.where(Distributor.code == code)
    rows = list(session.scalars(stmt))
    if code is not None and not rows:
        raise NotFound(f"distributor {code!r} not found")
    return rows


def dismissals(
    session: Session, *, now: datetime, vis: Visibility, recommended_only: bool = False
) -> list[DismissalOut]:
    """Per salesperson: confirmed diversions it is the diverting side of in the policy's window,
    and whether removing it from the post (就地免职) is recommended, naming the violations it
    rests on. Without its own agreement on file: only the record."""
    policy = load_policy()
    since = now - timedelta(days=policy.dismissal.window_days)
    stmt = select(Salesperson.id, Salesperson.code, Salesperson.agreement_signed_at).order_by(
        Salesperson.code
    )
    if not vis.everything:
        stmt = stmt.where(Salesperson.id.in_(vis.salesperson_ids))
    people = session.execute(stmt).all()
    offences: dict[int, list[Offence]] = {}
    for sp_id, vid, at, value in session.execute(
        select(
            Violation.diverting_salesperson_id,
            Violation.id,
            Violation.detected_at,
            Violation.value_fen,
        ).where(
            Violation.diverting_salesperson_id.in_([p.id for p in people]),
            Violation.kind == ViolationKind.DIVERSION,
            Violation.status == ViolationStatus.CONFIRMED,
            Violation.detected_at >= since,
        )
    ):
        if sp_id is not None:
            offences.setdefault(sp_id, []).append(Offence(vid, at, value))
    out = []
    for sp_id, code, signed in people:
        mine = offences.get(sp_id, [])
        d = dismissal(offences=mine, agreement_signed_at=signed, now=now, policy=policy)
        if recommended_only and not d.recommended:
            continue
        out.append(
            DismissalOut(
                salesperson_code=code,
                confirmed_violations=len(mine),
                value=from_fen(sum(o.value_fen for o in mine)),
                window_days=policy.dismissal.window_days,
                recommended=d.recommended,
                reason=d.reason,
                policy_version=policy.version,
                agreement_on_file=signed is not None,
                rests_on=list(d.rests_on) if d.recommended else [],
                rule=d.rule,
            )
        )
    return out
