"""The ASGI application."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import fastapi_offline
from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text

from app.api import api_router
from app.config import get_settings
from app.db import get_engine
from app.epcis.router import router as epcis_router
from app.errors import install_handlers
from app.limits import BodySizeLimit
from app.subcustomers.router import public_router as dealers_router
from app.verify.router import public_router as verify_router
from app.web.router import web_router
from rules.policy import load_policy

# Swagger UI and ReDoc as shipped inside the fastapi-offline wheel: the API docs open on a
# plant's network that cannot reach a CDN.
DOCS_ASSETS = Path(fastapi_offline.__file__).parent / "static"
DOCS_STATIC = "/docs-static"


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """While served, the audit log's sequencer integrates new entries every second. At start,
    the scan partitions of the coming months are made (PostgreSQL; cheap when they exist)."""
    from app.audit.sequencer import Sequencer
    from app.partitions.service import ensure_at_startup

    ensure_at_startup()

    settings = get_settings()
    sequencer = Sequencer(settings) if settings.log_integrate_interval > 0 else None
    if sequencer is not None:
        sequencer.start()
    try:
        yield
    finally:
        if sequencer is not None:
            sequencer.stop()


def create_app() -> FastAPI:
    settings = get_settings()
    # A broken policy file stops the service at start, not at the first scan.
    load_policy()
    app = FastAPI(
        title="ChannelGuard",
        version="0.1.0",
        description="Channel anti-diversion monitoring: region-coded cartons, controlled "
        "waybills, checkpoint scans, violations and the credited-sales ledger.",
        docs_url=None,
        redoc_url=None,
        lifespan=_lifespan,
    )
    install_handlers(app)
    app.include_router(api_router)
    app.include_router(web_router)
    app.include_router(epcis_router)
    app.include_router(dealers_router)
    app.include_router(verify_router)

    @app.get("/healthz", tags=["ops"])
    def healthz() -> dict[str, str]:
        with get_engine().connect() as conn:
            conn.execute(text("SELECT 1"))
        return {"status": "ok"}

    _serve_docs(app)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_request_bytes)
    return app


def _serve_docs(app: FastAPI) -> None:
    """/docs (Swagger UI) and /redoc from the package's own copies of their scripts."""
    app.mount(DOCS_STATIC, StaticFiles(directory=DOCS_ASSETS), name="docs-static")
    openapi_url = app.openapi_url or "/openapi.json"

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title} – API",
            swagger_js_url=f"{DOCS_STATIC}/swagger-ui-bundle.js",
            swagger_css_url=f"{DOCS_STATIC}/swagger-ui.css",
            swagger_favicon_url=f"{DOCS_STATIC}/favicon.png",
            # No badge that sends the schema to validator.swagger.io.
            swagger_ui_parameters={"validatorUrl": None},
        )

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=openapi_url,
            title=f"{app.title} – ReDoc",
            redoc_js_url=f"{DOCS_STATIC}/redoc.standalone.js",
            redoc_favicon_url=f"{DOCS_STATIC}/favicon.png",
            with_google_fonts=False,
        )
