"""ASGI middleware checking a request before any route sees it: body size, query string, JSON body."""

from __future__ import annotations

from urllib.parse import unquote_to_bytes

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core import json_input
from core.errors import InvalidInput
from core.http_errors import send_error


class BodySizeLimit:
    """ASGI middleware refusing request bodies over ``max_bytes`` with 413 (declared or streamed)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await self._refuse(send)
            return
        received = 0
        over_limit = False

        async def counting_receive() -> Message:
            nonlocal received, over_limit
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                over_limit = True
                return {"type": "http.disconnect"}  # the app stops reading; we answer 413 below
            return message

        async def guarded_send(message: Message) -> None:
            if not over_limit:
                await send(message)

        await self.app(scope, counting_receive, guarded_send)
        if over_limit:
            await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        await send_error(send, 413, "too_large", f"request body exceeds the limit of {self.max_bytes} bytes")


class QueryStringCheck:
    """ASGI middleware refusing a query string over ``max_bytes`` (414) or not UTF-8 once percent-decoded (422);
    without it Starlette would silently replace the bad bytes and answer as if the caller had asked that."""

    def __init__(self, app: ASGIApp, max_bytes: int = 32 * 1024) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            raw: bytes = scope.get("query_string") or b""
            if len(raw) > self.max_bytes:
                await send_error(send, 414, "too_long", f"query string exceeds the limit of {self.max_bytes} bytes")
                return
            try:
                unquote_to_bytes(raw.replace(b"+", b" ")).decode("utf-8")
            except UnicodeDecodeError as exc:
                await send_error(send, 422, "invalid_input", f"query string is not UTF-8 (decoded byte {exc.start})")
                return
        await self.app(scope, receive, send)


def is_json(headers: dict[bytes, bytes]) -> bool:
    """True for a body FastAPI parses as JSON (``application/json`` or ``application/*+json``)."""
    media = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
    return media.startswith(b"application/") and (media == b"application/json" or media.endswith(b"+json"))


class JsonBodyCheck:
    """ASGI middleware applying :func:`core.json_input.check_json` to every JSON request body, read whole before
    any route sees it (422 in the one error format)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_json(dict(scope.get("headers") or [])):
            await self.app(scope, receive, send)
            return
        messages: list[Message] = []
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request" or not message.get("more_body", False):
                break
        if messages[-1]["type"] == "http.request":
            try:
                json_input.check_json(b"".join(m.get("body", b"") for m in messages))
            except InvalidInput as exc:
                await send_error(send, 422, exc.code, exc.detail)
                return

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)
