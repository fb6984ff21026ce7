"""The API's own documentation pages, served from this machine: ``/docs`` (Swagger UI) and
``/redoc`` (ReDoc) load their scripts from ``/docs/static`` (the files of the ``fastapi-offline``
package), never from a CDN, so they work on an intranet with no internet. ``/`` opens the console.
"""

from __future__ import annotations

from importlib.util import find_spec
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

STATIC_PATH = "/docs/static"

router = APIRouter(include_in_schema=False)


def assets_dir() -> Path | None:
    spec = find_spec("fastapi_offline")
    if spec is None or not spec.origin:
        return None
    path = Path(spec.origin).parent / "static"
    return path if (path / "swagger-ui-bundle.js").exists() else None


@router.get("/", response_class=RedirectResponse)
def root() -> RedirectResponse:
    return RedirectResponse("console", status_code=307)  # relative: works behind a path prefix too


@router.get("/docs", response_class=HTMLResponse)
def swagger_ui() -> HTMLResponse:
    return get_swagger_ui_html(openapi_url="openapi.json", title="接口文档 · 河北基层就业服务岗位匹配",
                               swagger_js_url=f"{STATIC_PATH.lstrip('/')}/swagger-ui-bundle.js",
                               swagger_css_url=f"{STATIC_PATH.lstrip('/')}/swagger-ui.css",
                               swagger_favicon_url=f"{STATIC_PATH.lstrip('/')}/favicon.png",
                               oauth2_redirect_url="docs/oauth2-redirect")


@router.get("/docs/oauth2-redirect", response_class=HTMLResponse)
def swagger_redirect() -> HTMLResponse:
    return get_swagger_ui_oauth2_redirect_html()


@router.get("/redoc", response_class=HTMLResponse)
def redoc() -> HTMLResponse:
    return get_redoc_html(openapi_url="openapi.json", title="接口文档 · 河北基层就业服务岗位匹配",
                          redoc_js_url=f"{STATIC_PATH.lstrip('/')}/redoc.standalone.js",
                          redoc_favicon_url=f"{STATIC_PATH.lstrip('/')}/favicon.png", with_google_fonts=False)


def setup(app: FastAPI) -> None:
    """Include the pages and mount the assets (when the package is installed)."""
    app.include_router(router)
    path = assets_dir()
    if path is not None:
        app.mount(STATIC_PATH, StaticFiles(directory=path), name="docs-static")
