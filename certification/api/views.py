"""JSON API v1 (`/api/v1`, the contract in api.md): thin views over the same services as the UI.

Each view checks visibility (404) where its service would answer 403 for an object the caller may not
see, calls one service or query, and returns the answer model declared in its `@operation`.
"""

from __future__ import annotations

import re
from functools import partial

from flask import Blueprint, g
from flask_babel import force_locale, gettext
from werkzeug.datastructures import FileStorage

from certification.accounts import services as accounts
from certification.accounts.models import Role
from certification.accounts.throttle import TooManyAttempts
from certification.api import policies, services
from certification.api import representations as show
from certification.api import schemas as s
from certification.api.errors import api_locale, handle_errors, too_many_attempts, unauthorized
from certification.api.openapi import ID, document, operation
from certification.applications import queries as application_queries
from certification.applications import services as applications
from certification.applications.policies import may_see_score
from certification.applications.queries import ApplicationView
from certification.certificates import queries as certificate_queries
from certification.certificates.documents import pdf_response
from certification.errors import Forbidden, NotFound, ValidationFailed
from certification.evidence import queries as evidence_queries
from certification.evidence import services as evidence_services
from certification.evidence.responses import file_response
from certification.notifications import queries as notification_queries
from certification.notifications import services as notification_services
from certification.notifications.messages import render, title
from certification.organizations import queries as organization_queries
from certification.organizations import services as organizations
from certification.pilots import services as pilots
from certification.pilots.summary import summary_of
from certification.reviewers import services as reviewers
from certification.reviews import queries as review_queries
from certification.reviews import services as reviews
from certification.reviews.services import auto_assign
from certification.seals import queries as seal_queries
from workflows.messages import N_

bp = Blueprint("api", __name__, url_prefix="/api/v1")
handle_errors(bp)
op = partial(operation, bp)

APP = f"/applications/<{ID}:application_id>"
ASSIGNMENT = f"/assignments/<{ID}:assignment_id>"
ROUND = f"/pilot-rounds/<{ID}:round_id>"
INDICATOR_CODE = re.compile(s.INDICATOR_CODE)  # also the path parameter's pattern in the document


def _indicator(code: str) -> str:
    """A path's indicator code; one that cannot exist is refused like an unknown one, before any query."""
    if not INDICATOR_CODE.fullmatch(code):
        raise ValidationFailed({"indicator": [N_("Unknown indicator.")]})
    return code


# --- tokens and people ----------------------------------------------------------------------------------


@op("POST", "/auth/tokens", body=s.TokenRequest, returns=s.TokenOut, status=201, errors=(401, 429), public=True,
    tag="auth")  # fmt: skip
def create_token(body: s.TokenRequest):
    """Get a bearer token

    The token is shown once and expires after 30 days (API_TOKEN_DAYS). An unknown e-mail and a wrong password
    get the same 401. The web login's limits apply: after LOGIN_ACCOUNT_LIMIT failures for one e-mail, or
    LOGIN_CLIENT_LIMIT from one client, every attempt (even with the right password) gets 429 with
    Retry-After until the window moves on.
    """
    try:
        issued = services.issue_token(body.email, body.password)
    except TooManyAttempts as exc:
        raise too_many_attempts(exc.blocked) from None
    if issued is None:
        raise unauthorized(N_("Wrong e-mail or password."), error="")
    raw, token = issued
    return s.TokenOut(token=raw, expires_at=token.expires_at)


@op("DELETE", "/auth/tokens/current", status=204, tag="auth")
def revoke_current_token(user):
    """Revoke the token of this request

    It stops working at once.
    """
    services.revoke_token(g.api_token_id)


@op("GET", "/me", returns=s.UserOut, tag="people")
def me(user):
    """The token holder"""
    return show.user(user)


@op("POST", "/users", body=s.NewUser, returns=s.UserOut, status=201, errors=(403, 409), tag="people")
def create_user(user, body: s.NewUser):
    """Create a user (admin)

    Applicants belong to exactly one organisation. The answer never contains the password or its hash.
    """
    if not policies.may_create_users(user):
        raise Forbidden(N_("Only an administrator may create users."))
    created = accounts.create_user(**body.model_dump(mode="json"))
    return show.user(created)


@op("POST", f"/users/<{ID}:user_id>/affiliations", body=s.NewAffiliation, returns=s.AffiliationOut,
    status=201, errors=(403, 404), tag="people")  # fmt: skip
def create_affiliation(user, user_id: int, body: s.NewAffiliation):
    """Record a reviewer's affiliation (facilitator, admin)

    A tie with an organisation that is a conflict of interest while open and for 24 months after it ended.
    """
    row = reviewers.add_affiliation(user, user_id, organization_id=body.organization_id, kind=body.kind.value,
                                  since=body.since, until=body.until)  # fmt: skip
    return show.affiliation(row)


@op("POST", "/organizations", body=s.NewOrganization, returns=s.OrganizationOut, status=201, errors=(403, 409),
    tag="people")  # fmt: skip
def create_organization(user, body: s.NewOrganization):
    """Register an organisation (facilitator, admin)"""
    if not policies.may_create_organizations(user):
        raise Forbidden(N_("Only a facilitator may register organisations."))
    return show.organization(organizations.create_organization(**body.model_dump(mode="json")))


@op("GET", f"/organizations/<{ID}:organization_id>", returns=s.OrganizationOut, errors=(404,), tag="people")
def get_organization(user, organization_id: int):
    """An organisation (its members, facilitators, admins)"""
    row = organization_queries.organization(organization_id)
    if row is None or not policies.may_see_organization(user, organization_id):
        raise NotFound("organization")
    return show.organization(row)


# --- standards --------------------------------------------------------------------------------------------


@op("GET", "/standards", query=s.PageQuery, returns=s.StandardPage, tag="standards")
def list_standards(user, query: s.PageQuery):
    """Standard versions you may see"""
    page = seal_queries.standards_page(user, query.page, query.per_page)
    locale = api_locale()
    return show.page(s.StandardPage, page, lambda row: show.standard_summary(row, locale))


@op("GET", f"/standards/<{ID}:standard_id>", returns=s.StandardOut, errors=(404,), tag="standards")
def get_standard(user, standard_id: int):
    """A standard version with its settings, dimensions and indicators"""
    return show.standard(seal_queries.visible_tree(user, standard_id), api_locale())


# --- applications -----------------------------------------------------------------------------------------


@op("POST", "/applications", body=s.NewApplication, returns=s.ApplicationOut, status=201, errors=(403, 409),
    tag="applications")  # fmt: skip
def create_application(user, body: s.NewApplication):
    """Start an application (applicant)

    409 `duplicate` when the organisation already has an open application for that seal.
    """
    return show.application(ApplicationView(user, applications.create_application(user, body.standard_id)))


@op("GET", "/applications", query=s.ApplicationFilters, returns=s.ApplicationPage, tag="applications")
def list_applications(user, query: s.ApplicationFilters):
    """Applications you may see"""
    page = application_queries.list_visible(user, state=query.state, area=query.area, page=query.page,
                                            per_page=query.per_page)  # fmt: skip
    return show.page(s.ApplicationPage, page, show.application_summary)


@op("GET", APP, returns=s.ApplicationOut, errors=(404,), tag="applications")
def get_application(user, application_id: int):
    """An application, with the events you may fire now"""
    return show.application(application_queries.application_view(user, application_id))


@op("PUT", APP + "/self-assessment/<indicator_code>", body=s.SelfAssessmentIn, returns=s.SelfAssessmentOut,
    errors=(403, 404, 409), tag="applications")  # fmt: skip
def save_self_assessment(user, application_id: int, indicator_code: str, body: s.SelfAssessmentIn):
    """Self-assess one indicator (applicant)

    422 for a rating off the indicator's scale, an empty explanation or an unknown indicator; 409 `not_editable`
    outside draft and changes_requested.
    """
    code = _indicator(indicator_code)
    row = applications.save_self_assessment(user, application_id, code, body.rating, body.explanation)
    return show.self_assessment(row, code)


@op("POST", APP + "/evidence", form=s.EvidenceUpload, returns=s.EvidenceOut, status=201,
    errors=(403, 404, 409, 415), tag="evidence")  # fmt: skip
def upload_evidence(user, application_id: int, form: s.EvidenceUpload):
    """Upload an evidence file (applicant)

    multipart/form-data: `file`, `indicators` (comma-separated codes), `description`. The type is detected
    from the content (PDF, DOCX, XLSX, ODT, ODS, CSV, PNG, JPEG); 413 `too_large` over the per-file limit or when
    the application's or the organisation's evidence would go over its total limit.
    """
    if not isinstance(form.file, FileStorage):
        raise ValidationFailed({"file": [N_("Choose a file to upload.")]})
    codes = form.indicators.split(",")
    row = evidence_services.upload(user, application_id, form.file.stream, form.file.filename or "", codes,
                                   form.description)  # fmt: skip
    return show.evidence(evidence_queries.evidence_with_indicators(row.id))


@op("GET", APP + "/evidence", query=s.PageQuery, returns=s.EvidencePage, errors=(404,), tag="evidence")
def list_evidence(user, application_id: int, query: s.PageQuery):
    """Evidence metadata of an application"""
    application = application_queries.get_visible(user, application_id)
    return show.page(s.EvidencePage, evidence_queries.evidence_page(application.id, query.page, query.per_page),
                     show.evidence)  # fmt: skip


@op("GET", f"/evidence/<{ID}:evidence_id>/content", errors=(404,), tag="evidence")
def evidence_content(user, evidence_id: int):
    """Download an evidence file

    As an attachment, for those who may see its application.
    """
    return file_response(evidence_services.visible_evidence(user, evidence_id))


@op("POST", APP + "/events", body=s.EventIn, returns=s.ApplicationOut, errors=(403, 404, 409),
    tag="applications")  # fmt: skip
def fire_event(user, application_id: int, body: s.EventIn):
    """Fire a lifecycle event

    409 `invalid_transition` (with `state` and `allowed_events`) when the event is not possible from the current
    state, 409 `guard_failed` (with `unmet`) when a guard does not hold, 403 when you may not fire it.
    """
    return show.application(applications.fire(user, application_id, body.event, body.reason, body.indicators))


@op("GET", APP + "/history", query=s.PageQuery, returns=s.HistoryPage, errors=(404,), tag="applications")
def application_history(user, application_id: int, query: s.PageQuery):
    """The lifecycle history, oldest first"""
    application = application_queries.get_visible(user, application_id)
    return show.page(
        s.HistoryPage, application_queries.history_page(application.id, query.page, query.per_page), show.history
    )


@op("GET", APP + "/score", returns=s.ScoreOut, errors=(403, 404), tag="reviews")
def application_score(user, application_id: int):
    """The latest score (facilitators, admins; the applicant once decided)

    404 as well while no score has been computed yet.
    """
    application = application_queries.get_visible(user, application_id)
    if not may_see_score(user, application):
        raise Forbidden(N_("The score is shown to the applicant once a decision has been taken."))
    snapshot = review_queries.latest_snapshot(application.id)
    if snapshot is None:
        raise NotFound("score")
    return show.score(snapshot)


@op("PUT", APP + "/moderation/<indicator_code>", body=s.ModerationIn, returns=s.ModerationOut,
    errors=(403, 404, 409), tag="reviews")  # fmt: skip
def moderate(user, application_id: int, indicator_code: str, body: s.ModerationIn):
    """Moderate an indicator's score (a facilitator who does not review it)"""
    application_queries.get_visible(user, application_id)
    code = _indicator(indicator_code)
    row = reviews.moderate(user, application_id, code, body.score, body.justification)
    return show.moderation(row, code)


# --- reviews ----------------------------------------------------------------------------------------------


@op("POST", APP + "/assignments", body=s.NewAssignment, returns=s.AssignmentOut, status=201,
    errors=(403, 404, 409), tag="reviews")  # fmt: skip
def assign_reviewer(user, application_id: int, body: s.NewAssignment):
    """Invite a reviewer (facilitator)

    409 `conflict_of_interest` or `reviewer_unavailable` (with the broken `rule`), 422 for an unknown reviewer.
    """
    application_queries.get_visible(user, application_id)
    return _assignment(reviews.assign_reviewer(user, application_id, body.reviewer_id, body.due_on))


@op("GET", "/assignments", query=s.AssignmentFilters, returns=s.AssignmentPage, errors=(403,), tag="reviews")
def list_assignments(user, query: s.AssignmentFilters):
    """Assignments: a reviewer's own, or all of them for facilitators"""
    if not policies.may_list_assignments(user):
        raise Forbidden(N_("Only reviewers and facilitators have assignments."))
    reviewer_id = user.id if user.role == Role.REVIEWER else None
    page = review_queries.assignments_page(reviewer_id, query.page, query.per_page, status=query.status,
                                    application_id=query.application_id)  # fmt: skip
    context = application_queries.invitation_context(a.application_id for a in page.items)
    return show.page(s.AssignmentPage, page, lambda a: show.assignment(a, context[a.application_id]))


@op("POST", ASSIGNMENT + "/accept", body=s.AcceptIn, returns=s.AssignmentOut, errors=(403, 404, 409),
    tag="reviews")  # fmt: skip
def accept_assignment(user, assignment_id: int, body: s.AcceptIn):
    """Accept an invitation, declaring no conflict of interest (the reviewer)"""
    return _assignment(reviews.accept_assignment(user, assignment_id, body.no_conflict))


@op("POST", ASSIGNMENT + "/decline", body=s.DeclineIn, returns=s.AssignmentOut, errors=(403, 404, 409),
    tag="reviews")  # fmt: skip
def decline_assignment(user, assignment_id: int, body: s.DeclineIn):
    """Decline an invitation with a reason (the reviewer)"""
    return _assignment(reviews.decline_assignment(user, assignment_id, body.reason, body.conflict))


@op("PUT", ASSIGNMENT + "/scores/<indicator_code>", body=s.ScoreIn, returns=s.ReviewScoreOut,
    errors=(403, 404, 409), tag="reviews")  # fmt: skip
def save_score(user, assignment_id: int, indicator_code: str, body: s.ScoreIn):
    """Score one indicator (the reviewer, accepted, not yet submitted)

    `score` null means N/A where the indicator allows it; 409 `not_editable` after submitting.
    """
    code = _indicator(indicator_code)
    row = reviews.save_score(user, assignment_id, code, body.score, body.comment, body.evidence_ids)
    return show.review_score(row, code)


@op("POST", ASSIGNMENT + "/submit", returns=s.AssignmentOut, errors=(403, 404, 409), tag="reviews")
def submit_review(user, assignment_id: int):
    """Submit the review (the reviewer)

    409 `guard_failed` listing the unscored indicators. The score is recalculated after the commit.
    """
    return _assignment(reviews.submit_review(user, assignment_id))


def _assignment(row) -> s.AssignmentOut:
    return show.assignment(row, application_queries.invitation_context([row.application_id])[row.application_id])


# --- notifications ------------------------------------------------------------------------------------------


def _notification(row) -> s.NotificationOut:
    with force_locale(api_locale()):
        return s.NotificationOut(id=row.id, kind=row.kind, subject_type=row.subject_type or "",
                                 subject_id=row.subject_id, title=title(row.kind, gettext),
                                 body=render(row.kind, row.params or {}, gettext), created_at=row.created_at,
                                 read_at=row.read_at)  # fmt: skip


@op("GET", "/notifications", query=s.NotificationFilters, returns=s.NotificationPage, tag="notifications")
def list_notifications(user, query: s.NotificationFilters):
    """Your notifications, newest first

    `?unread=true` for the unread ones only. Titles and texts are in the caller's language.
    """
    page = notification_queries.notifications_page(user.id, query.page, query.per_page, unread=bool(query.unread))
    return show.page(s.NotificationPage, page, _notification)


@op("POST", f"/notifications/<{ID}:notification_id>/read", returns=s.NotificationOut, errors=(404,),
    tag="notifications")  # fmt: skip
def read_notification(user, notification_id: int):
    """Mark one of your notifications as read

    Someone else's notification answers 404, like a missing one.
    """
    return _notification(notification_services.mark_read(user, notification_id))


# --- pilot rounds -----------------------------------------------------------------------------------------


@op("POST", "/pilot-rounds", body=s.NewPilotRound, returns=s.PilotRoundOut, status=201, errors=(403,),
    tag="pilot rounds")  # fmt: skip
def create_pilot_round(user, body: s.NewPilotRound):
    """Create a pilot round (facilitator, admin)"""
    values = body.model_dump()
    values["area"] = body.area.value
    row = pilots.create_round(user, **values)
    return show.pilot_round(row, {})


@op("GET", ROUND, returns=s.PilotRoundOut, errors=(404,), tag="pilot rounds")
def get_pilot_round(user, round_id: int):
    """A pilot round with its applications counted by state (facilitator, admin)"""
    row = pilots.get_round(user, round_id)
    return show.pilot_round(row, pilots.counts_by_state(row.id))


@op("POST", ROUND + "/status", body=s.RoundStatusIn, returns=s.PilotRoundOut, errors=(404, 409),
    tag="pilot rounds")  # fmt: skip
def change_round_status(user, round_id: int, body: s.RoundStatusIn):
    """Move a round one step: planned → open → in_progress → closed"""
    row = pilots.change_status(user, round_id, body.status)
    return show.pilot_round(row, pilots.counts_by_state(row.id))


@op("POST", ROUND + "/applications", body=s.EnrolmentIn, returns=s.ApplicationOut, status=201,
    errors=(404, 409), tag="pilot rounds")  # fmt: skip
def enrol_application(user, round_id: int, body: s.EnrolmentIn):
    """Enrol an application (facilitator, admin)

    409 `capacity_full`, or `not_editable` while the round is not open; 422 when the application's area or
    country is not the round's, or the application is unknown.
    """
    pilots.get_round(user, round_id)
    try:
        application_queries.get_visible(user, body.application_id)
    except NotFound:
        raise ValidationFailed({"application_id": [N_("Unknown application.")]}) from None
    return show.application(ApplicationView(user, pilots.enrol(user, round_id, body.application_id)))


@op("POST", ROUND + "/auto-assign", returns=s.AutoAssignOut, errors=(404, 409), tag="pilot rounds")
def auto_assign_round(user, round_id: int):
    """Invite reviewers for every submitted application of the round, up to the standard's minimum

    Balances load; capacity and conflicts of interest are hard constraints. `unfilled` says what could not be
    filled and why.
    """
    return show.auto_assign_plan(auto_assign(user, round_id, apply=True))


@op("GET", ROUND + "/summary", returns=s.RoundSummaryOut, errors=(404,), tag="pilot rounds")
def pilot_round_summary(user, round_id: int):
    """A pilot round's summary (facilitator, admin)

    Outcomes by state and level (and by country where the round spans several) and, per indicator, the
    applications scored, mean self-rating, mean consensus, mean gap, disagreements and Krippendorff's alpha
    (null where undefined). Computed live while the round runs, frozen once it is closed.
    """
    return s.RoundSummaryOut.model_validate(summary_of(pilots.get_round(user, round_id)))


# --- public -----------------------------------------------------------------------------------------------


@op("GET", "/registry", query=s.RegistryFilters, returns=s.RegistryPage, public=True, tag="public")
def registry(query: s.RegistryFilters):
    """The public registry of valid certificates"""
    page = certificate_queries.registry_page(query.page, query.per_page, area=query.area,
                                             country=query.country.upper() if query.country else None)  # fmt: skip
    return show.page(s.RegistryPage, page, show.registry_entry)


@op("GET", "/certificates/<code>", returns=s.CertificateOut, errors=(404,), public=True, tag="public")
def verify_certificate(code: str):
    """Verify a certificate by its public code"""
    row = certificate_queries.by_code(code) if "\x00" not in code else None
    if row is None:
        raise NotFound("certificate")
    return show.certificate(row)


@op("GET", "/certificates/<code>/pdf", errors=(404,), public=True, tag="public")
def certificate_pdf(code: str):
    """The certificate as a PDF document

    An archival PDF (PDF/A-3b) in the organisation's language, as an attachment, with a QR code of its public
    verify page. A suspended, revoked or expired certificate says so across the page.
    """
    row = certificate_queries.by_code(code) if "\x00" not in code else None
    if row is None:
        raise NotFound("certificate")
    return pdf_response(row)


@op("GET", "/openapi.json", returns=s.OpenApiDocument, public=True, tag="public")
def openapi_document():
    """This OpenAPI 3.1 document"""
    return s.OpenApiDocument.model_validate(document())
