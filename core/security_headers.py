"""Security headers on every response, and the Content-Security-Policy of every HTML page.

Every response carries ``X-Content-Type-Options: nosniff`` (a CSV or JSON answer is never run as a script),
``X-Frame-Options: DENY`` and ``Referrer-Policy: same-origin``. Every HTML response (``text/html``) carries a
``Content-Security-Policy`` (:func:`page_policy`): scripts only from this origin or inline with this response's
nonce, no inline event handler (``onerror=...``) at all, nothing from another origin, no framing.

Nonces, not hashes. A map page's inline script holds the data (folium writes each layer's GeoJSON into it), so
its hash changes with every edit; computed from the final HTML, a hash (or a nonce added by scanning the
output for ``<script>``) would bless a script an attacker managed to plant in that HTML as readily as ours.
So the nonce is written where a page is *built*, on the script tags its code writes itself (:data:`SCRIPT_OPEN`),
never found by scanning the output: pages write :data:`NONCE_PLACEHOLDER`, a random value drawn when the
process starts, which no stored text can hold since it never leaves the process — this middleware replaces it in
each HTML response (body and policy) with a fresh random nonce of the same length. A ``<script>`` planted in
the page gets no nonce and does not run.

Pages that need more than this origin (a map's basemap tiles; the API documentation's ``data:`` images and
``blob:`` workers, app/docs.py) send their own policy made by :func:`page_policy`."""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = "Content-Security-Policy"
NONCE_PLACEHOLDER = secrets.token_hex(16)
SCRIPT_OPEN = f'<script nonce="{NONCE_PLACEHOLDER}">'


def page_policy(sources: Mapping[str, Sequence[str]] | None = None) -> str:
    """The Content-Security-Policy of an HTML page: this origin only, plus ``sources`` per fetch directive
    (``script``, ``style``, ``img``, ``font``, ``worker``), e.g. ``{"img": ["https://tile.openstreetmap.org"]}``.

    Inline styles are allowed (``style-src 'unsafe-inline'``): the pages use style attributes and folium writes
    ``<style>`` blocks; CSS runs no script. No nonce on ``style-src``: it would switch ``'unsafe-inline'`` off."""
    extra = {kind: " ".join(origins) for kind, origins in (sources or {}).items()}

    def directive(kind: str, *base: str) -> str:
        return " ".join(part for part in (f"{kind}-src", *base, extra.get(kind, "")) if part)

    return "; ".join(
        [
            "default-src 'none'",
            directive("script", "'self'", f"'nonce-{NONCE_PLACEHOLDER}'"),
            "script-src-attr 'none'",
            directive("style", "'self'", "'unsafe-inline'"),
            directive("img", "'self'"),
            directive("font", "'self'"),
            directive("connect", "'self'"),
            *([directive("worker")] if "worker" in extra else []),
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


class SecurityHeaders:
    """ASGI middleware adding the security headers; register it around every middleware but the compression,
    which must wrap it (the nonce is written into the page before the page is compressed)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        body: list[bytes] = []

        async def secured_send(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["X-Content-Type-Options"] = "nosniff"
                headers["X-Frame-Options"] = "DENY"
                headers["Referrer-Policy"] = "same-origin"
                if not headers.get("content-type", "").startswith("text/html"):
                    await send(message)
                    return
                if "content-encoding" in headers:  # the placeholder must never leave the process
                    raise RuntimeError("compression must wrap SecurityHeaders (HTML body already encoded)")
                if CSP not in headers:
                    headers[CSP] = page_policy()
                start = message  # held until the whole body is here: its nonce goes into both
                return
            if start is None:
                await send(message)
                return
            body.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            await self._send_page(send, start, b"".join(body))

        await self.app(scope, receive, secured_send)

    @staticmethod
    async def _send_page(send: Send, start: Message, body: bytes) -> None:
        nonce = secrets.token_hex(16)
        body = body.replace(NONCE_PLACEHOLDER.encode(), nonce.encode())
        headers = MutableHeaders(scope=start)
        headers[CSP] = headers[CSP].replace(NONCE_PLACEHOLDER, nonce)
        if "content-length" in headers:
            headers["content-length"] = str(len(body))
        await send(start)
        await send({"type": "http.response.body", "body": body})
