"""The API documentation pages, Swagger UI (/docs) and ReDoc (/redoc), with their bundles served by the app
(maps.assets, from the fastapi-offline package): FastAPI's own pages load them from a CDN and ReDoc its fonts
from Google, so offline, or where those hosts are unreachable, they were blank.

Their policy (core.security_headers.page_policy) adds only ``data:`` images (Swagger UI's icons) and ``blob:``
workers (ReDoc's search); their one inline script, fixed text around the OpenAPI URL, carries the nonce."""

from __future__ import annotations

from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse

from core.security_headers import CSP, SCRIPT_OPEN, page_policy
from core.web import Router
from maps.assets import ASSETS_URL

DOCS_ASSETS = f"{ASSETS_URL}/docs"
OPENAPI_URL = "/openapi.json"
TITLE = "Ordos place names, boundaries and facilities"
OAUTH2_REDIRECT = "/docs/oauth2-redirect"
DOCS_POLICY = page_policy({"img": ("data:",), "worker": ("blob:",)})

router = Router(include_in_schema=False)


def _page(response: HTMLResponse) -> HTMLResponse:
    """FastAPI's page with the nonce on its inline script and the documentation pages' policy."""
    body = bytes(response.body).decode().replace("<script>", SCRIPT_OPEN)
    body = body.replace("<html>", '<html lang="en">', 1)
    return HTMLResponse(body, headers={CSP: DOCS_POLICY})


@router.get("/docs")
def swagger_ui() -> HTMLResponse:
    """Swagger UI on the OpenAPI document (no online validator: it would call validator.swagger.io)."""
    return _page(
        get_swagger_ui_html(
            openapi_url=OPENAPI_URL,
            title=f"{TITLE} — Swagger UI",
            swagger_js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{DOCS_ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{DOCS_ASSETS}/favicon.png",
            oauth2_redirect_url=OAUTH2_REDIRECT,
            swagger_ui_parameters={"validatorUrl": None},
        )
    )


@router.get(OAUTH2_REDIRECT)
def swagger_ui_redirect() -> HTMLResponse:
    """Swagger UI's OAuth2 redirect page."""
    return _page(get_swagger_ui_oauth2_redirect_html())


@router.get("/redoc")
def redoc() -> HTMLResponse:
    """ReDoc on the OpenAPI document, with the system's fonts."""
    return _page(
        get_redoc_html(
            openapi_url=OPENAPI_URL,
            title=f"{TITLE} — ReDoc",
            redoc_js_url=f"{DOCS_ASSETS}/redoc.standalone.js",
            redoc_favicon_url=f"{DOCS_ASSETS}/favicon.png",
            with_google_fonts=False,
        )
    )
