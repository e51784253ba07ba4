"""Columns that several tables carry with the same meaning, declared once.

`sort_order=-1` keeps a register's key columns first, where its migration created them, so
the mapped tables stay column for column what the database has."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import utcnow


class Coded:
    """A master-data entry known to people by its business code (the contract's `code`, 1-40
    characters) and its name."""

    id: Mapped[int] = mapped_column(primary_key=True, sort_order=-1)
    code: Mapped[str] = mapped_column(String(40), unique=True, sort_order=-1)
    name: Mapped[str] = mapped_column(String(200), sort_order=-1)


class Timestamped:
    """When an editable entry was registered, and when it last changed."""

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
