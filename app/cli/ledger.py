"""`channelguard ledger …`: the credited-sales ledger."""

from __future__ import annotations

import typer
from rich.table import Table

from app.cli.common import console, transaction
from app.db import utcnow

app = typer.Typer(help="The credited-sales ledger.", no_args_is_help=True)


@app.command("balances")
def balances(
    period: str | None = typer.Option(None, help="YYYY-MM in the business time zone."),
) -> None:
    """Credited sales per party for a month, from the ledger."""
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
