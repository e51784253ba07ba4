"""The pages and the offline shell as served, without a browser."""

from __future__ import annotations

import re

import pytest

from app.web.router import shell_files
from tests.conftest import Api

PAGES = {
    "/": "signin.js",
    "/inspector": "inspector.js",
    "/distributor": "distributor.js",
    "/hq": "hq.js",
    "/admin": "admin.js",
}


@pytest.mark.parametrize(("path", "script"), PAGES.items())
def test_each_page_is_html_that_loads_its_module_under_a_strict_policy(
    api: Api, path: str, script: str
) -> None:
    r = api.get(None, path)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert f'<script type="module" src="/static/js/{script}">' in r.text
    csp = r.headers["content-security-policy"]
    assert "default-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert r.headers["cache-control"] == "no-cache"


def test_pages_stay_out_of_the_api_schema(api: Api) -> None:
    paths = api.get(None, "/openapi.json").json()["paths"]
    assert not {"/", "/inspector", "/distributor", "/hq", "/sw.js"} & set(paths)


def test_every_file_the_service_worker_stores_exists(api: Api) -> None:
    """One missing file makes the service worker's install fail, and the page never works
    offline."""
    sw = api.get(None, "/sw.js")
    assert sw.status_code == 200
    assert sw.headers["content-type"].startswith("text/javascript")
    listed = re.search(r"const SHELL = (\[.*?\]);", sw.text)
    assert listed is not None
    files = shell_files()
    assert listed.group(1) == str(files).replace("'", '"')
    assert {"/inspector", "/static/js/inspector.js", "/static/js/queue.js"} <= set(files)
    for url in files:
        assert api.get(None, url).status_code == 200, url


def test_the_offline_cache_is_named_after_the_files_it_holds(api: Api) -> None:
    version = re.search(r'const VERSION = "([0-9a-f]{16})";', api.get(None, "/sw.js").text)
    assert version is not None
    assert "__SHELL" not in api.get(None, "/sw.js").text


def test_static_files_cannot_reach_outside_their_folder(api: Api) -> None:
    for path in ("/static/../router.py", "/static/%2e%2e/router.py", "/static/../../app/config.py"):
        r = api.get(None, path)
        assert r.status_code == 404, path
        assert "get_settings" not in r.text


def test_pages_load_nothing_from_other_hosts(api: Api) -> None:
    """The machines have no internet: every script, style and image is served here."""
    for url in [*PAGES, *shell_files()]:
        text = api.get(None, url).text
        assert not re.search(r"""(src|href)=["']?(https?:)?//""", text), url
        assert not re.search(r"""(import|from)\s*["']https?://""", text), url
