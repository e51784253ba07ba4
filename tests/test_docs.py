"""The API docs work on a network with no way out: /docs and /redoc name no outside host, and
every script, style sheet and icon they load is served by the app itself."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

ASSET_RE = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']""")
URL_IN_SCRIPT_RE = re.compile(r"""["'](?:https?:)?//[^"']+["']""")


@pytest.fixture
def client(db_url: str) -> Iterator[TestClient]:
    from app.main import create_app

    with TestClient(create_app()) as c:
        yield c


@pytest.mark.parametrize(
    ("page", "needs"),
    [
        ("/docs", {"swagger-ui-bundle.js", "swagger-ui.css", "favicon.png"}),
        ("/redoc", {"redoc.standalone.js", "favicon.png"}),
    ],
)
def test_docs_pages_load_everything_from_the_app(
    client: TestClient, page: str, needs: set[str]
) -> None:
    r = client.get(page)
    assert r.status_code == 200
    html = r.text
    assets = ASSET_RE.findall(html)
    assert {a.rsplit("/", 1)[-1] for a in assets} >= needs
    for url in assets:
        assert url.startswith("/") and not url.startswith("//"), url  # same host, always
        got = client.get(url)
        assert got.status_code == 200, url
        assert len(got.content) > 1000, url  # the real file, not an error page
    # No CDN, font host or validator named anywhere on the page, scripts included.
    assert URL_IN_SCRIPT_RE.findall(html) == []
    assert "cdn" not in html.lower()
    assert "fonts.googleapis" not in html
    # The page really points at this service's own schema.
    assert "/openapi.json" in html


def test_swagger_ui_validator_badge_is_off(client: TestClient) -> None:
    # Swagger UI otherwise posts the schema to validator.swagger.io to draw a badge.
    assert '"validatorUrl": null' in client.get("/docs").text


def test_served_swagger_script_is_swagger_ui_5(client: TestClient) -> None:
    # OpenAPI 3.1 (what FastAPI emits) needs Swagger UI 5; 4.x shows "unable to render".
    js = client.get("/docs-static/swagger-ui-bundle.js").text
    assert "SwaggerUIBundle" in js
    assert "oas/3.1/dialect" in js  # the OpenAPI 3.1 support that arrived with 5.x
