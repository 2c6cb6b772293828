"""The API's request and response bodies as pydantic models: they parse every request and shape every answer,
and the OpenAPI document is generated from these same classes (so it cannot drift from what the code does).

Shapes only: business rules (scales, states, who may do what) stay in the services, which answer with the
domain errors that `certification.api.errors` maps to HTTP.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, create_model
from pydantic.json_schema import SkipJsonSchema
from spectree.model_adapter.pydantic_adapter import BaseFile

from certification.accounts.models import AffiliationKind, Role
from certification.reviews.models import AssignmentStatus
from certification.reviews.services import MAX_CAPACITY
from certification.seals.models import Area
from workflows.application import State

INT32 = 2**31 - 1  # ids are PostgreSQL integers: larger numbers can only be unknown ids
NO_NUL = r"^[^\x00]*$"  # PostgreSQL text cannot hold NUL


def _integral(value):
    # JSON Schema counts 3.0 as an integer; strict parsing alone would refuse it.
    return int(value) if isinstance(value, float) and value.is_integer() else value


def integer(**constraints):
    """An integer in JSON terms (3.0 included); constraints before the validator so the schema shows them."""
    return Annotated[int, Field(**constraints), BeforeValidator(_integral)]


Int = integer()
Id = integer(ge=1, le=INT32)
Text = Annotated[str, StringConstraints(max_length=10000, pattern=NO_NUL)]
Line = Annotated[str, StringConstraints(max_length=500, pattern=NO_NUL)]
Code = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=NO_NUL)]
CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{2}$")]
LanguageCode = Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{2,3}$")]
MAX_PER_PAGE = 100


class Body(BaseModel):
    """A JSON request body: parsed strictly (no "5" for 5), unknown members ignored."""

    model_config = ConfigDict(strict=True, extra="ignore")


class Out(BaseModel):
    """A JSON answer."""

    model_config = ConfigDict(from_attributes=True)


# --- queries -----------------------------------------------------------------------------------------------


def _no_default(schema: dict) -> None:
    schema.pop("default", None)  # "no filter" is the absence of the parameter, not a null value


def Filter(**kwargs):  # noqa: N802 - reads like pydantic's Field
    """An optional query filter: absent means no filter."""
    return Field(None, json_schema_extra=_no_default, **kwargs)


class PageQuery(BaseModel):
    page: int = Field(1, ge=1, le=1_000_000, description="1-based page number")
    per_page: int = Field(25, ge=1, le=MAX_PER_PAGE, description=f"items per page, at most {MAX_PER_PAGE}")


# Filters default to None (no filter) without saying so in the document: a query parameter is never null.
class ApplicationFilters(PageQuery):
    state: State = Filter()
    area: Area = Filter(description="the seal's area")


class AssignmentFilters(PageQuery):
    status: AssignmentStatus = Filter()
    application_id: Id = Filter()


class RegistryFilters(PageQuery):
    area: Area = Filter(description="the seal's area")
    country: CountryCode = Filter(description="ISO 3166-1 alpha-2")


# --- requests ----------------------------------------------------------------------------------------------


class TokenRequest(Body):
    email: Line
    password: Line


class NewUser(Body):
    email: Line
    name: Line
    role: Role
    password: Line
    organization_id: Id | None = None
    areas: list[Area] = Field(default_factory=list, max_length=3)
    countries: list[CountryCode] = Field(default_factory=list, max_length=60)
    languages: list[LanguageCode] = Field(default_factory=list, max_length=60)
    max_active_assignments: integer(ge=0, le=MAX_CAPACITY) = 3
    locale: Literal["es", "en", "fr"] = "es"


class NewAffiliation(Body):
    organization_id: Id
    kind: AffiliationKind
    since: date
    until: date | None = None


class NewOrganization(Body):
    name: Line
    country: Line = Field(description="ISO 3166-1 alpha-2, e.g. PE")
    legal_form: Line = ""
    network: Line = ""


class NewApplication(Body):
    standard_id: Id


class SelfAssessmentIn(Body):
    rating: Int | None = Field(description="on the indicator's scale; null = N/A where the indicator allows it")
    explanation: Text


class EventIn(Body):
    event: Line = Field(description="a lifecycle event, e.g. submit, start_review, certify")
    reason: Text = ""
    indicators: list[Code] = Field(default_factory=list, max_length=500, description="for request_changes")


class NewAssignment(Body):
    reviewer_id: Id
    due_on: date | None = None


class AcceptIn(Body):
    no_conflict: bool = Field(description="must be true: the reviewer declares having no conflict of interest")


class DeclineIn(Body):
    reason: Text
    conflict: bool = Field(False, description="true also declares a conflict of interest with the organisation")


class ScoreIn(Body):
    score: Int | None = Field(description="on the indicator's scale; null = N/A where the indicator allows it")
    comment: Text
    evidence_ids: list[Id] = Field(default_factory=list, max_length=500)


class ModerationIn(Body):
    score: float = Field(allow_inf_nan=False)
    justification: Text


class NewPilotRound(Body):
    name: Line
    country: Line = Field(description="ISO 3166-1 alpha-2, e.g. PE")
    area: Area
    opens_on: date
    closes_on: date
    capacity: integer(ge=-INT32, le=INT32, description="how many MFIs the funds allow")
    budget_note: Text = ""


class RoundStatusIn(Body):
    status: Literal["open", "in_progress", "closed"]


class EnrolmentIn(Body):
    application_id: Id


class EvidenceUpload(BaseModel):
    """multipart/form-data"""

    file: BaseFile
    indicators: Line = Field(description="comma-separated indicator codes, e.g. G1.1,G2.3")
    description: Text = ""


# --- answers -----------------------------------------------------------------------------------------------


class TokenOut(Out):
    token: str = Field(description="shown once; send it as `Authorization: Bearer <token>`")
    expires_at: datetime


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


class AffiliationOut(Out):
    id: int
    user_id: int
    organization_id: int
    kind: AffiliationKind
    since: date
    until: date | None


class OrganizationOut(Out):
    id: int
    name: str
    country: str
    legal_form: str
    network: str


class StandardSummary(Out):
    id: int
    code: str
    area: Area
    version: str
    status: str
    title: str


class LevelOut(Out):
    code: str
    minimum: float
    name: str


class StandardSettings(Out):
    pass_threshold: float
    dimension_minimum: float
    essential_minimum: float
    levels: list[LevelOut]
    validity_months: int
    min_reviewers: int
    disagreement_gap: float


class IndicatorOut(Out):
    code: str
    weight: float
    essential: bool
    scale_min: int
    scale_max: int
    allows_na: bool
    text: str


class DimensionOut(Out):
    code: str
    weight: float
    title: str
    indicators: list[IndicatorOut]


class StandardOut(StandardSummary):
    description: str
    settings: StandardSettings
    dimensions: list[DimensionOut]


class CertificateRef(Out):
    number: str
    code: str = Field(description="public verification code: GET /api/v1/certificates/{code}")
    status: str


class ApplicationSummary(Out):
    id: int
    reference: str | None
    state: State
    organization_id: int
    standard_id: int
    pilot_round_id: int | None
    created_at: datetime
    updated_at: datetime


class ApplicationOut(ApplicationSummary):
    allowed_events: list[str] = Field(description="the events this caller may fire now (guards may still fail)")
    flagged_indicators: list[str]
    decided_at: datetime | None
    previous_certificate_id: int | None
    certificate: CertificateRef | None


class SelfAssessmentOut(Out):
    indicator: str
    rating: int | None
    explanation: str
    updated_at: datetime


class EvidenceOut(Out):
    id: int
    filename: str
    size: int
    sha256: str
    content_type: str
    indicators: list[str]
    description: str
    uploaded_at: datetime
    uploaded_by_id: int


class HistoryOut(Out):
    event: str
    from_state: State | None
    to_state: State
    actor_id: int | None
    reason: str
    at: datetime
    hash: str = Field(description="SHA-256 (hex) of this row's canonical content, prev_hash included")
    prev_hash: str = Field(description="hash of the previous row of this application's history; empty for the first")


class DimensionScore(Out):
    code: str
    score: float | None


class IndicatorScore(Out):
    code: str
    consensus: float | None
    disagreement: bool
    moderated: bool


class SelfAssessmentScore(Out):
    overall: float | None


class ScoreOut(Out):
    overall: float | None
    level: str | None
    eligible: bool
    dimensions: list[DimensionScore]
    indicators: list[IndicatorScore]
    essential_failures: list[str]
    self_assessment: SelfAssessmentScore
    computed_at: datetime


class AssignmentOut(Out):
    id: int
    application_id: int
    reviewer_id: int
    status: AssignmentStatus
    due_on: date | None
    no_conflict_declared: bool
    conflict_declared: bool
    decline_reason: str
    invited_at: datetime
    responded_at: datetime | None
    submitted_at: datetime | None


class ReviewScoreOut(Out):
    indicator: str
    score: int | None
    comment: str
    evidence_ids: list[int]
    updated_at: datetime


class ModerationOut(Out):
    indicator: str
    score: float
    justification: str
    moderator_id: int
    at: datetime


class PilotRoundOut(Out):
    id: int
    name: str
    country: str
    area: Area
    opens_on: date
    closes_on: date
    capacity: int
    budget_note: str
    status: str
    counts_by_state: dict[str, int] = Field(description="enrolled applications by state")


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


class RegistryEntry(Out):
    code: str = Field(description="public verification code")
    number: str
    organization: str
    country: str
    area: Area
    level: str
    issued_on: date
    expires_on: date


class CertificateOut(Out):
    number: str
    status: str
    organization: str
    area: Area
    level: str
    issued_on: date
    expires_on: date
    decision_hash: str | None = Field(description="hash of the application history row that issued it")
    pdf_url: str = Field(description="the certificate as PDF: GET /api/v1/certificates/{code}/pdf (absolute)")


class RoundOutcomes(Out):
    by_state: dict[str, int] = Field(description="applications by state")
    by_level: dict[str, int] = Field(
        description="scored applications by the level of their latest score (`none`: no level reached)"
    )
    by_country: dict[str, dict[str, int]] | None = Field(
        None, description="applications by country, then state: only when the round spans several countries"
    )


class IndicatorSummary(Out):
    code: str
    applications: int = Field(description="applications with a consensus on it")
    mean_self: float | None
    mean_consensus: float | None
    mean_gap: float | None = Field(description="mean of self-rating − consensus")
    disagreements: int
    alpha: float | None = Field(description="Krippendorff's alpha (ordinal); null where undefined")
    flagged: bool = Field(description="alpha below 0.667")
    comments: int = Field(description="consultation comments raised on this indicator in any version of the seal")


class RoundSummaryOut(Out):
    round_id: int
    status: str
    closed_at: datetime | None
    outcomes: RoundOutcomes
    indicators: list[IndicatorSummary]


class OpenApiDocument(BaseModel):
    """This document."""

    model_config = ConfigDict(extra="allow")
    openapi: str


def _page(item: type[BaseModel]) -> type[BaseModel]:
    return create_model(
        f"{item.__name__}Page",
        __base__=Out,
        items=(list[item], ...),
        page=(int, ...),
        per_page=(int, ...),
        total=(int, Field(description="items over all pages")),
    )


ApplicationPage = _page(ApplicationSummary)
AssignmentPage = _page(AssignmentOut)
EvidencePage = _page(EvidenceOut)
HistoryPage = _page(HistoryOut)
StandardPage = _page(StandardSummary)
RegistryPage = _page(RegistryEntry)


# --- errors: {"error": {"code", "message", "details"}} --------------------------------------------------------


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


# --- notifications --------------------------------------------------------------------------------------------


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


NotificationPage = _page(NotificationOut)
