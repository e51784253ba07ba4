"""`channelguard codes …`: issue carton and item codes, print their labels."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from pydantic import ValidationError

from app.cli.common import ACTOR, console, progress, transaction
from app.config import get_settings
from app.db import get_sessionmaker
from app.errors import AppError
from app.migrate import upgrade_to_head

if TYPE_CHECKING:
    from app.codes.schemas import CodeBatchOut

app = typer.Typer(help="Issue carton codes and print their labels.", no_args_is_help=True)


@app.command("issue")
def codes_issue(
    gtin: str | None = typer.Option(None, help="The product's GTIN."),
    region: str | None = typer.Option(None, help="Region code the cartons are sold into."),
    quantity: int | None = typer.Option(None, min=1, max=10_000_000, help="How many codes."),
    csv_out: Path | None = typer.Option(None, "--csv", help="Also write the codes to this CSV."),
    resume: bool = typer.Option(
        False, "--resume", help="First finish every batch a killed or failed run left unfinished."
    ),
) -> None:
    """Issue a batch of signed carton codes (bounded memory, with a progress bar).

    A batch over 10,000 codes is stored 10,000 codes a transaction, so the service keeps
    answering meanwhile; if the run is killed, `--resume` (or `codes resume ID`) finishes it."""
    from app.codes import service as codes
    from app.codes.schemas import CodeBatchIn

    if resume:
        with transaction() as session:
            pending = codes.unfinished_batches(session)
        for batch_id in pending:
            _resume_with_progress(batch_id)
        if not pending:
            console.print("no unfinished batches")
        if gtin is None and region is None and quantity is None:
            return
    if gtin is None or region is None or quantity is None:
        console.print("[red]error:[/red] --gtin, --region and --quantity are needed")
        raise typer.Exit(2)
    try:
        data = CodeBatchIn(gtin=gtin, region_code=region, quantity=quantity)
    except ValidationError as exc:
        console.print(f"[red]error:[/red] {exc.errors()[0]['msg']}")
        raise typer.Exit(2) from exc
    settings = get_settings()
    if quantity <= codes.ISSUE_CHUNK:
        with progress() as (bar, task), transaction() as session:
            bar.update(task, total=quantity)
            out = codes.issue_batch(
                session,
                data=data,
                settings=settings,
                actor=ACTOR,
                progress=lambda n: bar.advance(task, n),
            )
    else:
        with transaction() as session:
            batch_id = codes.start_batch(session, data=data, settings=settings, actor=ACTOR)
        out = _resume_with_progress(batch_id)
    console.print(
        f"batch {out.id}: {out.quantity} codes for {out.gtin} in region {out.region_code}"
    )
    if csv_out is not None:
        written = _write_codes_csv(out.id, csv_out)
        console.print(f"wrote {written} codes to {csv_out}")


@app.command("resume")
def codes_resume(batch_id: int = typer.Argument(..., help="The unfinished code batch.")) -> None:
    """Finish a batch whose issuing was killed or failed: exactly its quantity, no more."""
    out = _resume_with_progress(batch_id)
    console.print(f"batch {out.id}: {out.issued} of {out.quantity} codes, {out.status}")


def _resume_with_progress(batch_id: int) -> CodeBatchOut:
    """Store a batch's missing codes chunk by chunk, the bar moving as each chunk commits."""
    from app.codes import service as codes

    upgrade_to_head()
    with transaction() as session:
        before = codes.get_batch(session, batch_id=batch_id)
    with progress() as (bar, task):
        bar.update(task, total=before.quantity, completed=before.issued)
        try:
            return codes.resume_batch(
                get_sessionmaker(),
                batch_id=batch_id,
                settings=get_settings(),
                progress=lambda n: bar.advance(task, n),
            )
        except AppError as exc:
            console.print(f"[red]error:[/red] {exc.detail}")
            raise typer.Exit(2) from exc


def _write_codes_csv(batch_id: int, path: Path) -> int:
    import csv

    from app.codes import service as codes

    settings = get_settings()
    n = 0
    with get_sessionmaker()() as session, path.open("w", newline="", encoding="utf-8") as fh:
        ctx = codes.batch_context(session, batch_id)
        out = csv.writer(fh)
        out.writerow(codes.PRINT_COLUMNS)
        for code in codes.iter_codes(session, ctx):
            out.writerow(codes.print_row(code, settings))
            n += 1
    return n


@app.command("labels")
def codes_labels(
    batch_id: int = typer.Argument(..., help="The code batch."),
    out: Path = typer.Option(..., "--out", help="PDF file to write."),
    layout: str = typer.Option("a4", help="a4 sheets or thermal 100x70 mm labels."),
    limit: int = typer.Option(10_000, help="At most this many labels."),
) -> None:
    """Print a batch's labels to a PDF."""
    from app.codes import service as codes
    from app.codes.labels import write_labels_pdf

    if layout not in ("a4", "thermal"):
        console.print("[red]error:[/red] layout is a4 or thermal")
        raise typer.Exit(2)
    settings = get_settings()
    with transaction(existing=True) as session, out.open("wb") as fh:
        ctx = codes.batch_context(session, batch_id)
        labels = (
            codes.label_data(ctx, c, settings) for c in codes.iter_codes(session, ctx, limit=limit)
        )
        count = write_labels_pdf(labels, fh, layout=layout)  # type: ignore[arg-type]
    console.print(f"wrote {out} ({count} labels)")
