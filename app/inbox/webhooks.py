"""Inbox events as signed webhooks. Violation events and consumer signals are written by many
paths (scans, hand-offs, EPCIS, decisions, public verification); rather than each queueing its
own calls, a relay reads what is new since its cursor and queues a webhook call for every
recipient who has an address: HQ (`CG_HQ_WEBHOOK_URL`) for new cases, appeals and consumer
signals, the parties' distributors for new cases and decisions, as the inbox shows them. Route
notifications and waybill inspections queue their calls when they happen. Delivery, signing and
retries are the outbox's (app.waybills.webhooks)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.common.types import from_fen
from app.config import Settings
from app.errors import Conflict
from app.inbox.service import PARTY_EVENTS, STAFF_EVENTS
from app.models import (
    ConsumerSignal,
    Distributor,
    Region,
    Violation,
    ViolationEvent,
    WebhookDelivery,
    WebhookRelayCursor,
)

BATCH = 500


def _advance(session: Session, source: str, old: int, new: int) -> None:
    """Move the cursor only if nobody else moved it meanwhile: two relays never queue twice."""
    if session.get(WebhookRelayCursor, source) is None:
        session.add(WebhookRelayCursor(source=source, last_id=0))
        session.flush()
    done = session.execute(
        update(WebhookRelayCursor)
        .where(WebhookRelayCursor.source == source, WebhookRelayCursor.last_id == old)
        .values(last_id=new)
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(f"another relay moved the {source} cursor")


def _cursor(session: Session, source: str) -> int:
    row = session.get(WebhookRelayCursor, source)
    return row.last_id if row else 0


def _queue(
    session: Session, *, url: str, distributor_id: int | None, event: str, body: dict[str, Any]
) -> None:
    session.add(
        WebhookDelivery(
            distributor_id=distributor_id,
            url=url,
            event=event,
            body=json.dumps(body, ensure_ascii=False),
        )
    )


def relay(session: Session, *, settings: Settings) -> int:
    """Queue webhook calls for inbox events newer than the cursors; the number queued."""
    queued = 0
    hq = settings.hq_webhook_url
    last = _cursor(session, "violation_event")
    rows = session.execute(
        select(ViolationEvent, Violation, Region.code)
        .join(Violation, Violation.id == ViolationEvent.violation_id)
        .join(Region, Region.id == Violation.region_id)
        .where(ViolationEvent.id > last)
        .order_by(ViolationEvent.id)
        .limit(BATCH)
    ).all()
    codes = dict(session.execute(select(Distributor.id, Distributor.code)).tuples().all())
    for ev, v, region_code in rows:
        kind = f"violation.{'opened' if ev.to_status == 'open' else ev.to_status}"
        body = {
            "event": kind,
            "id": f"v-{ev.id}",
            "violation_id": v.id,
            "at": ev.at.isoformat(),
            "kind": v.kind.value,
            "region_code": region_code,
            "cartons": v.cartons,
            "value": f"{from_fen(v.value_fen):.2f}",
            "diverting_distributor_code": codes.get(v.diverting_distributor_id or 0),
            "invaded_distributor_code": codes.get(v.invaded_distributor_id or 0),
            "note": ev.note,
        }
        if hq and ev.to_status in {s.value for s in STAFF_EVENTS}:
            _queue(session, url=hq, distributor_id=None, event=kind, body=body)
            queued += 1
        if ev.to_status in {s.value for s in PARTY_EVENTS}:
            parties = {v.diverting_distributor_id, v.invaded_distributor_id} - {None}
            for d in session.scalars(select(Distributor).where(Distributor.id.in_(parties))):
                if d.webhook_url:
                    _queue(session, url=d.webhook_url, distributor_id=d.id, event=kind, body=body)
                    queued += 1
    if rows:
        _advance(session, "violation_event", last, rows[-1][0].id)
    last = _cursor(session, "consumer_signal")
    signals = session.execute(
        select(ConsumerSignal, Region.code)
        .join(Region, Region.id == ConsumerSignal.code_region_id)
        .where(ConsumerSignal.id > last)
        .order_by(ConsumerSignal.id)
        .limit(BATCH)
    ).all()
    for s, region_code in signals:
        if hq:
            _queue(
                session,
                url=hq,
                distributor_id=None,
                event="consumer.signal",
                body={
                    "event": "consumer.signal",
                    "id": f"s-{s.id}",
                    "at": s.at.isoformat(),
                    "signal": s.kind.value,
                    "region_code": region_code,
                    "detail": s.detail,
                },
            )
            queued += 1
    if signals:
        _advance(session, "consumer_signal", last, signals[-1][0].id)
    session.flush()
    return queued
