"""The inbox gathers what concerns the caller from where it already lives: violation events
(who may see them: `violation_filter`), consumer signals (HQ) and route notifications (a row per
user). Read marks for shared items are rows of `inbox_read`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, String, and_, cast, exists, func, literal, select
from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.auth.visibility import Visibility, violation_filter
from app.common.types import from_fen
from app.db import utcnow
from app.errors import NotFound
from app.inbox.schemas import Inbox, InboxItem
from app.models import (
    ConsumerSignal,
    InboxRead,
    Notification,
    Region,
    Role,
    Violation,
    ViolationEvent,
    ViolationStatus,
)
from app.waybills import service as waybills

# HQ hears of new cases and appeals; the parties of new cases and of HQ's decisions.
STAFF_EVENTS = (ViolationStatus.OPEN, ViolationStatus.APPEALED)
PARTY_EVENTS = (
    ViolationStatus.OPEN,
    ViolationStatus.CONFIRMED,
    ViolationStatus.DISMISSED,
    ViolationStatus.REVERSED,
)


def _events_for(who: Principal) -> tuple[ViolationStatus, ...]:
    if who.is_staff:
        return STAFF_EVENTS
    if who.role is Role.inspector:
        return ()
    return PARTY_EVENTS


def _is_read(user_id: int, key: ColumnElement[str]) -> ColumnElement[bool]:
    return exists().where(and_(InboxRead.user_id == user_id, InboxRead.item_key == key))


def _event_key() -> ColumnElement[str]:
    return literal("v-") + cast(ViolationEvent.id, String)


def _signal_key() -> ColumnElement[str]:
    return literal("s-") + cast(ConsumerSignal.id, String)


def _event_query(who: Principal, vis: Visibility) -> Any:
    return (
        select(ViolationEvent, Violation, Region.code)
        .join(Violation, Violation.id == ViolationEvent.violation_id)
        .join(Region, Region.id == Violation.region_id)
        .where(ViolationEvent.to_status.in_([s.value for s in _events_for(who)]))
        .where(violation_filter(vis))
    )


def _signal_query(who: Principal) -> Any:
    stmt = select(ConsumerSignal, Region.code).join(
        Region, Region.id == ConsumerSignal.code_region_id
    )
    return stmt if who.is_staff else stmt.where(literal(False))


def inbox(
    session: Session, *, who: Principal, vis: Visibility, unread_only: bool, limit: int
) -> Inbox:
    """The newest `limit` items for the caller, and how many are unread in all."""
    me = who.user_id
    events = _event_query(who, vis)
    signals = _signal_query(who)
    notes = select(Notification).where(Notification.user_id == me)
    unread_events = events.where(~_is_read(me, _event_key()))
    unread_signals = signals.where(~_is_read(me, _signal_key()))
    unread_notes = notes.where(Notification.read_at.is_(None))
    unread = sum(
        session.scalar(select(func.count()).select_from(q.subquery())) or 0
        for q in (unread_events, unread_signals, unread_notes)
    )
    if unread_only:
        events, signals, notes = unread_events, unread_signals, unread_notes
    read_event = _is_read(me, _event_key()).label("read")
    read_signal = _is_read(me, _signal_key()).label("read")
    items: list[InboxItem] = []
    for ev, v, region_code, is_read in session.execute(
        events.add_columns(read_event).order_by(ViolationEvent.at.desc()).limit(limit)
    ):
        items.append(
            InboxItem(
                id=f"v-{ev.id}",
                kind=f"violation.{'opened' if ev.to_status == 'open' else ev.to_status}",
                at=ev.at,
                read=bool(is_read),
                violation_id=v.id,
                data={
                    "region_code": region_code,
                    "cartons": v.cartons,
                    "value": f"{from_fen(v.value_fen):.2f}",
                    "note": ev.note,
                    "actor": ev.actor,
                },
            )
        )
    for s, region_code, is_read in session.execute(
        signals.add_columns(read_signal).order_by(ConsumerSignal.at.desc()).limit(limit)
    ):
        place = session.get(Region, s.place_region_id) if s.place_region_id else None
        items.append(
            InboxItem(
                id=f"s-{s.id}",
                kind="consumer.signal",
                at=s.at,
                read=bool(is_read),
                data={
                    "signal": s.kind.value,
                    "region_code": region_code,
                    "place_region_code": place.code if place else None,
                    "detail": s.detail,
                },
            )
        )
    for n in session.scalars(notes.order_by(Notification.id.desc()).limit(limit)):
        items.append(
            InboxItem(
                id=f"n-{n.id}",
                kind=n.kind,
                at=n.created_at,
                read=n.read_at is not None,
                data={"subject": n.subject, **n.data},
            )
        )
    items.sort(key=lambda i: i.at, reverse=True)
    return Inbox(items=items[:limit], unread=unread)


def mark_read(session: Session, *, who: Principal, vis: Visibility, item_id: str) -> None:
    """Mark one item read (again is fine); an item the caller cannot see is 404."""
    prefix, _, number = item_id.partition("-")
    if not number.isdigit() or len(number) > 18:
        raise NotFound(f"inbox item {item_id} not found")
    key = int(number)
    if prefix == "n":
        waybills.mark_read(session, user_id=who.user_id, notification_id=key)
        return
    if prefix == "v":
        visible = session.scalar(
            select(func.count()).select_from(
                _event_query(who, vis).where(ViolationEvent.id == key).subquery()
            )
        )
    elif prefix == "s":
        visible = session.scalar(
            select(func.count()).select_from(
                _signal_query(who).where(ConsumerSignal.id == key).subquery()
            )
        )
    else:
        visible = 0
    if not visible:
        raise NotFound(f"inbox item {item_id} not found")
    if session.get(InboxRead, (who.user_id, item_id)) is None:
        session.add(InboxRead(user_id=who.user_id, item_key=item_id, read_at=utcnow()))
        session.flush()
