"""The one error format of the service: ``{"code", "detail"}`` as JSON (a page to a browser), from the error tree,
FastAPI's validation errors and Starlette's HTTP errors, and declared so in the OpenAPI document."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Scope, Send

from core.error_pages import error_page, prefers_html
from core.errors import GazError


def error_body(code: str, detail: str, extra: dict[str, object] | None = None) -> dict[str, object]:
    """The one error format: ``{"code": ..., "detail": ...}`` plus optional fields."""
    return {"code": code, "detail": detail, **(extra or {})}


def error_answer(
    request: Request, status: int, body: dict[str, object], headers: Mapping[str, str] | None = None
) -> Response:
    """The one error format as JSON; as a page (core.error_pages, Chinese first) to a browser's GET that asks for
    HTML first."""
    if request.method in ("GET", "HEAD") and prefers_html(request.headers.get("accept", "")):
        return HTMLResponse(error_page(status, str(body["detail"])), status_code=status, headers=headers)
    return JSONResponse(body, status_code=status, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    """Map the error tree, validation errors and HTTP errors to the one error format."""

    @app.exception_handler(GazError)
    async def gaz_error(request: Request, exc: GazError) -> Response:
        body = error_body(exc.code, exc.detail, exc.extra)
        return error_answer(request, exc.status_code, body, exc.headers or None)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        problems = [
            f"{'.'.join(str(p) for p in err.get('loc', ()))}: {err.get('msg')} (got {err.get('input')!r})"[:300]
            for err in exc.errors()
        ]
        return error_answer(request, 422, error_body("invalid_input", "; ".join(problems)))

    from starlette.routing import Match  # here, not at the top: this body is the error handlers' own part

    def allowed_methods(scope: Scope) -> str:
        """Every method some route answers at the scope's path (Starlette's Allow names the first route's only)."""
        return ", ".join(
            method
            for method in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
            if any(route.matches({**scope, "method": method})[0] is Match.FULL for route in app.router.routes)
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        headers = dict(exc.headers or {})
        if exc.status_code == 405 and "Allow" in headers:  # RFC 9110: a 405 lists the methods the path answers
            headers["Allow"] = allowed_methods(request.scope)
        return error_answer(request, exc.status_code, error_body("http_error", str(exc.detail)), headers)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document_error_format(FastAPI.openapi(app))
        return app.openapi_schema  # type: ignore[return-value]

    app.openapi = openapi  # type: ignore[method-assign]


ERROR_SCHEMA = {
    "title": "Error",
    "type": "object",
    "required": ["code", "detail"],
    "properties": {"code": {"type": "string"}, "detail": {"type": "string"}},
    "additionalProperties": True,
}


def document_error_format(document: dict[str, Any]) -> None:
    """Declare the one error format in an OpenAPI document: 422 and every other error status (``default``)
    answer ``{"code", "detail"}``, not FastAPI's HTTPValidationError list."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = ERROR_SCHEMA
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    answer = {
        "description": "Error: 401 no key, 403 role, 404 unknown, 409 conflict, 413 too large, 422 invalid input",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            if "default" in responses:  # the route declares its own error format (OGC exceptions)
                responses.pop("422", None)
                continue
            if "422" in responses:
                responses["422"] = {**answer, "description": "Invalid input"}
            responses["default"] = answer


async def send_error(send: Send, status: int, code: str, detail: str) -> None:
    """Answer in the one error format from an ASGI middleware (before any route runs)."""
    body = json.dumps(error_body(code, detail)).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
