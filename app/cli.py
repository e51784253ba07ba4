"""The `channelguard` command line: serve, demo data, users, audit."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session

from app.config import get_settings
from app.db import get_sessionmaker
from app.errors import AppError
from app.migrate import upgrade_to_head
from app.models import Role

cli = typer.Typer(help="ChannelGuard: channel anti-diversion monitoring.", no_args_is_help=True)
users_cli = typer.Typer(help="Create, list and revoke API users.", no_args_is_help=True)
audit_cli = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)
cli.add_typer(users_cli, name="users")
cli.add_typer(audit_cli, name="audit")
console = Console()
ACTOR = "cli"


@contextmanager
def transaction() -> Iterator[Session]:
    """Migrate, then run the command in one transaction; a business error exits non-zero."""
    upgrade_to_head()
    try:
        with get_sessionmaker()() as session, session.begin():
            yield session
    except AppError as exc:
        console.print(f"[red]error:[/red] {exc.detail}")
        raise typer.Exit(2) from exc


@cli.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    workers: int = typer.Option(1, help="Worker processes."),
) -> None:
    """Bring the schema up to date, then serve the API and web pages."""
    import uvicorn

    upgrade_to_head()
    console.print(f"ChannelGuard on http://{host}:{port}  (database: {_safe_url()})")
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
    """Load the demo data set (once) and print a fresh token for each role."""
    from app.demo import load_demo

    with transaction() as session:
        tokens = load_demo(session)
    table = Table(title="Demo users (tokens are shown once)")
    for col in ("user", "role", "token"):
        table.add_column(col)
    for username, (role, token) in tokens.items():
        table.add_row(username, role, token)
    console.print(table)
    for username, (role, token) in tokens.items():
        typer.echo(f"{role}\t{username}\t{token}")


@users_cli.command("create")
def users_create(
    username: str = typer.Option(..., help="Login name."),
    role: Role = typer.Option(..., help="admin, hq_auditor, inspector, distributor, salesperson."),
    distributor: str | None = typer.Option(None, help="Distributor code (role distributor)."),
    salesperson: str | None = typer.Option(None, help="Salesperson code (role salesperson)."),
) -> None:
    """Create a user; the last line printed is its API token."""
    from app.auth import service as auth

    with transaction() as session:
        _user, token = auth.create_user(
            session,
            username=username,
            role=role,
            distributor_code=distributor,
            salesperson_code=salesperson,
            actor=ACTOR,
        )
    console.print(f"created {username} ({role.value}); the token below is shown only once:")
    typer.echo(token)


@users_cli.command("list")
def users_list() -> None:
    """List users and their roles."""
    from app.auth import service as auth

    with transaction() as session:
        table = Table()
        for col in ("user", "role", "party", "active tokens", "status"):
            table.add_column(col)
        for u in auth.list_users(session):
            party = (
                (u.distributor_id and f"distributor #{u.distributor_id}")
                or (u.salesperson_id and f"salesperson #{u.salesperson_id}")
                or ""
            )
            active = sum(1 for t in u.tokens if t.revoked_at is None)
            table.add_row(
                u.username,
                u.role.value,
                str(party),
                str(active),
                "disabled" if u.disabled_at else "active",
            )
    console.print(table)


@users_cli.command("revoke")
def users_revoke(username: str = typer.Argument(..., help="The user to disable.")) -> None:
    """Disable a user and revoke all of its tokens."""
    from app.auth import service as auth

    with transaction() as session:
        n = auth.revoke_user(session, username=username, actor=ACTOR)
    console.print(f"{username} disabled; {n} token(s) revoked")


@audit_cli.command("verify")
def audit_verify() -> None:
    """Check the audit hash chain; exits 1 and names the first bad entry if it was tampered with."""
    from app.audit import service as audit

    with transaction() as session:
        report = audit.verify(session)
    if report.ok:
        console.print(f"audit chain intact: {report.entries} entries")
        return
    console.print(
        f"[red]audit chain broken at entry {report.first_bad_entry}:[/red] {report.reason}"
    )
    raise typer.Exit(1)


def _safe_url() -> str:
    from sqlalchemy.engine import make_url

    return make_url(get_settings().database_url).render_as_string(hide_password=True)


def main() -> None:
    cli()
