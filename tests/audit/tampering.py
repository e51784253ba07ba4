"""An attacker with database access: the audit log's append-only guards switched off first."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

GUARDED = ("audit_entry", "audit_leaf", "audit_checkpoint")


def switch_guards_off(s: Session) -> None:
    """Drop (SQLite) or disable (PostgreSQL) the triggers that refuse changes to the log."""
    for table in GUARDED:
        if s.get_bind().dialect.name == "sqlite":
            for verb in ("update", "delete"):
                s.execute(text(f"DROP TRIGGER IF EXISTS trg_{table}_no_{verb}"))
        else:
            s.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
