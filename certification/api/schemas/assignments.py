"""Reviewer assignments: inviting, accepting or declining, and a pilot round's automatic plan."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

from certification.api.schemas.common import Body, Filter, Out, PageQuery, page
from certification.api.schemas.fields import DateInWindow, Documented, Id, Note
from certification.reviews.models import AssignmentStatus


class AssignmentFilters(PageQuery):
    status: AssignmentStatus = Filter()
    application_id: Id = Filter()


class NewAssignment(Body):
    reviewer_id: Id
    due_on: DateInWindow | None = Field(None, description="from today to a year from now")


def _declared(value: bool) -> bool:
    if value is not True:
        raise PydanticCustomError("conflict_not_declared", "declare that you have no conflict of interest")
    return value


class AcceptIn(Body):
    no_conflict: Annotated[bool, AfterValidator(_declared), Documented((("const", True),))] = Field(
        description="must be true: the reviewer declares having no conflict of interest"
    )


class DeclineIn(Body):
    reason: Note
    conflict: bool = Field(False, description="true also declares a conflict of interest with the organisation")


class AssignmentOut(Out):
    id: int
    application_id: int
    organization: str = Field(description="the applicant organisation: what a reviewer weighs before accepting")
    country: str = Field(description="the organisation's country (ISO 3166 alpha-2)")
    standard_code: str = Field(description="the seal applied for, e.g. GEN")
    standard_version: str
    reviewer_id: int
    status: AssignmentStatus
    due_on: date | None
    no_conflict_declared: bool
    conflict_declared: bool
    decline_reason: str
    invited_at: datetime
    responded_at: datetime | None
    submitted_at: datetime | None


AssignmentPage = page(AssignmentOut)


class PlannedAssignment(Out):
    application_id: int
    reviewer_id: int


class UnfilledApplication(Out):
    application_id: int
    missing: int
    code: str
    reason: str


class AutoAssignOut(Out):
    assigned: list[PlannedAssignment]
    unfilled: list[UnfilledApplication]
