"""API keys and roles. Keys are random tokens; only their SHA-256 is stored."""

from __future__ import annotations

import hashlib
import math
import secrets
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from core import audit
from core.errors import Conflict, Forbidden, InvalidInput, NotFound, TooManyRequests, Unauthorized
from core.models import ROLES

KEY_PREFIX = "gaz_"
# One statement: find the key's holder and, at most once a minute per user, note when the key was last used (a busy
# client does not write the row on every request).
AUTHENTICATE = text(
    """
    WITH holder AS (
        SELECT id, name, role, last_used_at FROM api_user WHERE key_hash = :key_hash AND revoked_at IS NULL
    ), touched AS (
        UPDATE api_user SET last_used_at = now() FROM holder
        WHERE api_user.id = holder.id
          AND (holder.last_used_at IS NULL OR holder.last_used_at < now() - interval '1 minute')
    )
    SELECT name, role FROM holder
    """
)


@dataclass(frozen=True)
class Principal:
    """Who is calling: a named key holder with a role, or the anonymous public."""

    name: str
    role: str

    @property
    def is_public(self) -> bool:
        """True for a request without a key."""
        return self.role == "public"


PUBLIC = Principal(name="anonymous", role="public")


def hash_key(key: str) -> str:
    """The stored form of a key."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def create_user(conn: Connection, name: str, role: str, *, actor: str = "cli") -> str:
    """Create a key holder and return the key (shown once, never stored in clear)."""
    if role not in ROLES:
        raise InvalidInput(f"role {role!r} is not one of {', '.join(ROLES)}")
    if not name.strip():
        raise InvalidInput("user name must not be blank")
    exists = conn.execute(text("SELECT 1 FROM api_user WHERE name = :name"), {"name": name}).first()
    if exists:
        raise Conflict(f"user {name!r} already exists")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    conn.execute(
        text("INSERT INTO api_user (name, role, key_hash) VALUES (:name, :role, :key_hash)"),
        {"name": name, "role": role, "key_hash": hash_key(key)},
    )
    audit.record(conn, actor=actor, action="create", object_type="api_user", object_id=name, after={"role": role})
    return key


def revoke_user(conn: Connection, name: str, *, actor: str = "cli") -> None:
    """Revoke every key of a user."""
    result = conn.execute(
        text("UPDATE api_user SET revoked_at = now() WHERE name = :name AND revoked_at IS NULL"), {"name": name}
    )
    if result.rowcount == 0:
        raise NotFound(f"no active user {name!r}")
    audit.record(conn, actor=actor, action="revoke", object_type="api_user", object_id=name)


def rotate_key(conn: Connection, name: str, *, actor: str = "cli") -> str:
    """Give an active user a new key; the old one stops working at once. Returns the new key."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    result = conn.execute(
        text("UPDATE api_user SET key_hash = :key_hash WHERE name = :name AND revoked_at IS NULL"),
        {"name": name, "key_hash": hash_key(key)},
    )
    if result.rowcount == 0:
        raise NotFound(f"no active user {name!r}")
    audit.record(conn, actor=actor, action="rotate_key", object_type="api_user", object_id=name)
    return key


def list_users(conn: Connection) -> list[dict[str, Any]]:
    """Every key holder by name: role, created, last used (to the minute; ``None`` if never), revoked — never the
    key or its hash."""
    rows = conn.execute(
        text('SELECT name, role, created_at, last_used_at, revoked_at FROM api_user ORDER BY name COLLATE "C"')
    )
    return [dict(row._mapping) for row in rows]


def authenticate(conn: Connection, key: str | None) -> Principal:
    """The principal holding ``key`` (its last use noted, see AUTHENTICATE); the public when no key is given; 401
    for an unknown or revoked key."""
    if not key:
        return PUBLIC
    row = conn.execute(AUTHENTICATE, {"key_hash": hash_key(key)}).first()
    if row is None:
        raise Unauthorized("API key is unknown or revoked")
    return Principal(name=row.name, role=row.role)


def authorize(principal: Principal, roles: tuple[str, ...]) -> None:
    """Refuse (401 anonymous, 403 wrong role) unless the principal holds one of ``roles``; admin may do all."""
    if principal.is_public:
        raise Unauthorized("this operation needs an API key (header X-API-Key or Authorization: Bearer)")
    if principal.role != "admin" and principal.role not in roles:
        raise Forbidden(f"role {principal.role!r} may not do this; needs one of: {', '.join(roles)}")


class FailedAuthLimiter:
    """Counts failed authentications per client; refuses a client with too many in the last minute."""

    def __init__(self, per_minute: int, window_s: float = 60.0) -> None:
        self.per_minute = per_minute
        self.window_s = window_s
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _recent(self, client: str, now: float) -> deque[float]:
        failures = self._failures[client]
        while failures and now - failures[0] > self.window_s:
            failures.popleft()
        return failures

    def check(self, client: str) -> None:
        """Raise TooManyRequests while the client is over its limit, saying when the oldest failure of the window
        expires (the earliest moment a retry can pass)."""
        with self._lock:
            now = time.monotonic()
            failures = self._recent(client, now)
            if len(failures) >= self.per_minute:
                wait_s = max(1, math.ceil(self.window_s - (now - failures[0])))
                raise TooManyRequests(
                    f"too many failed authentications from {client}; retry in {wait_s} s", retry_after_s=wait_s
                )

    def failed(self, client: str) -> None:
        """Record one failed authentication."""
        with self._lock:
            now = time.monotonic()
            self._recent(client, now).append(now)
