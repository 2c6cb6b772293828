"""Users and their affiliations with organisations."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import ConfigDict, Field, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from certification.accounts.models import AffiliationKind, Role
from certification.api.schemas.common import Body, Out
from certification.api.schemas.fields import CountryCode, DateInWindow, Email, Id, LanguageCode, Name, Password, integer
from certification.reviewers.services import MAX_CAPACITY
from certification.seals.models import Area


def _organization_rule(data: Any) -> PydanticCustomError | None:
    """Applicants belong to one organisation, nobody else does (stated in the document by `_APPLICANT_RULE`)."""
    if not isinstance(data, dict) or not isinstance(data.get("role"), str):
        return None
    organization = data.get("organization_id")
    if data["role"] == Role.APPLICANT.value and organization is None:
        return PydanticCustomError("organization_required", "an applicant belongs to an organisation")
    if data["role"] != Role.APPLICANT.value and organization is not None:
        return PydanticCustomError("organization_refused", "only applicants belong to an organisation")
    return None


def _as_custom(error: dict) -> dict:
    """A reported error as one that can be raised again, same type, place and message."""
    context = {k: v for k, v in (error.get("ctx") or {}).items() if isinstance(v, str | int | float)}
    kind = PydanticCustomError(error["type"], error["msg"].replace("{", "(").replace("}", ")"), context or None)
    return {"type": kind, "loc": error["loc"], "input": error.get("input")}


_APPLICANT_RULE = {
    "if": {"properties": {"role": {"const": Role.APPLICANT.value}}, "required": ["role"]},
    "then": {"properties": {"organization_id": {"type": "integer"}}, "required": ["organization_id"]},
    "else": {"properties": {"organization_id": {"type": "null"}}},
}


class NewUser(Body):
    model_config = ConfigDict(json_schema_extra=_APPLICANT_RULE)

    @model_validator(mode="wrap")
    @classmethod
    def _with_organization_rule(cls, data: Any, handler):
        # Reported together with the field errors, so one answer lists everything to fix.
        rule = _organization_rule(data)
        try:
            user = handler(data)
        except ValidationError as exc:
            if rule is None:
                raise
            errors = [_as_custom(error) for error in exc.errors(include_url=False)]
            errors.append({"type": rule, "loc": ("organization_id",), "input": data.get("organization_id")})
            raise ValidationError.from_exception_data(exc.title, errors) from None
        if rule is not None:
            raise ValidationError.from_exception_data(
                cls.__name__, [{"type": rule, "loc": ("organization_id",), "input": data.get("organization_id")}]
            )
        return user

    email: Email
    name: Name
    role: Role
    password: Password
    organization_id: Id | None = Field(None, description="required for applicants, null for the others")
    areas: list[Area] = Field(default_factory=list, max_length=3)
    countries: list[CountryCode] = Field(default_factory=list, max_length=60)
    languages: list[LanguageCode] = Field(default_factory=list, max_length=60)
    max_active_assignments: integer(ge=0, le=MAX_CAPACITY) = 3
    locale: Literal["es", "en", "fr"] = "es"


class UserOut(Out):
    id: int
    email: str
    name: str
    role: Role
    organization_id: int | None
    locale: str
    areas: list[str]
    countries: list[str]
    languages: list[str]
    max_active_assignments: int
    active: bool


class NewAffiliation(Body):
    organization_id: Id
    kind: AffiliationKind
    since: DateInWindow
    until: DateInWindow | None = Field(None, description="not before `since`")


class AffiliationOut(Out):
    id: int
    user_id: int
    organization_id: int
    kind: AffiliationKind
    since: date
    until: date | None
