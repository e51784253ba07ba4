"""`channelguard violations …`: operations on violations, safe under cron."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import typer

from app.cli.common import (
    ACTOR,
    console,
    require_existing_database,
    settings_or_exit,
    transaction,
)
from app.db import get_sessionmaker, utcnow
from app.migrate import upgrade_to_head

app = typer.Typer(help="Violations: auto-confirmation, evidence dossiers.", no_args_is_help=True)


@app.command("auto-confirm")
def auto_confirm(
    now: datetime | None = typer.Option(
        None, help="Act as if it were this moment (ISO 8601 with offset); default: now."
    ),
    batch: int = typer.Option(200, min=1, help="Violations looked at per round."),
) -> None:
    """Confirm unappealed violations past the policy's window, each in its own transaction.

    Safe to run at any frequency and concurrently: a violation confirms once whoever gets there
    first, and a run that finds nothing due does nothing."""
    from app.violations import service

    if now is not None and now.tzinfo is None:
        raise typer.BadParameter("--now needs a UTC offset, e.g. 2026-12-01T08:00:00+08:00")
    moment = now or utcnow()
    require_existing_database()
    upgrade_to_head()
    sessions = get_sessionmaker()
    confirmed: list[int] = []
    after = 0
    while True:
        with sessions() as session, session.begin():
            due = service.due_for_auto_confirm(session, now=moment, limit=batch, after_id=after)
        if not due:
            break
        for violation_id in due:
            # One transaction each: a race lost on one never holds back the others.
            with sessions() as session, session.begin():
                if service.auto_confirm_one(session, violation_id=violation_id, now=moment):
                    confirmed.append(violation_id)
        after = due[-1]
    console.print(f"auto-confirmed {len(confirmed)} violation(s)")
    for violation_id in confirmed:
        typer.echo(violation_id)


@app.command("dossier")
def dossier(
    violation_id: int = typer.Argument(..., help="The violation's id."),
    output: Path = typer.Option(..., "-o", "--output", help="Where to write the PDF."),
) -> None:
    """Write the evidence dossier (zh-CN PDF, audit proofs attached) of a violation, as HQ."""
    from app.auth.principal import Principal
    from app.models import Role
    from app.violations import dossier as dossiers

    settings = settings_or_exit()
    hq = Principal(user_id=0, username=ACTOR, role=Role.hq_auditor)
    with transaction(existing=True) as session:
        pdf = dossiers.build(session, violation_id=violation_id, principal=hq, settings=settings)
    output.write_bytes(pdf)
    console.print(f"dossier of violation {violation_id}: {output} ({len(pdf)} bytes)")
