"""What each notification kind says: a title and an in-app text (English msgids with parameters, translated
when shown), and who may receive it (the kinds listed on a person's notification settings)."""

from __future__ import annotations

from workflows.messages import N_

MFI, REVIEWER, STAFF = "applicant", "reviewer", "staff"

TEXTS = {
    # --- reminders (the periodic sweep) ---
    "invited_unanswered": N_("You were invited to review %(application)s on %(invited_on)s and have not answered yet."),
    "review_due_soon": N_("Your review of %(application)s is due on %(due_on)s."),
    "review_overdue": N_("Your review of %(application)s was due on %(due_on)s and is overdue."),
    "review_overdue_escalated": N_(
        "The review of %(application)s by %(reviewer)s was due on %(due_on)s and is still not submitted."
    ),
    "change_request_pending": N_(
        "Changes to %(application)s were requested on %(requested_on)s and are still pending."
    ),
    "pilot_round_closing": N_("The pilot round %(round)s closes on %(closes_on)s."),
    "certificate_expiring": N_("Certificate %(number)s expires on %(expires_on)s."),
    "suspension_ending": N_(
        "The suspension of certificate %(number)s ends on %(ends_on)s; it is then revoked unless reinstated."
    ),
    "records_broken": N_("Decision records were changed outside Sello: %(count)s broken chain(s); first: %(first)s"),
    "rescore_finished": N_("Re-scoring finished: %(changed)s of %(total)s applications changed outcome."),
    # --- the MFI's staff: every step of their application ---
    "application_submitted": N_(
        "Your application %(application)s was submitted. You will be told when its review starts."
    ),
    "application_returned": N_(
        "%(application)s was returned to you: %(reason)s — indicators to fix: %(indicators)s. Update them and resubmit."
    ),
    "application_changes_requested": N_(
        "Changes to %(application)s were requested: %(reason)s — indicators to fix: %(indicators)s. "
        "Update them and resubmit."
    ),
    "application_review_started": N_("The review of %(application)s has started."),
    "application_enrolled": N_("%(application)s was enrolled in the pilot round %(round)s."),
    "application_piloted": N_("The pilot of %(application)s is complete; the decision follows."),
    "application_certified": N_("%(application)s was certified: certificate %(certificate)s."),
    "application_rejected": N_("%(application)s was rejected: %(reason)s — you may appeal until %(appeal_until)s."),
    "application_withdrawn": N_("%(application)s was withdrawn: %(reason)s"),
    "appeal_received": N_("Your appeal against the rejection of %(application)s was received."),
    "appeal_upheld": N_("The appeal on %(application)s was decided: the rejection stands. %(reason)s"),
    "appeal_overturned": N_(
        "The appeal on %(application)s was decided: the rejection is overturned and a new decision follows. %(reason)s"
    ),
    "application_suspended": N_("The certificate of %(application)s was suspended: %(reason)s"),
    "application_reinstated": N_("The certificate of %(application)s was reinstated: %(reason)s"),
    "application_revoked": N_("The certificate of %(application)s was revoked: %(reason)s"),
    "application_expired": N_("The certificate of %(application)s expired."),
    # --- reviewers ---
    "assignment_invited": N_(
        "You are invited to review %(organization)s (%(country)s) for the seal %(seal)s, due on %(due_on)s. "
        "Accept or decline the invitation."
    ),
    "assignment_withdrawn": N_("Your assignment to review %(application)s was withdrawn. %(reason)s"),
    "assignment_due_changed": N_("The due date of your review of %(application)s is now %(due_on)s."),
    "rescore_requested": N_(
        "%(application)s was resubmitted: score the indicators %(indicators)s again and submit your review."
    ),
    # --- facilitators ---
    "submission_received": N_("%(application)s was submitted and waits for reviewers."),
    "application_resubmitted": N_("%(application)s was resubmitted after the change request (%(indicators)s)."),
    "assignment_accepted": N_("%(reviewer)s accepted to review %(application)s."),
    "assignment_declined": N_("%(reviewer)s declined to review %(application)s: %(reason)s"),
    "review_submitted": N_("%(reviewer)s submitted the review of %(application)s."),
    "reviews_complete": N_("All reviews of %(application)s are in: the pilot can be completed."),
    "appeal_filed": N_("The applicant appealed the rejection of %(application)s: %(reason)s"),
    "pilot_round_full": N_("The pilot round %(round)s is full (%(capacity)s applications)."),
}

TITLES = {
    "invited_unanswered": N_("Invitation waiting for your answer"),
    "review_due_soon": N_("Review due soon"),
    "review_overdue": N_("Review overdue"),
    "review_overdue_escalated": N_("A review is overdue"),
    "change_request_pending": N_("Change request still pending"),
    "pilot_round_closing": N_("Pilot round closing"),
    "certificate_expiring": N_("Certificate expiring"),
    "suspension_ending": N_("Suspension ending"),
    "rescore_finished": N_("Re-scoring finished"),
    "application_submitted": N_("Application submitted"),
    "application_returned": N_("Application returned to you"),
    "application_changes_requested": N_("Changes requested"),
    "application_review_started": N_("Review started"),
    "application_enrolled": N_("Enrolled in a pilot round"),
    "application_piloted": N_("Pilot complete"),
    "application_certified": N_("Application certified"),
    "application_rejected": N_("Application rejected"),
    "application_withdrawn": N_("Application withdrawn"),
    "appeal_received": N_("Appeal received"),
    "appeal_upheld": N_("Appeal decided: rejection upheld"),
    "appeal_overturned": N_("Appeal decided: rejection overturned"),
    "application_suspended": N_("Certificate suspended"),
    "application_reinstated": N_("Certificate reinstated"),
    "application_revoked": N_("Certificate revoked"),
    "application_expired": N_("Certificate expired"),
    "assignment_invited": N_("Invitation to review"),
    "assignment_withdrawn": N_("Assignment withdrawn"),
    "assignment_due_changed": N_("Review due date changed"),
    "rescore_requested": N_("Indicators to score again"),
    "submission_received": N_("New submission"),
    "application_resubmitted": N_("Application resubmitted"),
    "assignment_accepted": N_("Reviewer accepted"),
    "assignment_declined": N_("Reviewer declined"),
    "review_submitted": N_("Review submitted"),
    "reviews_complete": N_("All reviews are in"),
    "appeal_filed": N_("Appeal filed"),
    "pilot_round_full": N_("Pilot round full"),
}

# Who may receive each kind: the kinds a person's settings page lists for their role.
AUDIENCE = {
    MFI: (
        "application_submitted", "application_returned", "application_changes_requested",
        "application_review_started", "application_enrolled", "application_piloted", "application_certified",
        "application_rejected", "application_withdrawn", "appeal_received", "appeal_upheld", "appeal_overturned",
        "application_suspended", "application_reinstated", "application_revoked", "application_expired",
        "change_request_pending", "pilot_round_closing", "certificate_expiring", "suspension_ending",
    ),
    REVIEWER: (
        "assignment_invited", "assignment_withdrawn", "assignment_due_changed", "rescore_requested",
        "invited_unanswered", "review_due_soon", "review_overdue",
    ),
    STAFF: (
        "submission_received", "application_resubmitted", "assignment_accepted", "assignment_declined",
        "review_submitted", "reviews_complete", "appeal_filed", "pilot_round_full", "application_withdrawn",
        "review_overdue_escalated", "pilot_round_closing", "suspension_ending", "rescore_finished",
    ),
}  # fmt: skip


def kinds_for(role: str) -> tuple[str, ...]:
    """The kinds a person of `role` may receive, in the order of the settings page."""
    return AUDIENCE[STAFF if role in ("facilitator", "admin") else role]


def render(kind: str, params: dict, gettext) -> str:
    """The notification's text in the current language (an unknown kind shows its name, never fails)."""
    text = TEXTS.get(kind)
    if text is None:
        return kind
    try:
        return gettext(text) % params
    except (KeyError, TypeError, ValueError):
        return gettext(text)


def title(kind: str, gettext) -> str:
    text = TITLES.get(kind)
    return gettext(text) if text else kind
