"""The `channelguard` command line: serve, demo data, users, audit."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from pydantic import ValidationError
from rich.console import Console
from sqlalchemy.orm import Session

from app.config import Settings, get_settings
from app.db import get_sessionmaker, safe_url, sqlite_file
from app.errors import AppError
from app.migrate import upgrade_to_head
from app.models import Role
from app.violations.cli import violations_cli

if TYPE_CHECKING:
    from app.codes.schemas import CodeBatchOut

cli = typer.Typer(help="ChannelGuard: channel anti-diversion monitoring.", no_args_is_help=True)
users_cli = typer.Typer(help="Create, list and revoke API users.", no_args_is_help=True)
audit_cli = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)
cli.add_typer(users_cli, name="users")
cli.add_typer(audit_cli, name="audit")
codes_cli = typer.Typer(help="Issue carton codes and print their labels.", no_args_is_help=True)
scans_cli = typer.Typer(
    help="Import scans from a handheld reader's batch file.", no_args_is_help=True
)
webhooks_cli = typer.Typer(help="Deliver queued webhook calls.", no_args_is_help=True)
cli.add_typer(codes_cli, name="codes")
cli.add_typer(scans_cli, name="scans")
cli.add_typer(webhooks_cli, name="webhooks")
cli.add_typer(violations_cli, name="violations")
console = Console()
ACTOR = "cli"


def _settings_or_exit() -> Settings:
    try:
        return get_settings()
    except ValidationError as exc:
        for err in exc.errors():
            where = ".".join(str(part) for part in err["loc"]) or "settings"
            typer.echo(f"error: {where}: {err['msg']}", err=True)
        raise typer.Exit(2) from exc


@cli.callback()
def _announce_database() -> None:
    """Before any command: say which database it acts on (on stderr, password hidden)."""
    typer.echo(f"database: {safe_url(_settings_or_exit().database_url)}", err=True)


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


@users_cli.command("create")
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
            sub_customer_code=sub_customer,
            actor=ACTOR,
        )
    console.print(f"created {username} ({role.value}); the token below is shown only once:")
    typer.echo(token)


@users_cli.command("list")
def users_list() -> None:
    """List users and their roles."""
    from app.auth import service as auth

    with transaction(existing=True) as session:
        rows = [
            (
                u.username,
                u.role.value,
                party,
                str(sum(1 for t in u.tokens if t.revoked_at is None)),
                "disabled" if u.disabled_at else "active",
            )
            for u, party in auth.list_users_with_parties(session)
        ]
    # Plain aligned columns: a terminal-width table would cut names and codes short.
    header = ("user", "role", "party", "tokens", "status")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        typer.echo("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())


@users_cli.command("revoke")
def users_revoke(username: str = typer.Argument(..., help="The user to disable.")) -> None:
    """Disable a user and revoke all of its tokens."""
    from app.auth import service as auth

    with transaction(existing=True) as session:
        n = auth.revoke_user(session, username=username, actor=ACTOR)
    console.print(f"{username} disabled; {n} token(s) revoked")


@audit_cli.command("verify")
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


@codes_cli.command("issue")
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
        with _progress() as (bar, task), transaction() as session:
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


@codes_cli.command("resume")
def codes_resume(batch_id: int = typer.Argument(..., help="The unfinished code batch.")) -> None:
    """Finish a batch whose issuing was killed or failed: exactly its quantity, no more."""
    out = _resume_with_progress(batch_id)
    console.print(f"batch {out.id}: {out.issued} of {out.quantity} codes, {out.status}")


@contextmanager
def _progress() -> Iterator[tuple[Any, Any]]:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
    ) as bar:
        yield bar, bar.add_task("signing and storing codes", total=None)


def _resume_with_progress(batch_id: int) -> CodeBatchOut:
    """Store a batch's missing codes chunk by chunk, the bar moving as each chunk commits."""
    from app.codes import service as codes

    upgrade_to_head()
    with transaction() as session:
        before = codes.get_batch(session, batch_id=batch_id)
    with _progress() as (bar, task):
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
        out.writerow(["serial", "gtin", "region_code", "element_string", "digital_link"])
        for code in codes.iter_codes(session, ctx):
            out.writerow(
                [
                    code.serial,
                    code.gtin,
                    code.region_code,
                    code.element_string,
                    code.digital_link(settings.digital_link_base),
                ]
            )
            n += 1
    return n


@codes_cli.command("labels")
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


@scans_cli.command("import")
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

    from app.models import User
    from app.scans import service as scans
    from app.scans.idempotency import run_once
    from app.scans.schemas import ScanBatchIn, ScanBatchOut
    from rules.policy import load_policy
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
    settings = get_settings()
    totals: dict[str, int] = {}
    while (batch := queue.next_batch()) is not None:
        body = ScanBatchIn.model_validate_json(batch.body)
        with get_sessionmaker()() as session, session.begin():
            who = session.scalar(select(User).where(User.username == user))
            if who is None or who.role not in (Role.inspector, Role.admin):
                console.print(f"[red]error:[/red] {user!r} is not an inspector")
                raise typer.Exit(2)
            uid = who.id

            def compute(
                body: ScanBatchIn = body, session: Session = session, uid: int = uid
            ) -> dict[str, object]:
                results = scans.ingest(
                    session,
                    items=scans.items_from(body.scans),
                    user_id=uid,
                    settings=settings,
                    policy=load_policy(),
                    source="import",
                )
                return ScanBatchOut(results=results).model_dump(mode="json")

            response = run_once(
                session,
                user_id=uid,
                key=batch.idempotency_key,
                body=body.model_dump(mode="json"),
                compute=compute,
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


@webhooks_cli.command("deliver")
def webhooks_deliver(
    loop: bool = typer.Option(False, help="Keep delivering every --every seconds."),
    every: float = typer.Option(30.0, help="Seconds between rounds with --loop."),
) -> None:
    """Send due webhook calls to distributors, retrying failures with backoff (cron-safe)."""
    import time

    import httpx

    from app.waybills.webhooks import deliver_due

    require_existing_database()
    upgrade_to_head()
    with httpx.Client() as http:
        while True:
            report = deliver_due(get_sessionmaker(), client=http)
            console.print(
                f"delivered {report.delivered}, failed {report.failed} "
                f"(gave up on {report.given_up})"
            )
            if not loop:
                return
            time.sleep(every)


def _safe_url() -> str:
    return safe_url(get_settings().database_url)


def main() -> None:
    cli()
