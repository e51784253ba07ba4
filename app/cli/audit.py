"""`channelguard audit …`: the tamper-evident audit log."""

from __future__ import annotations

from pathlib import Path

import typer

from app.cli.common import console, settings_or_exit, transaction

app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)


@app.command("verify")
def audit_verify(
    checkpoint: Path | None = typer.Option(
        None,
        "--checkpoint",
        help="A signed checkpoint kept outside the database (e.g. CG_CHECKPOINT_DIR's "
        "latest.checkpoint): also catches a rewrite of the whole database after it was saved.",
    ),
) -> None:
    """Check every audit entry, the Merkle tree and its signed checkpoints; exits 1 and names
    the first bad entry if the log was tampered with."""
    from app.audit import service as audit

    settings = settings_or_exit()
    outside = None
    if checkpoint is not None:
        try:
            outside = audit.read_checkpoint_file(checkpoint)
        except ValueError as exc:
            console.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(2) from exc
    with transaction(existing=True) as session:
        report = audit.verify(session, settings, outside=outside)
    if report.ok:
        console.print(f"audit chain intact: {report.entries} entries")
        return
    console.print(
        f"[red]audit chain broken at entry {report.first_bad_entry}:[/red] {report.reason}"
    )
    raise typer.Exit(1)


@app.command("integrate")
def audit_integrate() -> None:
    """Integrate committed entries into the log and sign a checkpoint (for cron; `serve` does
    this every second on its own)."""
    from app.audit import service as audit
    from app.audit.sequencer import holder_name, integrate_all

    settings = settings_or_exit()
    with transaction(existing=True):
        pass  # migrate and refuse a missing database, as every command does
    holder = holder_name()
    total, last = integrate_all(settings, holder)
    with transaction(existing=True) as session:
        audit.release(session, holder=holder)
    if last is None and total == 0:
        console.print("another sequencer holds the log; nothing done")
        return
    console.print(f"integrated {total} entries")
