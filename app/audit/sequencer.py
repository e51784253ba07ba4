"""The sequencer's loop: integrate the audit log's committed entries at least every second.

Every served process runs one; the advisory try-lock and the lease let one of them work at a
time, and another takes over within a lease once it dies."""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid

from app.audit import service
from app.config import Settings
from app.db import get_sessionmaker

log = logging.getLogger(__name__)


def holder_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"[:80]


def integrate_once(settings: Settings, holder: str) -> service.Integration | None:
    """One batch in its own transaction; the checkpoint is published outside once committed."""
    with get_sessionmaker()() as session, session.begin():
        done = service.integrate(session, holder=holder, settings=settings)
    if done is not None and done.checkpoint is not None:
        service.write_checkpoint_file(settings, done.checkpoint)
    return done


def integrate_all(settings: Settings, holder: str) -> tuple[int, service.Integration | None]:
    """Batches until nothing is pending: (entries integrated, the last batch's result)."""
    total, last = 0, None
    while True:
        last = integrate_once(settings, holder)
        if last is None or last.integrated == 0:
            return total, last
        total += last.integrated


class Sequencer:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.holder = holder_name()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="audit-sequencer", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        try:
            with get_sessionmaker()() as session, session.begin():
                service.release(session, holder=self.holder)
        except Exception:
            log.exception("could not release the audit log's lease")

    def _run(self) -> None:
        while not self._stop.wait(self.settings.log_integrate_interval):
            try:
                integrate_all(self.settings, self.holder)
            except Exception:  # the next tick retries; the service keeps serving
                log.exception("audit log integration failed")
