"""Domain errors with stable codes; transports map them to payload errors or HTTP statuses."""

from __future__ import annotations

from enum import Enum


class ErrorCode(str, Enum):
    NOT_FOUND = "NOT_FOUND"
    VALIDATION = "VALIDATION"
    INVALID_TRANSITION = "INVALID_TRANSITION"
    VERSION_CONFLICT = "VERSION_CONFLICT"
    FORBIDDEN = "FORBIDDEN"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    CONFLICT = "CONFLICT"
    POLICY = "POLICY"
    RATE_LIMITED = "RATE_LIMITED"


class DomainError(Exception):
    """An expected failure a caller can act on: a stable code, a message, maybe a field."""

    code: ErrorCode = ErrorCode.VALIDATION

    def __init__(self, message: str, *, field: str | None = None, code: ErrorCode | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        if code is not None:
            self.code = code


class NotFound(DomainError):
    code = ErrorCode.NOT_FOUND


class ValidationFailed(DomainError):
    code = ErrorCode.VALIDATION


class InvalidTransition(DomainError):
    code = ErrorCode.INVALID_TRANSITION


class VersionConflict(DomainError):
    code = ErrorCode.VERSION_CONFLICT


class Forbidden(DomainError):
    code = ErrorCode.FORBIDDEN


class Conflict(DomainError):
    code = ErrorCode.CONFLICT


class PolicyRefused(DomainError):
    """A rule of the organisation (not of the data) refuses the change."""

    code = ErrorCode.POLICY
