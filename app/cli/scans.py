"""`channelguard scans import`: a handheld reader's batch file, imported once."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import typer

from app.cli.common import console
from app.db import get_sessionmaker
from app.migrate import upgrade_to_head

app = typer.Typer(help="Import scans from a handheld reader's batch file.", no_args_is_help=True)


@app.command("import")
def scans_import(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="The reader's batch file."),
    user: str = typer.Option(..., help="The inspector the scans are recorded under."),
    checkpoint: str | None = typer.Option(None, help="Checkpoint for rows that name none."),
    default_time: datetime | None = typer.Option(
        None, formats=["%Y-%m-%dT%H:%M:%S%z"], help="Time for rows without one (with offset)."
    ),
    spool: Path = typer.Option(Path("var/import-spool.sqlite3"), help="Where imports are tracked."),
) -> None:
    """Import a handheld's batch file; the same file is never imported twice."""
    from sqlalchemy import select

    from app.auth.service import principal_of
    from app.models import User
    from app.scans import service as scans
    from app.scans.ingest import SCANNERS, ingest_batch
    from app.scans.schemas import ScanBatchIn
    from scanners.batchfile import import_batch_file, print_summary
    from scanners.spool import DuplicateSourceError, Spool

    upgrade_to_head()
    spool.parent.mkdir(parents=True, exist_ok=True)
    queue = Spool(spool)
    try:
        summary = import_batch_file(
            file, queue, checkpoint_code=checkpoint, default_time=default_time, console=console
        )
    except DuplicateSourceError as exc:
        console.print(f"[yellow]{exc}[/yellow]")
    else:
        print_summary(summary, console)
    queue.form_batches()
    totals: dict[str, int] = {}
    while (batch := queue.next_batch()) is not None:
        body = ScanBatchIn.model_validate_json(batch.body)
        with get_sessionmaker()() as session, session.begin():
            who = session.scalar(select(User).where(User.username == user))
            if who is None or who.role not in SCANNERS:
                console.print(f"[red]error:[/red] {user!r} is not an inspector")
                raise typer.Exit(2)
            response = ingest_batch(
                session,
                principal=principal_of(who),
                key=batch.idempotency_key,
                fingerprint=body.model_dump(mode="json"),
                items=lambda body=body: scans.items_from(body.scans),  # type: ignore[misc]
                source="import",
                size=len(body.scans),
            )
        results = response["results"]
        queue.mark_done(batch.idempotency_key, results)
        for r in results:
            verdict = r.get("verdict") or "error"
            totals[verdict] = totals.get(verdict, 0) + 1
    queue.close()
    console.print(
        "verdicts: " + (", ".join(f"{k} {v}" for k, v in sorted(totals.items())) or "nothing new")
    )
