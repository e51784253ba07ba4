"""Anti-diversion squads (反窜货行动组, SPEC §2.4): per region, the leading distributor with the
company's salespeople staff the checkpoints on the roads in; inspectors belong to a squad. HQ
reads each squad's scans and findings per month."""

from __future__ import annotations

import csv
import io
from collections import Counter
from typing import Any

from sqlalchemy import Column, delete, func, insert, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstrumentedAttribute, Session

from app.audit import service as audit
from app.auth.principal import Principal
from app.common.lookup import by_code, invalid, ref
from app.common.master import ensure_new, page_of
from app.common.types import Page, PageParams
from app.errors import Conflict, NotFound
from app.ledger.service import period_bounds
from app.models import (
    Checkpoint,
    Distributor,
    Region,
    Role,
    Salesperson,
    Scan,
    Squad,
    User,
    WaybillInspection,
    distributor_region,
    squad_checkpoint,
    squad_inspector,
    squad_salesperson,
)
from app.regions.tree import region_tree
from app.squads.schemas import Named, SquadIn, SquadOut, SquadPatch, SquadReport, SquadReportRow
from app.users.schemas import Person
from rules.people import shown_name


def _leader(session: Session, code: str, region: Region) -> Distributor:
    d = ref(session, Distributor, code, field="leader_distributor_code", what="distributor")
    holds = session.scalar(
        select(func.count())
        .select_from(distributor_region)
        .where(
            distributor_region.c.distributor_id == d.id,
            distributor_region.c.region_id == region.id,
        )
    )
    if not holds:
        raise invalid(
            "leader_distributor_code",
            f"distributor {code!r} does not hold region {region.code!r}: the squad is led by "
            "the region's own leading distributor",
        )
    return d


def _salespeople(session: Session, codes: list[str]) -> list[int]:
    return sorted(
        {
            ref(session, Salesperson, c, field="salesperson_codes", what="salesperson").id
            for c in codes
        }
    )


def _checkpoints(session: Session, codes: list[str], region: Region) -> list[int]:
    inside = region_tree(session).subtree(region.id)
    ids: set[int] = set()
    for c in codes:
        cp = ref(session, Checkpoint, c, field="checkpoint_codes", what="checkpoint")
        if cp.region_id not in inside:
            raise invalid("checkpoint_codes", f"checkpoint {c!r} is not in region {region.code!r}")
        ids.add(cp.id)
    return sorted(ids)


def _inspectors(session: Session, usernames: list[str]) -> list[int]:
    ids: set[int] = set()
    for name in usernames:
        u = session.scalar(select(User).where(User.username == name))
        if u is None or u.role is not Role.inspector:
            raise invalid("inspector_usernames", f"{name[:80]!r} is not an inspector's username")
        ids.add(u.id)
    return sorted(ids)


def _replace(session: Session, table: Any, squad_id: int, column: str, ids: list[int]) -> None:
    session.execute(delete(table).where(table.c.squad_id == squad_id))
    if ids:
        session.execute(insert(table), [{"squad_id": squad_id, column: i} for i in ids])


def _taken(session: Session, squad_id: int, cps: list[int], insp: list[int]) -> None:
    """409 when a checkpoint or an inspector already belongs to another squad."""
    other_cp = _in_other_squads(
        session, Checkpoint.code, Checkpoint.id, squad_checkpoint.c.checkpoint_id, cps, squad_id
    )
    if other_cp:
        raise Conflict(f"checkpoint already staffed by another squad: {', '.join(other_cp)}")
    other_in = _in_other_squads(
        session, User.username, User.id, squad_inspector.c.user_id, insp, squad_id
    )
    if other_in:
        raise Conflict(f"inspector already in another squad: {', '.join(other_in)}")


def _in_other_squads(
    session: Session,
    name: InstrumentedAttribute[str],
    key: InstrumentedAttribute[int],
    member: Column[int],
    ids: list[int],
    squad_id: int,
) -> list[str]:
    """The names of those among `ids` that a squad other than this one already has; `member`
    is the membership table's column that holds the `key` of each."""
    return list(
        session.scalars(
            select(name)
            .join(member.table, member == key)
            .where(member.in_(ids), member.table.c.squad_id != squad_id)
        )
    )


def _members(session: Session, squad: Squad, data: SquadIn | SquadPatch, region: Region) -> None:
    sps = (
        _salespeople(session, data.salesperson_codes)
        if data.salesperson_codes is not None
        else None
    )
    cps = (
        _checkpoints(session, data.checkpoint_codes, region)
        if data.checkpoint_codes is not None
        else None
    )
    insp = (
        _inspectors(session, data.inspector_usernames)
        if data.inspector_usernames is not None
        else None
    )
    _taken(session, squad.id, cps or [], insp or [])
    if sps is not None:
        _replace(session, squad_salesperson, squad.id, "salesperson_id", sps)
    if cps is not None:
        _replace(session, squad_checkpoint, squad.id, "checkpoint_id", cps)
    if insp is not None:
        _replace(session, squad_inspector, squad.id, "user_id", insp)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:  # another squad took a checkpoint or an inspector meanwhile
        raise Conflict("a checkpoint or inspector joined another squad at the same time") from exc


def create(session: Session, *, data: SquadIn, actor: str) -> SquadOut:
    region = ref(session, Region, data.region_code, field="region_code", what="region")
    leader = _leader(session, data.leader_distributor_code, region)
    ensure_new(session, Squad.code, data.code, what="squad")
    if session.scalar(select(Squad.code).where(Squad.region_id == region.id)) is not None:
        raise Conflict(f"region {region.code!r} already has a squad")
    squad = Squad(
        code=data.code, name=data.name, region_id=region.id, leader_distributor_id=leader.id
    )
    session.add(squad)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        raise Conflict(f"squad {data.code!r} or one for region {region.code!r} exists") from exc
    _members(session, squad, data, region)
    audit.change(session, actor, "squad.created", squad.code, data.model_dump(mode="json"))
    return to_out(session, squad)


def update(session: Session, *, code: str, data: SquadPatch, actor: str) -> SquadOut:
    squad = by_code(session, Squad, code, what="squad")
    region = session.get(Region, squad.region_id)
    assert region is not None
    if data.name is not None:
        squad.name = data.name
    if data.leader_distributor_code is not None:
        squad.leader_distributor_id = _leader(session, data.leader_distributor_code, region).id
    _members(session, squad, data, region)
    audit.change(
        session,
        actor,
        "squad.updated",
        squad.code,
        data.model_dump(mode="json", exclude_unset=True),
    )
    return to_out(session, squad)


def to_out(session: Session, s: Squad) -> SquadOut:
    region = session.get(Region, s.region_id)
    leader = session.get(Distributor, s.leader_distributor_id)
    assert region is not None
    assert leader is not None
    sps = session.execute(
        select(Salesperson.code, Salesperson.name)
        .join(squad_salesperson, squad_salesperson.c.salesperson_id == Salesperson.id)
        .where(squad_salesperson.c.squad_id == s.id)
        .order_by(Salesperson.code)
    )
    cps = session.execute(
        select(Checkpoint.code, Checkpoint.name)
        .join(squad_checkpoint, squad_checkpoint.c.checkpoint_id == Checkpoint.id)
        .where(squad_checkpoint.c.squad_id == s.id)
        .order_by(Checkpoint.code)
    )
    inspectors = session.execute(
        select(User.username, User.display_name)
        .join(squad_inspector, squad_inspector.c.user_id == User.id)
        .where(squad_inspector.c.squad_id == s.id)
        .order_by(User.username)
    ).all()
    return SquadOut(
        code=s.code,
        name=s.name,
        region=Named(code=region.code, name=region.name),
        leader=Named(code=leader.code, name=leader.name),
        salespeople=[Named(code=c, name=n) for c, n in sps],
        checkpoints=[Named(code=c, name=n) for c, n in cps],
        inspectors=[u for u, _n in inspectors],
        inspector_people=[
            Person(username=u, display_name=shown_name(n, None, u)) for u, n in inspectors
        ],
    )


def _visible(who: Principal) -> Any:
    """The squads a caller may see: HQ all; a distributor those it leads; a salesperson or an
    inspector those it belongs to; nobody else any."""
    if who.is_staff:
        return None
    if who.role is Role.distributor:
        return Squad.leader_distributor_id == who.distributor_id
    if who.role is Role.salesperson:
        return Squad.id.in_(
            select(squad_salesperson.c.squad_id).where(
                squad_salesperson.c.salesperson_id == who.salesperson_id
            )
        )
    if who.role is Role.inspector:
        return Squad.id.in_(
            select(squad_inspector.c.squad_id).where(squad_inspector.c.user_id == who.user_id)
        )
    return Squad.id.is_(None)


def get(session: Session, *, code: str, who: Principal) -> SquadOut:
    stmt = select(Squad).where(Squad.code == code)
    rule = _visible(who)
    if rule is not None:
        stmt = stmt.where(rule)
    squad = session.scalar(stmt)
    if squad is None:
        raise NotFound(f"squad {code!r} not found")
    return to_out(session, squad)


def list_squads(session: Session, *, who: Principal, page: PageParams) -> Page[SquadOut]:
    stmt = select(Squad).order_by(Squad.code)
    rule = _visible(who)
    if rule is not None:
        stmt = stmt.where(rule)
    return page_of(session, stmt, page, lambda s: to_out(session, s))


def report(session: Session, *, period: str) -> SquadReport:
    """Each squad's scans and findings in the month: scans at its checkpoints or by its
    inspectors (each scan once), and its checkpoints' looks at waybills."""
    start, end = period_bounds(period)
    rows: list[SquadReportRow] = []
    for squad in session.scalars(select(Squad).order_by(Squad.code)):
        cps = select(squad_checkpoint.c.checkpoint_id).where(
            squad_checkpoint.c.squad_id == squad.id
        )
        users = select(squad_inspector.c.user_id).where(squad_inspector.c.squad_id == squad.id)
        mine = or_(Scan.checkpoint_id.in_(cps), Scan.user_id.in_(users))
        scans = session.execute(
            select(Scan.verdict, Scan.findings, Scan.violation_id).where(
                mine, Scan.scanned_at >= start, Scan.scanned_at < end
            )
        ).all()
        verdicts = Counter(v for v, _f, _vid in scans)
        looks = (
            session.execute(
                select(WaybillInspection.findings).where(
                    or_(
                        WaybillInspection.checkpoint_id.in_(cps),
                        WaybillInspection.user_id.in_(users),
                    ),
                    WaybillInspection.at >= start,
                    WaybillInspection.at < end,
                )
            )
            .scalars()
            .all()
        )
        region = session.get(Region, squad.region_id)
        leader = session.get(Distributor, squad.leader_distributor_id)
        rows.append(
            SquadReportRow(
                squad_code=squad.code,
                squad_name=squad.name,
                region_code=region.code if region else "",
                leader_distributor_code=leader.code if leader else "",
                scans=len(scans),
                verdicts=dict(sorted(verdicts.items())),
                diversions=verdicts.get("diversion", 0),
                forged=verdicts.get("forged", 0),
                cloned=verdicts.get("cloned", 0),
                price_violations=sum(1 for _v, f, _vid in scans if "price_violation" in (f or [])),
                violations=len({vid for _v, _f, vid in scans if vid is not None}),
                waybill_inspections=len(looks),
                waybill_findings=sum(1 for f in looks if f),
            )
        )
    return SquadReport(period=period, items=rows)


CSV_COLUMNS = [
    ("squad_code", "行动组编号"),
    ("squad_name", "行动组"),
    ("region_code", "区域"),
    ("leader_distributor_code", "牵头经销商"),
    ("scans", "扫描数"),
    ("diversions", "窜货"),
    ("forged", "假码"),
    ("cloned", "克隆码"),
    ("price_violations", "乱价"),
    ("violations", "违规案件"),
    ("waybill_inspections", "运货单核查"),
    ("waybill_findings", "运货单问题"),
]


def report_csv(rep: SquadReport) -> str:
    """The report as CSV with a bilingual header, a BOM first so that Excel reads the Chinese."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["period / 期间", *(f"{key} / {zh}" for key, zh in CSV_COLUMNS)])
    for row in rep.items:
        data = row.model_dump()
        writer.writerow([rep.period, *(_cell(data[key]) for key, _zh in CSV_COLUMNS)])
    return "\ufeff" + buf.getvalue()


def _cell(value: object) -> str:
    text = str(value)
    # A cell starting like a formula would run in a spreadsheet (CSV injection).
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
