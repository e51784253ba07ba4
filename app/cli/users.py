"""`channelguard users …`: API users and their tokens."""

from __future__ import annotations

import unicodedata

import typer

from app.cli.common import ACTOR, console, transaction
from app.models import Role

app = typer.Typer(help="Create, list and revoke API users.", no_args_is_help=True)


@app.command("create")
def users_create(
    username: str = typer.Option(..., help="Login name."),
    role: Role = typer.Option(
        ..., help="admin, hq_auditor, inspector, distributor, salesperson, sub_customer."
    ),
    distributor: str | None = typer.Option(None, help="Distributor code (role distributor)."),
    salesperson: str | None = typer.Option(None, help="Salesperson code (role salesperson)."),
    sub_customer: str | None = typer.Option(
        None, "--sub-customer", help="Sub-customer code (role sub_customer)."
    ),
    name: str | None = typer.Option(
        None, "--name", help="What the pages call the person, e.g. 王建国 (1-64 characters)."
    ),
) -> None:
    """Create a user; the last line printed is its API token."""
    from app.auth import service as auth

    display_name = None if name is None else _name_or_exit(name)
    with transaction() as session:
        _user, token = auth.create_user(
            session,
            username=username,
            role=role,
            distributor_code=distributor,
            salesperson_code=salesperson,
            sub_customer_code=sub_customer,
            display_name=display_name,
            actor=ACTOR,
        )
    console.print(f"created {username} ({role.value}); the token below is shown only once:")
    typer.echo(token)


def _name_or_exit(raw: str) -> str:
    """The trimmed name, or exit 2 saying why it cannot be one (before touching the database)."""
    from rules.people import clean_display_name

    try:
        return clean_display_name(raw)
    except ValueError as exc:
        typer.echo(f"error: --name: {exc}", err=True)
        raise typer.Exit(2) from exc


@app.command("rename")
def users_rename(
    username: str = typer.Argument(..., help="Whose name to set."),
    name: str | None = typer.Argument(
        None, help="The person's name, e.g. 王建国 (1-64 characters)."
    ),
    clear: bool = typer.Option(
        False, "--clear", help="Take the name away: pages show the party's name or the login."
    ),
) -> None:
    """Set the name the pages call a user by, or take it away with --clear."""
    from app.auth import service as auth

    if (name is None) == (not clear):
        typer.echo("error: give a NAME or --clear (not both)", err=True)
        raise typer.Exit(2)
    display_name = None if name is None else _name_or_exit(name)
    with transaction(existing=True) as session:
        auth.rename_user(session, username=username, display_name=display_name, actor=ACTOR)
    shown = display_name if display_name is not None else "(no name)"
    typer.echo(f"{username} is now called {shown}")


@app.command("list")
def users_list() -> None:
    """List users and their roles."""
    from app.auth import service as auth

    with transaction(existing=True) as session:
        rows = [
            (
                u.username,
                u.display_name or "",
                u.role.value,
                party,
                str(sum(1 for t in u.tokens if t.revoked_at is None)),
                "disabled" if u.disabled_at else "active",
            )
            for u, party in auth.list_users_with_parties(session)
        ]
    # Plain aligned columns: a terminal-width table would cut names and codes short.
    header = ("user", "name", "role", "party", "tokens", "status")
    widths = [max(_cells(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        cols = (v + " " * (w - _cells(v)) for v, w in zip(row, widths, strict=True))
        typer.echo("  ".join(cols).rstrip())


def _cells(text: str) -> int:
    """Terminal columns: a Chinese character takes two, so 王建国 lines up with ASCII names."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


@app.command("revoke")
def users_revoke(username: str = typer.Argument(..., help="The user to disable.")) -> None:
    """Disable a user and revoke all of its tokens."""
    from app.auth import service as auth

    with transaction(existing=True) as session:
        n = auth.revoke_user(session, username=username, actor=ACTOR)
    console.print(f"{username} disabled; {n} token(s) revoked")


@app.command("sign-in-link")
def users_sign_in_link(
    username: str = typer.Argument(..., help="Whose phone signs in."),
) -> None:
    """A one-time sign-in link for a user's phone, with its QR code drawn in the terminal; the
    last line printed is the link. It works once, within CG_SIGN_IN_TICKET_MINUTES."""
    import segno

    from app.auth import signin
    from app.config import get_settings

    settings = get_settings()
    with transaction(existing=True) as session:
        issued = signin.issue_ticket(
            session,
            username=username,
            actor=ACTOR,
            base_url=settings.public_base_url,
            minutes=settings.sign_in_ticket_minutes,
        )
    segno.make_qr(issued.link, error="m").terminal(compact=True)
    console.print(
        f"sign-in link for {username} ({issued.role}), valid once until "
        f"{issued.expires_at.isoformat(timespec='seconds')}:"
    )
    typer.echo(issued.link)
