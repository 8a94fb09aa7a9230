"""One error tree for the whole service; the app maps each class to one HTTP status."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class GazError(Exception):
    """Base of every error the service raises on purpose: ``extra`` adds fields to the error body, ``headers``
    are sent with the answer (``WWW-Authenticate`` on 401, ``Retry-After`` on 429)."""

    status_code = 500
    code = "internal_error"

    def __init__(
        self, detail: str, *, extra: dict[str, Any] | None = None, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra or {}
        self.headers = dict(headers or {})

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled whole (detail, extra fields, headers): an import worker's error reaches the server intact."""
        return (_restore, (type(self), self.detail, self.extra, self.headers))


def _restore(cls: type[GazError], detail: str, extra: dict[str, Any], headers: dict[str, str]) -> GazError:
    return cls(detail, extra=extra, headers=headers)


class InvalidInput(GazError):
    """The caller sent a value the service refuses (bad coordinate, CRS, code, file...)."""

    status_code = 422
    code = "invalid_input"


class NotFound(GazError):
    """The named object does not exist (at the date asked)."""

    status_code = 404
    code = "not_found"


class Conflict(GazError):
    """The write collides with the current state (duplicate, stale version, overlapping period)."""

    status_code = 409
    code = "conflict"


class Unauthorized(GazError):
    """No valid credentials were given; the answer names the scheme to use (RFC 9110 ``WWW-Authenticate``)."""

    status_code = 401
    code = "unauthorized"

    def __init__(self, detail: str, *, extra: dict[str, Any] | None = None) -> None:
        super().__init__(detail, extra=extra, headers={"WWW-Authenticate": "Bearer"})


class Forbidden(GazError):
    """The credentials are valid but the role may not do this."""

    status_code = 403
    code = "forbidden"


class TooLarge(GazError):
    """The request body or upload exceeds the configured limit."""

    status_code = 413
    code = "too_large"


class ServiceUnavailable(GazError):
    """The database cannot be reached."""

    status_code = 503
    code = "unavailable"


class TooManyRequests(GazError):
    """The caller failed authentication too often; retry after ``retry_after_s`` seconds (body field and the
    ``Retry-After`` header)."""

    status_code = 429
    code = "too_many_requests"

    def __init__(self, detail: str, *, retry_after_s: int) -> None:
        super().__init__(detail, extra={"retry_after_s": retry_after_s}, headers={"Retry-After": str(retry_after_s)})
