"""Domain errors: what went wrong in the user's terms, mapped centrally to HTTP by the web shell.

Services raise these; they never build responses. `fields` names the input that caused the
problem so a form or an API client can point at it. Messages are Chinese source strings with
`%(name)s` placeholders: the web shell translates them into the user's locale before filling in
`params`, so every message a user sees is in the translation catalogue.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base of every error a user can cause; `status` is the HTTP status the shell uses."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, fields: dict[str, str] | None = None, **params: Any) -> None:
        super().__init__(message % params if params else message)
        self.message = message
        self.fields = fields or {}
        self.params = params


class Invalid(DomainError):
    """Input is well-formed but not acceptable (a rule of the domain refuses it)."""

    status = 422
    code = "invalid"


class NotFound(DomainError):
    """The object does not exist (or the caller may not know that it does)."""

    status = 404
    code = "not_found"


class Conflict(DomainError):
    """The request clashes with the current state (duplicate, illegal transition)."""

    status = 409
    code = "conflict"


class Unauthorized(DomainError):
    """The caller is not authenticated (no, wrong, expired or revoked credentials)."""

    status = 401
    code = "unauthorized"


class Forbidden(DomainError):
    """The caller is authenticated but may not do this; every one is audited."""

    status = 403
    code = "forbidden"


class TooManyRequests(DomainError):
    """Throttled; `retry_after` seconds tells the client when to try again."""

    status = 429
    code = "too_many_requests"

    def __init__(self, message: str, retry_after: int, **params: Any) -> None:
        super().__init__(message, **params)
        self.retry_after = retry_after
