"""`channelguard violations …`: operations on violations and the ledger, safe under cron."""

from __future__ import annotations

from datetime import datetime

import typer
from rich.console import Console
from rich.table import Table

from app.db import utcnow

violations_cli = typer.Typer(help="Violations and the credited-sales ledger.", no_args_is_help=True)
console = Console()


@violations_cli.command("auto-confirm")
def auto_confirm(
    now: datetime | None = typer.Option(
        None, help="Act as if it were this moment (ISO 8601 with offset); default: now."
    ),
    batch: int = typer.Option(200, min=1, help="Violations looked at per round."),
) -> None:
    """Confirm unappealed violations past the policy's window, each in its own transaction.

    Safe to run at any frequency and concurrently: a violation confirms once whoever gets there
    first, and a run that finds nothing due does nothing."""
    from app.cli import require_existing_database
    from app.db import get_sessionmaker
    from app.migrate import upgrade_to_head
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


@violations_cli.command("balances")
def balances(
    period: str | None = typer.Option(None, help="YYYY-MM in the business time zone."),
) -> None:
    """Credited sales per party for a month, from the ledger."""
    from app.cli import transaction
    from app.common.types import from_fen
    from app.ledger import service as ledger

    month = period or ledger.period_of(utcnow())
    try:
        ledger.period_bounds(month)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    with transaction(existing=True) as session:
        rows = ledger.balances(session, period=month)
    table = Table(title=f"Credited sales {month}")
    for col in ("party type", "party", "credited sales (CNY)"):
        table.add_column(col)
    for b in rows:
        table.add_row(b.party_type.value, b.party_code, f"{from_fen(b.amount_fen):.2f}")
    console.print(table)
