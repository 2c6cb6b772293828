"""Every model, imported once so that SQLAlchemy and Alembic see the whole schema."""

from certification.accounts.models import Affiliation, AffiliationKind, Role, User
from certification.applications.models import Application, HistoryEntry, SelfAssessment
from certification.certificates.models import Certificate, CertificateStatus
from certification.evidence.models import Evidence, evidence_indicators
from certification.organizations.models import Organization
from certification.outbox.models import OutboxMessage
from certification.pilots.models import PilotRound, RoundStatus
from certification.rescoring.models import RescoreItem, RescoreJob, RescoreStatus  # noqa: F401 - issue 5
from certification.reviews.models import Assignment, AssignmentStatus, Moderation, ReviewScore, ScoreSnapshot
from certification.reviews.models import DeclaredConflict  # noqa: F401 - issue 4
from certification.seals.models import Area, Dimension, Indicator, Standard, StandardStatus
from certification.seals.models import Calibration, CommentStatus, IndicatorComment, StandardHistory

__all__ = [
    "Affiliation", "AffiliationKind", "Application", "Area", "Assignment", "AssignmentStatus", "Certificate",
    "CertificateStatus", "Dimension", "Evidence", "HistoryEntry", "Indicator", "Moderation", "Organization",
    "OutboxMessage", "PilotRound", "ReviewScore", "Role", "RoundStatus", "ScoreSnapshot", "SelfAssessment",
    "Standard", "StandardStatus", "User", "evidence_indicators",
    "Calibration", "CommentStatus", "IndicatorComment", "StandardHistory",
    "DeclaredConflict",
]  # fmt: skip
