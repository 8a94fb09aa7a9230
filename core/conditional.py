"""Conditional GET (RFC 9110 section 13) for read routes: an ETag from the data versions, 304 on If-None-Match.

A route takes ``Depends(fresh_for(<contexts>))`` among its route ``dependencies`` (and a ``Db`` connection): the
request's connection reads, as it opens and before the route's own work, the versions of the contexts whose tables
the answer comes from (core.data_version, one small query), and the dependency tags the answer with them, today's
date (answers default to today), the request target, its Accept header and the server's settings. When the request's
If-None-Match names that tag, the answer is 304 without reading any table of the data. ``ConditionalGet`` (a
middleware) sends the 304 and puts ``ETag`` and ``Cache-Control: no-cache`` on the route's 200 answers (no-cache:
a cache may keep the answer but must revalidate it, RFC 9111 section 5.2.2.4).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Coroutine
from datetime import date
from typing import Any

from fastapi import Request
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.settings import Settings
from core.web import Pending

SCOPE_KEY = "gaz.etag"
CACHE_CONTROL = "no-cache"
# RFC 9110 section 8.8.3: entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE, etagc = %x21 / %x23-7E / obs-text
_ENTITY_TAG = re.compile(r'\s*(?:W/)?"([\x21\x23-\x7e\x80-\xff]*)"\s*(?:,|$)')


class NotModified(Exception):  # noqa: N818 (named after the status it answers)
    """The client's copy is current: answer 304 with this entity tag."""

    def __init__(self, tag: str) -> None:
        super().__init__(tag)
        self.tag = tag


def settings_digest(settings: Settings) -> str:
    """A digest of the server's settings (its secrets left out: the database and replica URLs, the Tianditu key),
    part of every entity tag: an answer can depend on a setting (a coverage target, a hazard weight, a local
    division criterion), so a server restarted with other settings never confirms an old answer."""
    public = settings.model_dump(mode="json", exclude={"database_url": True, "replica_urls": True})
    public["maps"].pop("tianditu_key", None)
    return hashlib.blake2b(json.dumps(public, sort_keys=True).encode(), digest_size=4).hexdigest()


def entity_tag(request: Request, data_versions: str) -> str:
    """The weak entity tag of the answer to ``request`` at ``data_versions`` (weak: equal content, not bytes)."""
    accept = request.headers.get("accept", "")
    target = f"{request.url.path}?{request.url.query}\n{accept}\n{request.app.state.settings_digest}"
    digest = hashlib.blake2b(target.encode(), digest_size=8).hexdigest()
    return f'W/"{data_versions}-{date.today().isoformat()}-{digest}"'


def names_tag(if_none_match: str, tag: str) -> bool:
    """True when the If-None-Match field value lists ``tag``, by the weak comparison RFC 9110 section 13.1.2
    prescribes (the W/ prefixes ignored). Anything that is not a list of entity tags (including ``*``, which
    would need the representation to be looked up) names nothing: the full answer is sent."""
    opaque = tag.removeprefix("W/")[1:-1]
    position, found = 0, False
    while position < len(if_none_match):
        match = _ENTITY_TAG.match(if_none_match, position)
        if match is None:
            return False
        found = found or match.group(1) == opaque
        position = match.end()
    return found


def fresh_for(*contexts: str) -> Callable[..., Coroutine[Any, Any, None]]:
    """The dependency tagging a read route's answer with the versions of ``contexts`` (NotModified when the
    request's If-None-Match names the tag). The versions are read by the request's connection as it opens, in the
    route's thread (core.web.Route), and checked there before the route reads any table."""

    async def fresh(request: Request, pending: Pending) -> None:
        def check(versions: str) -> None:
            tag = entity_tag(request, versions)
            if names_tag(request.headers.get("if-none-match", ""), tag):
                raise NotModified(tag)
            request.scope[SCOPE_KEY] = tag

        pending.versions_wanted = contexts
        pending.check_versions = check

    return fresh


class ConditionalGet:
    """ASGI middleware: a NotModified becomes 304 (no body); a 200 of a tagged route gets ETag and
    Cache-Control (RFC 9110 section 15.4.5: a 304 carries the ETag and Cache-Control the 200 would have)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def tagged_send(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 200 and SCOPE_KEY in scope:
                headers = MutableHeaders(scope=message)
                headers["ETag"] = scope[SCOPE_KEY]
                headers["Cache-Control"] = CACHE_CONTROL
            await send(message)

        try:
            await self.app(scope, receive, tagged_send)
        except NotModified as exc:
            headers = [(b"etag", exc.tag.encode()), (b"cache-control", CACHE_CONTROL.encode())]
            await send({"type": "http.response.start", "status": 304, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
