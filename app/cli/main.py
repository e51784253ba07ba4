"""The `channelguard` command line: one module per domain, put together here."""

from __future__ import annotations

import typer

from app.cli import audit, codes, ledger, partitions, scans, users, violations, webhooks
from app.cli.common import console, settings_or_exit, transaction
from app.config import get_settings
from app.db import safe_url
from app.migrate import upgrade_to_head

cli = typer.Typer(help="ChannelGuard: channel anti-diversion monitoring.", no_args_is_help=True)
cli.add_typer(users.app, name="users")
cli.add_typer(audit.app, name="audit")
cli.add_typer(codes.app, name="codes")
cli.add_typer(scans.app, name="scans")
cli.add_typer(webhooks.app, name="webhooks")
cli.add_typer(violations.app, name="violations")
cli.add_typer(ledger.app, name="ledger")
cli.add_typer(partitions.app, name="partitions")


@cli.callback()
def _announce_database() -> None:
    """Before any command: say which database it acts on (on stderr, password hidden)."""
    typer.echo(f"database: {safe_url(settings_or_exit().database_url)}", err=True)


@cli.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    workers: int = typer.Option(1, help="Worker processes."),
) -> None:
    """Bring the schema up to date, then serve the API and web pages."""
    import uvicorn

    upgrade_to_head()
    console.print(
        f"ChannelGuard on http://{host}:{port}  (database: {safe_url(get_settings().database_url)})"
    )
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
    )


@cli.command()
def migrate() -> None:
    """Bring the database schema up to date."""
    upgrade_to_head()
    console.print("schema is up to date")


@cli.command()
def demo() -> None:
    """Load the demo data set (once) and print a fresh token for each role; a demo user's
    earlier tokens stop working. Refused in production."""
    from app.demo import load_demo

    if get_settings().env == "production":
        typer.echo("error: the demo data set is never loaded in production", err=True)
        raise typer.Exit(2)
    with transaction() as session:
        tokens = load_demo(session)
    console.print("Demo users: role, user, token (shown once; earlier demo tokens are revoked)")
    # Plain lines, never a table: a terminal-width table cut the tokens short with "…".
    for username, (role, token) in tokens.items():
        typer.echo(f"{role}\t{username}\t{token}")


def main() -> None:
    cli()
