"""A person's notifications."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from certification.api.schemas.common import Filter, Out, PageQuery, page


class NotificationFilters(PageQuery):
    unread: bool = Filter(description="true: only the notifications not read yet")


class NotificationOut(Out):
    id: int
    kind: str = Field(description="a stable snake_case name, e.g. assignment_invited, application_certified")
    subject_type: str = Field(description="what it is about: application, assignment, round … (empty if nothing)")
    subject_id: int | None
    title: str = Field(description="in the caller's language")
    body: str = Field(description="in the caller's language")
    created_at: datetime
    read_at: datetime | None


NotificationPage = page(NotificationOut)
