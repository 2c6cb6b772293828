"""Msgids for words the templates and the UI translate at runtime, so `pybabel extract` finds them.

Templates call `_(state.value)`, `_(h.event)`, `_(a.status.value)`, `_(area)`, `_(role)` …, and
`certification.ui.messages_of` calls `gettext(field)` on the keys of `ValidationFailed`. None of those
arguments is a literal, so the catalog only knows them through this list. Nothing imports this module;
tests/unit/test_translations.py checks that it stays complete against the enums.
"""

from __future__ import annotations


def N_(message: str) -> str:  # noqa: N802 - the gettext convention for "mark, translate later"
    return message


# workflows.application.State
APPLICATION_STATES = (
    N_("draft"),
    N_("submitted"),
    N_("under_review"),
    N_("changes_requested"),
    N_("piloted"),
    N_("certified"),
    N_("rejected"),
    N_("withdrawn"),
    N_("suspended"),
    N_("revoked"),
    N_("expired"),
    N_("appealed"),
)

# workflows.application.EVENTS, plus "create" (the first history entry); shown in the history list.
EVENTS = (
    N_("create"),
    N_("submit"),
    N_("return_to_applicant"),
    N_("start_review"),
    N_("request_changes"),
    N_("resubmit"),
    N_("complete_pilot"),
    N_("certify"),
    N_("reject"),
    N_("withdraw"),
    N_("suspend"),
    N_("reinstate"),
    N_("revoke"),
    N_("expire"),
    N_("appeal"),
    N_("uphold"),
    N_("overturn"),
)

# certification.reviews.models.AssignmentStatus ("submitted", "withdrawn" are above)
ASSIGNMENT_STATUSES = (N_("invited"), N_("accepted"), N_("declined"))

# certification.certificates.models.CertificateStatus ("suspended", "revoked", "expired" are above)
CERTIFICATE_STATUSES = (N_("valid"),)

# certification.pilots.models.RoundStatus
ROUND_STATUSES = (N_("planned"), N_("open"), N_("in_progress"), N_("closed"))

# certification.seals.models.StandardStatus ("draft" is above)
STANDARD_STATUSES = (N_("consultation"), N_("pilot"), N_("published"), N_("retired"))

# certification.seals.models.CommentStatus ("open", "accepted", "rejected" are above)
COMMENT_STATUSES = (N_("answered"),)

# certification.notifications.models.MailStatus
MAIL_STATUSES = (N_("pending"), N_("sent"), N_("failed"))

# certification.rescoring.models.RescoreStatus ("failed" is above)
RESCORE_STATUSES = (N_("queued"), N_("running"), N_("done"))

# Kinds of change between two versions of a standard (seals.queries.version_diff), shown by seals/diff.html
VERSION_CHANGES = (
    N_("added"),
    N_("removed"),
    N_("reworded"),
    N_("reweighted"),
    N_("moved"),
    N_("rules"),
    N_("scale"),
    N_("evidence"),
)

# Settings of a standard compared by seals/diff.html and changed by a calibration (seals/calibration*.html)
STANDARD_SETTINGS = (
    N_("pass"),
    N_("pass_threshold"),
    N_("dimension_minimum"),
    N_("essential_minimum"),
    N_("levels"),
    N_("validity_months"),
    N_("min_reviewers"),
    N_("disagreement_gap"),
    N_("minimum"),
    N_("weight"),
)

# certification.seals.models.Area
AREAS = (N_("gender"), N_("poverty"), N_("rural"))

# certification.accounts.models.Role
ROLES = (N_("applicant"), N_("reviewer"), N_("facilitator"), N_("admin"))

# Keys of the ValidationFailed dicts raised by the services; messages_of shows them as "field: message".
FIELDS = (
    N_("active"),
    N_("application_id"),
    N_("area"),
    N_("areas"),
    N_("calibration"),
    N_("capacity"),
    N_("closes_on"),
    N_("comment"),
    N_("country"),
    N_("description"),
    N_("due_on"),
    N_("email"),
    N_("essential_minimum"),
    N_("evidence_ids"),
    N_("explanation"),
    N_("file"),
    N_("indicator"),
    N_("indicators"),
    N_("justification"),
    N_("kind"),
    N_("levels"),
    N_("locale"),
    N_("max_active_assignments"),
    N_("name"),
    N_("no_conflict"),
    N_("opens_on"),
    N_("organization_id"),
    N_("password"),
    N_("current_password"),
    N_("proposed_text"),
    N_("rating"),
    N_("reason"),
    N_("resolution"),
    N_("response"),
    N_("reviewer_id"),
    N_("role"),
    N_("score"),
    N_("since"),
    N_("standard_id"),
    N_("status"),
    N_("until"),
)

# History rows that are not lifecycle events (templates show `_(h.event)`)
HISTORY_EVENTS = (
    N_("review_resubmitted"),
    N_("evidence_deleted"),
    N_("evidence_replaced"),
)

# Field names of the offline sync's validation errors (the device's idempotency key)
OFFLINE_FIELDS = (N_("key"),)
