"""`channelguard webhooks deliver`: distributors' webhooks, with retries (cron-safe)."""

from __future__ import annotations

import typer

from app.cli.common import console, require_existing_database
from app.db import get_sessionmaker
from app.migrate import upgrade_to_head

app = typer.Typer(help="Deliver queued webhook calls.", no_args_is_help=True)


@app.command("deliver")
def webhooks_deliver(
    loop: bool = typer.Option(False, help="Keep delivering every --every seconds."),
    every: float = typer.Option(30.0, help="Seconds between rounds with --loop."),
) -> None:
    """Queue new inbox events (violations, appeals, decisions, consumer signals) as webhook
    calls, then send due calls to distributors and HQ, retrying failures with backoff
    (cron-safe)."""
    import time

    import httpx

    from app.waybills.webhooks import deliver_due

    require_existing_database()
    upgrade_to_head()
    with httpx.Client() as http:
        while True:
            queued = relay_inbox_events()
            report = deliver_due(get_sessionmaker(), client=http)
            console.print(f"queued {queued} inbox events")
            console.print(
                f"delivered {report.delivered}, failed {report.failed} "
                f"(gave up on {report.given_up})"
            )
            if not loop:
                return
            time.sleep(every)


def relay_inbox_events() -> int:
    """Queue webhook calls for inbox events new since the last round; 0 when another relay
    got there first (its round queued them)."""
    from app.config import get_settings
    from app.errors import Conflict
    from app.inbox.webhooks import relay

    try:
        with get_sessionmaker()() as session, session.begin():
            return relay(session, settings=get_settings())
    except Conflict:
        return 0


@app.command("hq-secret")
def webhooks_hq_secret() -> None:
    """Print HQ's webhook signing secret (for the receiver at CG_HQ_WEBHOOK_URL)."""
    from app.config import get_settings
    from app.waybills.webhooks import SIGNATURE_HEADER, hq_webhook_secret

    console.print(f"header: {SIGNATURE_HEADER}")
    typer.echo(hq_webhook_secret(get_settings().webhook_secret))
