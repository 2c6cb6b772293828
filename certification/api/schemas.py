"""The API's request and response bodies as pydantic models: they parse every request and shape every answer,
and the OpenAPI document is generated from these same classes (so it cannot drift from what the code does).

Shapes only: business rules (scales, states, who may do what) stay in the services, which answer with the
domain errors that `certification.api.errors` maps to HTTP.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    create_model,
    model_validator,
)
from pydantic.json_schema import SkipJsonSchema
from pydantic_core import PydanticCustomError
from spectree.model_adapter.pydantic_adapter import BaseFile

from certification.accounts.models import AffiliationKind, Role
from certification.accounts.passwords import MAX_LENGTH as MAX_PASSWORD
from certification.accounts.passwords import MIN_LENGTH as MIN_PASSWORD
from certification.reviewers.services import MAX_CAPACITY
from certification.reviews.models import AssignmentStatus
from certification.seals.models import Area
from certification.validation import (
    CONTROL_CHARACTERS,
    DATE_MAX,
    DATE_MIN,
    LINE_CONTROL_CHARACTERS,
    MAX_ID,
    date_in_window,
    has_control_characters,
)
from workflows.application import State

# --- reusable field types: each rule is checked by pydantic AND stated in the document ----------------------
#
# pydantic parses every request with these types and the OpenAPI document is generated from them, so what
# the server refuses is exactly what the document says it refuses (schemathesis checks both directions).

# What str.strip() removes once control characters are refused: a text of only these is blank.
BLANKS = r" \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"


def _allowed(controls: re.Pattern) -> str:
    """The character class of everything `controls` (a `[...]` class) does not match."""
    return "[^" + controls.pattern[1:-1] + "]"


def _text_pattern(controls: re.Pattern, *, single_line: bool, required: bool) -> str:
    # A lookahead rather than a "[^blanks]" class: generators (schemathesis) satisfy it far more reliably.
    allowed = _allowed(controls)
    if not required:
        return f"^{allowed}*$"
    blanks = BLANKS if single_line else BLANKS + r"\t\n\r"
    return f"^(?![{blanks}]*$){allowed}*$"


@dataclass(frozen=True)
class Documented:
    """JSON Schema keywords a validator enforces in code (so its error can say what is wrong)."""

    keywords: tuple[tuple[str, Any], ...]

    def __get_pydantic_json_schema__(self, core_schema, handler):
        schema = handler(core_schema)
        schema.update(dict(self.keywords))
        return schema


def _checked_text(*, single_line: bool, required: bool):
    def check(value: str) -> str:
        if has_control_characters(value, single_line=single_line):
            raise PydanticCustomError("control_characters", "control characters are not allowed")
        if required and not value.strip():
            raise PydanticCustomError("blank", "this field cannot be blank")
        return value

    return check


def text(max_length: int, *, single_line: bool = False, required: bool = False, min_length: int = 0):
    """A string of at most `max_length` characters without control characters (NUL, ESC, …); a single line
    also refuses tabs and line breaks; a required one must hold more than white space."""
    controls = LINE_CONTROL_CHARACTERS if single_line else CONTROL_CHARACTERS
    pattern = _text_pattern(controls, single_line=single_line, required=required)
    return Annotated[
        str,
        StringConstraints(min_length=min_length or (1 if required else None), max_length=max_length),
        AfterValidator(_checked_text(single_line=single_line, required=required)),
        Documented((("pattern", pattern),)),
    ]


def _integral(value):
    # JSON Schema counts 3.0 as an integer; strict parsing alone would refuse it.
    return int(value) if isinstance(value, float) and value.is_integer() else value


def integer(**constraints):
    """An integer in JSON terms (3.0 included); constraints before the validator so the schema shows them."""
    return Annotated[int, Field(**constraints), BeforeValidator(_integral)]


# A calendar date written YYYY-MM-DD inside [DATE_MIN, DATE_MAX] (2000-01-01 … 2099-12-31), leap days included.
DAY = (r"(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])"  # 31-day months
       r"|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)"  # 30-day months
       r"|02-(?:0[1-9]|1[0-9]|2[0-8]))")  # fmt: skip
LEAP_YEAR = r"20(?:0[048]|[2468][048]|[13579][26])"  # 2000 included (divisible by 400)
DATE_PATTERN = rf"^(?:20[0-9]{{2}}-{DAY}|{LEAP_YEAR}-02-29)$"
_DATE_TEXT = re.compile(DATE_PATTERN)
if (date(2000, 1, 1), date(2099, 12, 31)) != (DATE_MIN, DATE_MAX):
    raise RuntimeError("DATE_PATTERN spells the window 2000-01-01 … 2099-12-31: change both together")


def _date_text(value):
    # Only the plain YYYY-MM-DD form: no time, no sign, no year 0001 or 9999.
    if isinstance(value, str) and not _DATE_TEXT.fullmatch(value):
        raise PydanticCustomError("date_window", "give a date from {min} to {max} as YYYY-MM-DD",
                                  {"min": DATE_MIN.isoformat(), "max": DATE_MAX.isoformat()})  # fmt: skip
    return date.fromisoformat(value) if isinstance(value, str) else value


def _date_window(value: date) -> date:
    if not date_in_window(value):
        raise PydanticCustomError("date_window", "give a date from {min} to {max} as YYYY-MM-DD",
                                  {"min": DATE_MIN.isoformat(), "max": DATE_MAX.isoformat()})  # fmt: skip
    return value


Int = integer()
Id = integer(ge=1, le=MAX_ID)  # ids are 32-bit database integers: larger numbers can only be unknown ids
DateInWindow = Annotated[
    date,
    BeforeValidator(_date_text),
    AfterValidator(_date_window),
    Documented((("pattern", DATE_PATTERN),
                ("description", f"YYYY-MM-DD from {DATE_MIN.isoformat()} to {DATE_MAX.isoformat()}"))),
]  # fmt: skip
MAX_TEXT = 5000  # the longest explanation, comment, reason or note the services keep
MAX_NAME = 200  # names of people, organisations and rounds (their columns)
Text = text(MAX_TEXT)
Note = text(MAX_TEXT, required=True)  # an explanation, comment, reason or justification that must be given
Line = text(500, single_line=True)
Name = text(MAX_NAME, single_line=True, required=True)
INDICATOR_CODE = r"[A-Za-z0-9._-]{1,30}"  # indicator codes of every standard (their column holds 30)
Code = Annotated[str, StringConstraints(max_length=30, pattern=rf"^{INDICATOR_CODE}$")]
CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{2}$")]
LanguageCode = Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{2,3}$")]
# What the services accept once stripped: one @, a dot after it, no white space (nor control characters).
_IN_EMAIL = r"[^@\x00-\x20\x7f]"
EMAIL_PATTERN = rf"^(?!.*[{BLANKS}]){_IN_EMAIL}+@{_IN_EMAIL}+\.{_IN_EMAIL}+$"


def _email(value: str) -> str:
    if not re.fullmatch(EMAIL_PATTERN, value):
        raise PydanticCustomError("email", "give a valid e-mail address")
    return value


Email = Annotated[
    str, StringConstraints(max_length=254), AfterValidator(_email), Documented((("pattern", EMAIL_PATTERN),))
]
Password = text(MAX_PASSWORD, single_line=True, min_length=MIN_PASSWORD)
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
    email: text(254, single_line=True)
    password: text(MAX_PASSWORD, single_line=True)


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


class NewAffiliation(Body):
    organization_id: Id
    kind: AffiliationKind
    since: DateInWindow
    until: DateInWindow | None = Field(None, description="not before `since`")


class NewOrganization(Body):
    name: Name
    country: CountryCode = Field(description="ISO 3166-1 alpha-2, e.g. PE")
    legal_form: text(120, single_line=True) = ""
    network: text(120, single_line=True) = ""


class NewApplication(Body):
    standard_id: Id


class SelfAssessmentIn(Body):
    rating: Int | None = Field(description="on the indicator's scale; null = N/A where the indicator allows it")
    explanation: Note


class EventIn(Body):
    event: text(40, single_line=True, required=True) = Field(
        description="a lifecycle event, e.g. submit, start_review, certify"
    )
    reason: Text = ""
    indicators: list[Code] = Field(default_factory=list, max_length=500, description="for request_changes")


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


class ScoreIn(Body):
    score: Int | None = Field(description="on the indicator's scale; null = N/A where the indicator allows it")
    comment: Note
    evidence_ids: list[Id] = Field(default_factory=list, max_length=500)


class ModerationIn(Body):
    score: float = Field(allow_inf_nan=False, description="on the indicator's scale")
    justification: Note


MAX_ROUND_CAPACITY = 10000


class NewPilotRound(Body):
    name: Name
    country: CountryCode = Field(description="ISO 3166-1 alpha-2, e.g. PE")
    area: Area
    opens_on: DateInWindow
    closes_on: DateInWindow = Field(description="not before `opens_on`")
    capacity: integer(ge=1, le=MAX_ROUND_CAPACITY, description="how many MFIs the funds allow")
    budget_note: Text = ""


class RoundStatusIn(Body):
    status: Literal["open", "in_progress", "closed"]


class EnrolmentIn(Body):
    application_id: Id


# Comma-separated indicator codes, spaces and empty items allowed around them, at least one code.
INDICATOR_LIST = r"^[A-Za-z0-9._, -]*[A-Za-z0-9._-][A-Za-z0-9._, -]*$"


class EvidenceUpload(BaseModel):
    """multipart/form-data"""

    file: BaseFile
    indicators: Annotated[str, StringConstraints(max_length=500, pattern=INDICATOR_LIST)] = Field(
        description="comma-separated indicator codes, e.g. G1.1,G2.3"
    )
    description: text(2000) = ""


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
