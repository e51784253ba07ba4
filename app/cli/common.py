"""What every command shares: the console, one transaction per command, and the refusal to
create a database that a read-only command expected to find."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import typer
from pydantic import ValidationError
from rich.console import Console
from sqlalchemy.orm import Session

from app.config import Settings, get_settings
from app.db import get_sessionmaker, sqlite_file
from app.errors import AppError
from app.migrate import upgrade_to_head

console = Console()
ACTOR = "cli"


def settings_or_exit() -> Settings:
    try:
        return get_settings()
    except ValidationError as exc:
        for err in exc.errors():
            where = ".".join(str(part) for part in err["loc"]) or "settings"
            typer.echo(f"error: {where}: {err['msg']}", err=True)
        raise typer.Exit(2) from exc


def require_existing_database() -> None:
    """Commands that only read (or act on existing records) never create an empty database:
    run from the wrong folder or with a mistyped DATABASE_URL, they would report on nothing."""
    path = sqlite_file(get_settings().database_url)
    if path is not None and not path.exists():
        typer.echo(
            f"error: no database at {path}. Set DATABASE_URL (or CG_DATA_DIR) to the database "
            "you mean; `channelguard migrate` or `channelguard demo` creates a new one.",
            err=True,
        )
        raise typer.Exit(2)


@contextmanager
def transaction(*, existing: bool = False) -> Iterator[Session]:
    """Migrate, then run the command in one transaction; a business error exits non-zero.
    `existing`: refuse (exit 2) rather than create a SQLite database that is not there."""
    if existing:
        require_existing_database()
    upgrade_to_head()
    try:
        with get_sessionmaker()() as session, session.begin():
            yield session
    except AppError as exc:
        console.print(f"[red]error:[/red] {exc.detail}")
        raise typer.Exit(2) from exc


@contextmanager
def progress() -> Iterator[tuple[Any, Any]]:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
    ) as bar:
        yield bar, bar.add_task("signing and storing codes", total=None)
