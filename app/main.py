"""The ASGI application."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy import text

from app.api import api_router
from app.config import get_settings
from app.db import get_engine
from app.epcis.router import router as epcis_router
from app.errors import install_handlers
from app.limits import BodySizeLimit
from app.subcustomers.router import public_router as dealers_router
from app.web.router import web_router
from rules.policy import load_policy


def create_app() -> FastAPI:
    settings = get_settings()
    # A broken policy file stops the service at start, not at the first scan.
    load_policy()
    app = FastAPI(
        title="ChannelGuard",
        version="0.1.0",
        description="Channel anti-diversion monitoring: region-coded cartons, controlled "
        "waybills, checkpoint scans, violations and the credited-sales ledger.",
    )
    install_handlers(app)
    app.include_router(api_router)
    app.include_router(web_router)
    app.include_router(epcis_router)
    app.include_router(dealers_router)

    @app.get("/healthz", tags=["ops"])
    def healthz() -> dict[str, str]:
        with get_engine().connect() as conn:
            conn.execute(text("SELECT 1"))
        return {"status": "ok"}

    app.add_middleware(BodySizeLimit, max_bytes=settings.max_request_bytes)
    return app
