"""What a user has read in their inbox, for the items that are not notifications of their own."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utcnow


class InboxRead(Base):
    """One user has read one inbox item. Violation events and consumer signals are shared by
    everyone who may see them, so each reader's mark is a row here; route notifications are a
    row per user already and carry their own `read_at`."""

    __tablename__ = "inbox_read"

    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), primary_key=True)
    item_key: Mapped[str] = mapped_column(String(40), primary_key=True)
    """The inbox id: `v-<violation event id>` or `s-<consumer signal id>`."""
    read_at: Mapped[datetime] = mapped_column(default=utcnow)
