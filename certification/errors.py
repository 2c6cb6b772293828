"""Domain errors. Views map each one to a flash message, the API to its JSON error — in one place each."""

from __future__ import annotations

from workflows.errors import DomainError, Forbidden, GuardFailed, InvalidTransition

__all__ = [
    "CapacityFull", "ConcurrentUpdate", "ConflictOfInterest", "DomainError", "Duplicate", "Forbidden",
    "GuardFailed", "InvalidTransition", "NotEditable", "NotFound", "ReviewerUnavailable", "StateConflict",
    "TooLarge", "UnsupportedType", "ValidationFailed",
]  # fmt: skip


class NotFound(DomainError):
    """Missing, or not visible to this person: the same answer either way."""

    code = "not_found"


class ValidationFailed(DomainError):
    code = "validation_error"

    def __init__(self, fields: dict[str, list[str]]):
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in fields.items()))
        self.fields = fields


class StateConflict(DomainError):
    """The request is valid but the current state forbids it (HTTP 409)."""

    code = "conflict"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class NotEditable(StateConflict):
    code = "not_editable"


class ConcurrentUpdate(StateConflict):
    code = "concurrent_update"


class Duplicate(StateConflict):
    code = "duplicate"


class CapacityFull(StateConflict):
    code = "capacity_full"


class ConflictOfInterest(StateConflict):
    code = "conflict_of_interest"


class ReviewerUnavailable(StateConflict):
    code = "reviewer_unavailable"


class TooLarge(DomainError):
    code = "too_large"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class UnsupportedType(DomainError):
    code = "unsupported_type"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message
