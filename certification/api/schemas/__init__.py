"""The API's request and response bodies as pydantic models: they parse every request and shape every answer,
and the OpenAPI document is generated from these same classes (so it cannot drift from what the code does).

Shapes only: business rules (scales, states, who may do what) stay in the services, which answer with the
domain errors that `certification.api.errors` maps to HTTP. One module per resource, on top of `fields`
(the reusable field types), `common` (bases, list queries, page envelopes) and `errors` (error answers); every
public name is re-exported here, so `from certification.api import schemas as s` then `s.EventIn` reads them all.
"""

from __future__ import annotations

from certification.api.schemas.applications import (
    ApplicationFilters,
    ApplicationOut,
    ApplicationPage,
    ApplicationSummary,
    EventIn,
    HistoryOut,
    HistoryPage,
    NewApplication,
    SelfAssessmentIn,
    SelfAssessmentOut,
)
from certification.api.schemas.assignments import (
    AcceptIn,
    AssignmentFilters,
    AssignmentOut,
    AssignmentPage,
    AutoAssignOut,
    DeclineIn,
    NewAssignment,
    PlannedAssignment,
    UnfilledApplication,
)
from certification.api.schemas.certificates import (
    CertificateOut,
    CertificateRef,
    RegistryEntry,
    RegistryFilters,
    RegistryPage,
)
from certification.api.schemas.common import MAX_PER_PAGE, Body, Filter, OpenApiDocument, Out, PageQuery, page
from certification.api.schemas.errors import CONFLICT_CODES, ERRORS, FieldErrors, TransitionDetails
from certification.api.schemas.evidence import INDICATOR_LIST, EvidenceOut, EvidencePage, EvidenceUpload
from certification.api.schemas.fields import (
    BLANKS,
    DATE_PATTERN,
    DAY,
    EMAIL_PATTERN,
    INDICATOR_CODE,
    LEAP_YEAR,
    MAX_NAME,
    MAX_TEXT,
    Code,
    CountryCode,
    DateInWindow,
    Documented,
    Email,
    Id,
    Int,
    LanguageCode,
    Line,
    Name,
    Note,
    Password,
    Text,
    integer,
    text,
)
from certification.api.schemas.notifications import NotificationFilters, NotificationOut, NotificationPage
from certification.api.schemas.offline import (
    IdempotencyKey,
    OfflineAssignment,
    OfflineAssignmentList,
    OfflineAssignmentSummary,
    OfflineChangeIn,
    OfflineChangeOut,
    OfflineDimension,
    OfflineEvidence,
    OfflineIndicator,
    RubricLevel,
    ScoreState,
    ScoringRules,
    SelfRating,
)
from certification.api.schemas.organizations import NewOrganization, OrganizationOut
from certification.api.schemas.people import AffiliationOut, NewAffiliation, NewUser, UserOut
from certification.api.schemas.pilots import (
    MAX_ROUND_CAPACITY,
    EnrolmentIn,
    IndicatorSummary,
    NewPilotRound,
    PilotRoundOut,
    RoundOutcomes,
    RoundStatusIn,
    RoundSummaryOut,
)
from certification.api.schemas.scoring import (
    DimensionScore,
    IndicatorScore,
    ModerationIn,
    ModerationOut,
    ReviewScoreOut,
    ScoreIn,
    ScoreOut,
    SelfAssessmentScore,
)
from certification.api.schemas.standards import (
    DimensionOut,
    IndicatorOut,
    LevelOut,
    StandardOut,
    StandardPage,
    StandardSettings,
    StandardSummary,
)
from certification.api.schemas.tokens import TokenOut, TokenRequest

__all__ = [
    "BLANKS", "Documented", "text", "integer", "DAY", "LEAP_YEAR", "DATE_PATTERN", "Int", "Id", "DateInWindow",
    "MAX_TEXT", "MAX_NAME", "Text", "Note", "Line", "Name", "INDICATOR_CODE", "Code", "CountryCode", "LanguageCode",
    "EMAIL_PATTERN", "Email", "Password", "MAX_PER_PAGE", "Body", "Out", "Filter", "PageQuery", "page",
    "OpenApiDocument", "FieldErrors", "TransitionDetails", "CONFLICT_CODES", "ERRORS", "TokenRequest", "TokenOut",
    "NewUser", "UserOut", "NewAffiliation", "AffiliationOut", "NewOrganization", "OrganizationOut",
    "StandardSummary", "LevelOut", "StandardSettings", "IndicatorOut", "DimensionOut", "StandardOut",
    "StandardPage", "ApplicationFilters", "NewApplication", "SelfAssessmentIn", "EventIn", "ApplicationSummary",
    "ApplicationOut", "SelfAssessmentOut", "HistoryOut", "ApplicationPage", "HistoryPage", "INDICATOR_LIST",
    "EvidenceUpload", "EvidenceOut", "EvidencePage", "AssignmentFilters", "NewAssignment", "AcceptIn", "DeclineIn",
    "AssignmentOut", "AssignmentPage", "PlannedAssignment", "UnfilledApplication", "AutoAssignOut", "ScoreIn",
    "ModerationIn", "ReviewScoreOut", "ModerationOut", "DimensionScore", "IndicatorScore", "SelfAssessmentScore",
    "ScoreOut", "MAX_ROUND_CAPACITY", "NewPilotRound", "RoundStatusIn", "EnrolmentIn", "PilotRoundOut",
    "RoundOutcomes", "IndicatorSummary", "RoundSummaryOut", "CertificateRef", "RegistryFilters", "RegistryEntry",
    "CertificateOut", "RegistryPage", "NotificationFilters", "NotificationOut", "NotificationPage",
    "IdempotencyKey", "ScoreState", "ScoringRules", "RubricLevel", "SelfRating", "OfflineIndicator",
    "OfflineDimension", "OfflineEvidence", "OfflineAssignmentSummary", "OfflineAssignmentList", "OfflineAssignment",
    "OfflineChangeIn", "OfflineChangeOut",
]  # fmt: skip
