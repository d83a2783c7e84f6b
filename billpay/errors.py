"""One exception hierarchy for the domain.

Services raise these; the JSON API turns them into
``{"code": 409, "status": "Conflict", "message": "...", "errors": {...}}`` and the
pages show ``message`` (Thai) to the person. Nothing else should reach a user.
"""

from __future__ import annotations

from typing import Any


class BillpayError(Exception):
    code = 400
    status = "Bad Request"

    def __init__(self, message: str, errors: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        self.errors = errors or {}

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "status": self.status, "message": self.message}
        if self.errors:
            body["errors"] = self.errors
        return body


class Invalid(BillpayError):
    """Input that breaks a rule; ``errors`` maps field paths to messages."""

    code = 422
    status = "Unprocessable Entity"


class NotFound(BillpayError):
    """Missing, or outside the actor's scope (we never say which)."""

    code = 404
    status = "Not Found"


class Conflict(BillpayError):
    """The object is not in a state that allows the operation."""

    code = 409
    status = "Conflict"


class Forbidden(BillpayError):
    """The actor's role does not allow the operation."""

    code = 403
    status = "Forbidden"


class Unauthorized(BillpayError):
    code = 401
    status = "Unauthorized"
