"""Error answers: {"error": {"code", "message", "details"}}, one model per HTTP status."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model
from pydantic.json_schema import SkipJsonSchema

from certification.api.schemas.common import Out


def _error(status: int, codes: tuple[str, ...], details: Any = dict[str, Any], doc: str = "") -> type[BaseModel]:
    detail = create_model(
        f"Error{status}Detail",
        __base__=Out,
        code=(Literal[codes], ...),  # type: ignore[valid-type]
        message=(str, Field(description="a human sentence, in the caller's language")),
        details=(details, ...),
    )
    return create_model(f"Error{status}", __base__=Out, __doc__=doc or None, error=(detail, ...))


class FieldErrors(Out):
    fields: dict[str, list[str]] = Field(description="{field: [messages]}")


class TransitionDetails(Out):
    """invalid_transition: `state` and `allowed_events`; guard_failed: `unmet`; other codes: empty."""

    state: str | SkipJsonSchema[None] = None
    allowed_events: list[str] | SkipJsonSchema[None] = None
    unmet: list[str] | SkipJsonSchema[None] = None
    model_config = ConfigDict(extra="allow")


CONFLICT_CODES = (
    "invalid_transition", "guard_failed", "conflict_of_interest", "reviewer_unavailable", "duplicate",
    "capacity_full", "not_editable", "concurrent_update",
)  # fmt: skip


ERRORS: dict[int, type[BaseModel]] = {
    400: _error(400, ("bad_request",), dict[str, Any], "Malformed JSON or a value of the wrong type."),
    401: _error(401, ("unauthorized",), dict[str, Any], "No, bad, expired or revoked token (or bad credentials)."),
    403: _error(403, ("forbidden",), dict[str, Any], "You may see the object but not do this."),
    404: _error(404, ("not_found",), dict[str, Any], "Missing, or not visible to you: the same answer either way."),
    409: _error(409, CONFLICT_CODES, TransitionDetails, "The request is valid but the current state forbids it."),
    413: _error(413, ("too_large",), dict[str, Any], "The file or the body is over the limit."),
    415: _error(415, ("unsupported_type",), dict[str, Any], "The file's content is not an allowed type."),
    422: _error(422, ("validation_error",), FieldErrors, "Values out of range, missing fields, unknown codes."),
    429: _error(429, ("rate_limited",), dict[str, Any], "Too many attempts; try again later."),
}
