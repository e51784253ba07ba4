"""The webhook outbox: calls queued in the same transaction as the change, delivered later with
retries and exponential backoff, so a distributor's slow or dead endpoint never blocks issuing.

Every call is signed as Stripe signs its webhooks: header
`ChannelGuard-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>`, with a
secret per distributor (`distributor_webhook_secret`). Receivers check it with
`verify_signature`, which also refuses old timestamps so that a captured call cannot be replayed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.config import get_settings
from app.db import utcnow
from app.models import Distributor, WebhookDelivery

MAX_ATTEMPTS = 12
SIGNATURE_HEADER = "ChannelGuard-Signature"
DEFAULT_TOLERANCE = 300
"""Seconds a signature's timestamp may differ from the receiver's clock."""


def distributor_webhook_secret(root_secret: str, distributor_code: str) -> str:
    """A distributor's signing secret, derived from the root (CG_WEBHOOK_SECRET) and its code:
    nothing to store, and a distributor that knows its own secret learns no other's."""
    mac = hmac.new(
        root_secret.encode(), b"channelguard-webhook:" + distributor_code.encode(), hashlib.sha256
    )
    return "whsec_" + mac.hexdigest()


def hq_webhook_secret(root_secret: str) -> str:
    """HQ's signing secret for the calls to `CG_HQ_WEBHOOK_URL`; no distributor code derives
    it (codes cannot contain the separator used here)."""
    mac = hmac.new(root_secret.encode(), b"channelguard-webhook-hq:", hashlib.sha256)
    return "whsec_" + mac.hexdigest()


def queue_call(
    session: Session, distributor: Distributor, event: str, body: Mapping[str, object]
) -> None:
    """Queue a call of `event` to the distributor's webhook, if it has one, in the caller's
    transaction: it goes out only if the change it tells of is committed."""
    if distributor.webhook_url:
        session.add(
            WebhookDelivery(
                distributor_id=distributor.id,
                url=distributor.webhook_url,
                event=event,
                body=json.dumps(body, ensure_ascii=False),
            )
        )


def _mac(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, *, timestamp: int | None = None) -> str:
    """The signature header's value for this body, signed now (or at `timestamp`)."""
    t = int(time.time()) if timestamp is None else timestamp
    return f"t={t},v1={_mac(secret, t, body)}"


def verify_signature(
    secret: str,
    header: str | None,
    body: bytes,
    tolerance: float = DEFAULT_TOLERANCE,
    *,
    now: float | None = None,
) -> bool:
    """True when `header` (the ChannelGuard-Signature value) signs exactly `body` with `secret`
    and its timestamp is within `tolerance` seconds of now. Never raises on a malformed header."""
    if not header:
        return False
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        key, sep, value = part.strip().partition("=")
        if not sep:
            continue
        if key == "t" and value.isascii() and value.isdigit():
            timestamp = int(value)
        elif key == "v1":
            candidates.append(value)
    if timestamp is None or not candidates:
        return False
    clock = time.time() if now is None else now
    if abs(clock - timestamp) > tolerance:
        return False
    expected = _mac(secret, timestamp, body)
    # Several v1 values are allowed (a sender rolling secrets); compare each in constant time.
    return any(
        hmac.compare_digest(expected.encode(), c.encode("utf-8", "replace")) for c in candidates
    )


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
    webhook_secret: str | None = None,
) -> DeliveryReport:
    """Try every due delivery once, signed with its distributor's secret (derived from
    `webhook_secret`, by default the CG_WEBHOOK_SECRET setting); each outcome is committed on
    its own."""
    root = get_settings().webhook_secret if webhook_secret is None else webhook_secret
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
            if d.distributor_id is None:  # a call to HQ
                secret = hq_webhook_secret(root)
            else:
                code = session.scalar(
                    select(Distributor.code).where(Distributor.id == d.distributor_id)
                )
                secret = distributor_webhook_secret(root, code or "")
            body = d.body.encode()
            try:
                r = client.post(
                    d.url,
                    content=body,
                    timeout=10,
                    headers={
                        "content-type": "application/json",
                        "X-ChannelGuard-Event": d.event,
                        "X-ChannelGuard-Delivery": str(d.id),
                        # Signed at each attempt: a retry carries a fresh timestamp.
                        SIGNATURE_HEADER: sign(secret, body),
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
