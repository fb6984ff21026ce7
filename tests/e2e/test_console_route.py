"""The console router on a bare FastAPI app: page, static files, headers, offline assets.

Fast and browser-free (the browser test is test_console_browser.py)."""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.routes.console import STATIC_DIR, mount_console


@pytest.fixture
def client():
    app = FastAPI()
    mount_console(app)
    mount_console(app)  # idempotent
    with TestClient(app) as c:
        yield c


def test_page_and_assets_are_served(client):
    page = client.get("/console")
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    csp = page.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert '<html lang="zh-CN">' in page.text
    for name, kind in (("app.js", "text/javascript"), ("style.css", "text/css")):
        r = client.get(f"/console/static/{name}")
        assert r.status_code == 200 and r.headers["content-type"].startswith(kind)
    assert client.get("/console/static/missing.js").status_code == 404


def test_trailing_slash_redirects_relatively(client):
    r = client.get("/console/", follow_redirects=False)
    assert r.status_code == 308 and r.headers["location"] == "../console"
    assert client.get("/console/").status_code == 200


def test_no_asset_reaches_outside_the_intranet():
    """No CDN, web font, map tile or any absolute URL in the console's files."""
    for path in STATIC_DIR.iterdir():
        text = path.read_text(encoding="utf-8").replace("http://www.w3.org/2000/svg", "")
        assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", text, re.I), path.name
        assert "@import" not in text and "@font-face" not in text, path.name


def test_page_references_only_its_own_assets():
    html = (STATIC_DIR / "index.html").read_text(encoding="utf-8")
    refs = re.findall(r'(?:src|href)="([^"#][^"]*)"', html)
    assert "console/static/app.js" in refs and "console/static/style.css" in refs
    for ref in refs:  # the page's own files (every tab's script), or the empty icon
        assert ref == "data:," or (ref.startswith("console/static/") and (STATIC_DIR / ref.rsplit("/", 1)[1]).is_file())
    assert "<script>" not in html and " style=" not in html  # the CSP forbids inline script and style


def test_every_labelled_control_has_its_label():
    html = (STATIC_DIR / "index.html").read_text(encoding="utf-8")
    ids = set(re.findall(r'<(?:input|select|textarea)[^>]*\bid="([^"]+)"', html))
    labelled = set(re.findall(r'<label[^>]*\bfor="([^"]+)"', html))
    wrapped = set(re.findall(r'<label class="check"><input[^>]*\bid="([^"]+)"', html))
    assert ids and ids <= labelled | wrapped, ids - labelled - wrapped


def test_mount_after_include_router_adds_only_the_static_files():
    """``api.app`` includes ``router`` and then calls ``setup(app)``: no route is doubled."""
    from api.routes import console

    app = FastAPI()
    before = len(app.router.routes)
    app.include_router(console.router)
    console.setup(app)
    console.mount_console(app)
    assert len(app.router.routes) == before + 2  # the router (once) and the static mount
    paths = [getattr(r, "path", None) for r in app.router.routes]
    assert paths.count("/console/static") == 1
    with TestClient(app) as c:
        assert c.get("/console/static/app.js").status_code == 200
