"""The webhook outbox: calls queued in the same transaction as the change, delivered later with
retries and exponential backoff, so a distributor's slow or dead endpoint never blocks issuing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.db import utcnow
from app.models import WebhookDelivery

MAX_ATTEMPTS = 12


@dataclass
class DeliveryReport:
    delivered: int = 0
    failed: int = 0
    given_up: int = 0


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, … capped at 6 hours."""
    return timedelta(seconds=min(30 * 2 ** (attempts - 1), 6 * 3600))


def deliver_due(
    sessions: sessionmaker[Session],
    *,
    client: httpx.Client,
    limit: int = 100,
    now: Callable[[], object] = utcnow,
) -> DeliveryReport:
    """Try every due delivery once; each outcome is committed on its own."""
    report = DeliveryReport()
    with sessions() as session:
        due = session.scalars(
            select(WebhookDelivery.id)
            .where(
                WebhookDelivery.delivered_at.is_(None),
                WebhookDelivery.attempts < MAX_ATTEMPTS,
                WebhookDelivery.next_attempt_at <= utcnow(),
            )
            .order_by(WebhookDelivery.next_attempt_at)
            .limit(limit)
        ).all()
    for delivery_id in due:
        with sessions() as session, session.begin():
            d = session.get(WebhookDelivery, delivery_id)
            if d is None or d.delivered_at is not None:
                continue
            d.attempts += 1
            try:
                r = client.post(
                    d.url,
                    content=d.body.encode(),
                    timeout=10,
                    headers={
                        "content-type": "application/json",
                        "X-ChannelGuard-Event": d.event,
                        "X-ChannelGuard-Delivery": str(d.id),
                    },
                )
                ok, error = r.is_success, f"HTTP {r.status_code}"
            except httpx.HTTPError as exc:
                ok, error = False, f"{type(exc).__name__}: {exc}"[:500]
            if ok:
                d.delivered_at = utcnow()
                d.last_error = None
                report.delivered += 1
            else:
                d.last_error = error
                d.next_attempt_at = utcnow() + backoff(d.attempts)
                report.failed += 1
                if d.attempts >= MAX_ATTEMPTS:
                    report.given_up += 1
    return report
