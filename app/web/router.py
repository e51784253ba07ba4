"""Serves the pages, their static files and the service worker that keeps the inspector page
usable offline."""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, Response
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

WEB_DIR = Path(__file__).resolve().parent
PAGES_DIR = WEB_DIR / "pages"
STATIC_DIR = WEB_DIR / "static"

# Pages load nothing from elsewhere and run no inline script, so a leaked payload cannot either.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        # 'wasm-unsafe-eval' lets the page compile our own barcode reader (WebAssembly); it
        # allows no eval of JavaScript.
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; img-src 'self' data: blob:; "
        "media-src 'self' blob: mediastream:; style-src 'self'; "
        "connect-src 'self'; worker-src 'self'; manifest-src 'self'; object-src 'none'; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    # Revalidate every time: the service worker, not the HTTP cache, serves pages offline.
    "Cache-Control": "no-cache",
}

web_router = APIRouter(include_in_schema=False)
web_router.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")


def _page(name: str) -> FileResponse:
    return FileResponse(PAGES_DIR / name, media_type="text/html", headers=SECURITY_HEADERS)


@web_router.get("/")
def sign_in_page() -> FileResponse:
    """Paste a token; the page then routes by role."""
    return _page("index.html")


@web_router.get("/signin")
def sign_in_link_page() -> FileResponse:
    """Where a one-time sign-in link (or its QR code) lands: the same page, which trades the
    link's ticket for a session."""
    return _page("index.html")


@web_router.get("/inspector")
def inspector_page() -> FileResponse:
    """The field inspector's phone page: scan, see the verdict, queue while offline."""
    return _page("inspector.html")


@web_router.get("/distributor")
def distributor_page() -> FileResponse:
    """A distributor's (or salesperson's) violation reports, appeals and credited sales."""
    return _page("distributor.html")


@web_router.get("/hq")
def hq_page() -> FileResponse:
    """HQ's audit queue, diversion map, charts and audit chain status."""
    return _page("hq.html")


@web_router.get("/admin")
def admin_page() -> FileResponse:
    """Set-up: regions with their label colours, distributors, salespeople, sub-customers,
    products and checkpoints; issuing code batches and printing their labels (admin only)."""
    return _page("admin.html")


@lru_cache
def shell_version() -> str:
    """A hash of every page and static file: a new release gets a new offline cache."""
    digest = hashlib.sha256()
    for path in sorted([*PAGES_DIR.rglob("*"), *STATIC_DIR.rglob("*")]):
        if path.is_file():
            digest.update(path.relative_to(WEB_DIR).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


# What the inspector needs to start without a network: its page, sign-in, and every static file.
OFFLINE_PAGES = ("/", "/inspector")


def shell_files() -> list[str]:
    """The URLs the service worker stores when it installs."""
    static = sorted(
        p.relative_to(STATIC_DIR).as_posix() for p in STATIC_DIR.rglob("*") if p.is_file()
    )
    return [*OFFLINE_PAGES, *(f"/static/{name}" for name in static)]


@web_router.get("/sw.js")
def service_worker() -> Response:
    """Served from the root so that its scope covers every page."""
    source = (WEB_DIR / "sw.js").read_text(encoding="utf-8")
    source = source.replace("__SHELL_VERSION__", shell_version())
    return Response(
        source.replace("__SHELL_FILES__", json.dumps(shell_files())),
        media_type="text/javascript",
        headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"},
    )
