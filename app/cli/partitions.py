"""`channelguard partitions …`: the monthly partitions of scans and public verifications
(PostgreSQL)."""

from __future__ import annotations

import typer
from rich.table import Table

from app.cli.common import console, transaction
from app.partitions import service

app = typer.Typer(
    help="Monthly partitions of scans and public verifications (PostgreSQL).",
    no_args_is_help=True,
)

_NONE = "no partitions: scans and verifications are partitioned on PostgreSQL only"
_TABLE_HELP = f"The partitioned table: {', '.join(service.PARTITIONED)}."


@app.command("ensure")
def ensure(
    months_ahead: int = typer.Option(
        service.MONTHS_AHEAD, min=0, max=120, help="Months after the current one to create."
    ),
) -> None:
    """Create the missing partitions of this month and the next ones, for every partitioned
    table (safe to run any time)."""
    with transaction() as session:
        result = service.ensure_all(session, months_ahead=months_ahead)
        partitioned = any(service.list_partitions(session, t) for t in service.PARTITIONED)
    if not partitioned:
        console.print(_NONE)
        return
    for name in result.created:
        console.print(f"created {name}")
    for name in result.blocked:
        console.print(
            f"[yellow]not created {name}[/yellow]: its month already has rows in "
            "the default partition or a table of that name exists"
        )
    if not result.created and not result.blocked:
        console.print("partitions are up to date")


@app.command("list")
def list_() -> None:
    """The attached partitions of each table with their ranges and estimated rows."""
    with transaction(existing=True) as session:
        parts = {t: service.list_partitions(session, t) for t in service.PARTITIONED}
    if not any(parts.values()):
        console.print(_NONE)
        return
    for parent, rows in parts.items():
        table = Table(title=f"{parent} partitions")
        for col in ("partition", "range (UTC)", "rows (estimate)"):
            table.add_column(col)
        for p in rows:
            table.add_row(p.name, p.bounds, str(p.rows))
        console.print(table)


@app.command("detach")
def detach(
    month: str = typer.Argument(..., help="A past month, YYYY-MM (UTC)."),
    table: str = typer.Option(service.PARENT, "--table", help=_TABLE_HELP),
) -> None:
    """Detach a past month's partition for archive: its rows leave every query and stay in
    a table of the same name, to be dumped and dropped."""
    with transaction(existing=True) as session:
        name = service.detach_partition(session, month, parent=table)
    console.print(f"detached {name}: dump it (pg_dump -t {name}) and drop it when archived")
