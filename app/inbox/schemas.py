from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel


class InboxItem(BaseModel):
    id: str
    """`n-<id>` a route notification, `v-<id>` a violation event, `s-<id>` a consumer signal."""
    kind: str
    """`violation.opened`, `violation.appealed`, `violation.confirmed`, `violation.dismissed`,
    `violation.reversed`, `consumer.signal`, or a notification's kind (`waybill.issued`)."""
    at: datetime
    read: bool
    violation_id: int | None = None
    data: dict[str, Any]
    """What the page needs to say it: codes (the page shows names), value, note, route."""


class Inbox(BaseModel):
    items: list[InboxItem]
    unread: int
