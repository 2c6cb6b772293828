"""Domain errors raised by the workflows and services; the UI and the API map each to one answer."""

from __future__ import annotations

from workflows.messages import Unmet


class DomainError(Exception):
    code = "domain_error"


class InvalidTransition(DomainError):
    code = "invalid_transition"

    def __init__(self, state: str, event: str, allowed: list[str]):
        super().__init__(f"{event!r} is not allowed from {state!r}")
        self.state, self.event, self.allowed = state, event, allowed


class GuardFailed(DomainError):
    code = "guard_failed"

    def __init__(self, event: str, unmet: list[Unmet]):
        super().__init__(f"{event}: " + "; ".join(u.render() for u in unmet))
        self.event, self.unmet = event, unmet


class Forbidden(DomainError):
    code = "forbidden"

    def __init__(self, message: str = "You may not do this."):
        super().__init__(message)
        self.message = message
