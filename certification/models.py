"""Every model, imported once so that SQLAlchemy and Alembic see the whole schema."""

from certification.accounts.models import Affiliation, AffiliationKind, Role, User
from certification.api.models import ApiToken  # noqa: F401 - every table registered
from certification.applications.models import Application, HistoryEntry, SelfAssessment
from certification.certificates.models import Certificate, CertificateStatus
from certification.evidence.models import Evidence, evidence_indicators
from certification.notifications.models import (  # noqa: F401 - every table registered
    MailMessage,
    MailStatus,
    Notification,
    NotificationPreference,
)
from certification.offline.models import OfflineChange  # noqa: F401 - every table registered
from certification.organizations.models import Organization
from certification.outbox.models import OutboxMessage
from certification.pilots.models import PilotRound, RoundStatus
from certification.reminders.models import SentReminder  # noqa: F401 - every table registered
from certification.rescoring.models import RescoreItem, RescoreJob, RescoreStatus  # noqa: F401 - every table registered
from certification.reviewers.models import DeclaredConflict
from certification.reviews.models import (
    Assignment,
    AssignmentStatus,
    Moderation,
    ReviewScore,
    ScoreSnapshot,
)
from certification.seals.models import Area, Dimension, Indicator, Standard, StandardStatus

__all__ = [
    "Affiliation", "AffiliationKind", "Application", "Area", "Assignment", "AssignmentStatus", "Certificate",
    "CertificateStatus", "Dimension", "Evidence", "HistoryEntry", "Indicator", "Moderation", "Organization",
    "OutboxMessage", "PilotRound", "ReviewScore", "Role", "RoundStatus", "ScoreSnapshot", "SelfAssessment",
    "Standard", "StandardStatus", "User", "evidence_indicators",
    "DeclaredConflict",
]  # fmt: skip
# The seals.models import above also registers StandardHistory, IndicatorComment and Calibration
# (tables standard_history, indicator_comments, standard_calibrations).
