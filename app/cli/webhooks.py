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
