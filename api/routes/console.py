"""The station web console (服务站工作台): a static single page served by the API app.

Everything the page needs is served from this package (``api/static/console``): no CDN, no web
fonts, no map tiles, so it works on a government intranet with no internet. The page calls the
JSON API under ``/v1`` of the same origin (see docs/api.md).

The app factory calls :func:`mount_console` (alias :func:`setup`)::

    from api.routes.console import mount_console
    mount_console(app)

which adds ``GET /console`` (the page) and ``/console/static/...`` (its script and stylesheet).
"""

from __future__ import annotations

import re
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import FileResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.routing import Mount

STATIC_DIR = Path(__file__).resolve().parent.parent / "static" / "console"
STATIC_PATH = "/console/static"

# Only this origin: no inline script, no external hosts (an intranet page must not reach out).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'self'"
)
_PAGE_HEADERS = {
    "Cache-Control": "no-cache",
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}

router = APIRouter(include_in_schema=False)


def page_headers(tile_url: str | None) -> dict[str, str]:
    """The page's headers; an operator's map tile server (``MATCHER_MAP_TILE_URL``) is the one other
    origin images may come from."""
    m = re.match(r"^(https?://[^/{}]+)", tile_url or "")
    if not m:
        return _PAGE_HEADERS
    csp = CONTENT_SECURITY_POLICY.replace("img-src 'self' data:", f"img-src 'self' data: {m.group(1)}")
    return {**_PAGE_HEADERS, "Content-Security-Policy": csp}


@router.get("/console")
def console_page(request: Request) -> FileResponse:
    """The console page (its assets are relative to ``/console``)."""
    settings = getattr(request.app.state, "settings", None)
    return FileResponse(STATIC_DIR / "index.html", media_type="text/html; charset=utf-8",
                        headers=page_headers(getattr(settings, "map_tile_url", None)))


@router.get("/console/")
def console_slash() -> RedirectResponse:
    # Relative, so it also works behind a reverse proxy that adds a path prefix.
    return RedirectResponse("../console", status_code=308)


class _ConsoleStatic(StaticFiles):
    """Static files with the console's headers (revalidated, so an upgrade is seen at once)."""

    async def get_response(self, path, scope):
        response = await super().get_response(path, scope)
        response.headers.setdefault("Cache-Control", "no-cache")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        if path.endswith(".js"):
            response.headers["content-type"] = "text/javascript; charset=utf-8"
        elif path.endswith(".css"):
            response.headers["content-type"] = "text/css; charset=utf-8"
        return response


def _has_console_routes(app: FastAPI) -> bool:
    # FastAPI ≥ 0.16x keeps an included router as one entry holding it (``original_router``);
    # older versions copy its routes (same endpoint functions).
    return any(getattr(r, "original_router", None) is router or getattr(r, "endpoint", None) is console_page
               for r in app.router.routes)


def mount_console(app: FastAPI) -> FastAPI:
    """Serve the console on ``app``: ``GET /console`` and ``/console/static/...``.

    Idempotent, and safe after ``app.include_router(router)`` (which ``api.app`` does before it
    calls :func:`setup`): only what is missing is added."""
    if not _has_console_routes(app):
        app.include_router(router)
    if not any(isinstance(r, Mount) and r.path == STATIC_PATH for r in app.router.routes):
        app.mount(STATIC_PATH, _ConsoleStatic(directory=STATIC_DIR), name="console-static")
    return app


# ``api.app.create_app`` includes ``router`` and then calls ``setup(app)`` when a module has one.
setup = mount_console
