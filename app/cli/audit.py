"""`channelguard audit …`: the tamper-evident audit log."""

from __future__ import annotations

import typer

from app.cli.common import console, transaction

app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)


@app.command("verify")
def audit_verify() -> None:
    """Check the audit hash chain; exits 1 and names the first bad entry if it was tampered with."""
    from app.audit import service as audit

    with transaction(existing=True) as session:
        report = audit.verify(session)
    if report.ok:
        console.print(f"audit chain intact: {report.entries} entries")
        return
    console.print(
        f"[red]audit chain broken at entry {report.first_bad_entry}:[/red] {report.reason}"
    )
    raise typer.Exit(1)
