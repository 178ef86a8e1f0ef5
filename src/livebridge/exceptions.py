"""The error tree.

Every error a user can cause is an ``AppError``: it carries the HTTP status, a stable code that
clients can switch on, and a human message. The API renders it as
``{"error": {"code": ..., "message": ...}}``; the console shows the message translated.

    AppError
    ├── BadRequest        400
    ├── NotAuthenticated  401
    ├── PermissionDenied  403
    ├── NotFound          404   (also what another tenant's ids get: never a hint that they exist)
    ├── Conflict          409
    ├── InvalidInput      422   (payload validation, with the field)
    └── PayloadTooLarge   413
    ConfigurationError          (start-up only: a setting is invalid)
"""

from __future__ import annotations

from typing import Any, ClassVar


class ConfigurationError(Exception):
    """A setting is invalid; raised at start-up with the setting's name."""


class AppError(Exception):
    status_code: ClassVar[int] = 400
    default_code: ClassVar[str] = "bad_request"

    def __init__(
        self, message: str, *, code: str | None = None, field: str | None = None, details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.field = field
        self.details = details

    def to_body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.field is not None:
            error["field"] = self.field
        if self.details:
            error["details"] = self.details
        return {"error": error}


class BadRequest(AppError):
    status_code = 400
    default_code = "bad_request"


class NotAuthenticated(AppError):
    status_code = 401
    default_code = "not_authenticated"


class PermissionDenied(AppError):
    status_code = 403
    default_code = "permission_denied"


class NotFound(AppError):
    status_code = 404
    default_code = "not_found"


class Conflict(AppError):
    status_code = 409
    default_code = "conflict"


class InvalidInput(AppError):
    status_code = 422
    default_code = "invalid_input"


class PayloadTooLarge(AppError):
    status_code = 413
    default_code = "payload_too_large"


class ServiceUnavailable(AppError):
    status_code = 503
    default_code = "service_unavailable"
