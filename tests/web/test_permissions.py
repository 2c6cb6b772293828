"""The authorization matrix: every route of `app.url_map` × every role → the expected status.

- anonymous: a redirect to /login on protected pages;
- another organisation's applicant and an unassigned reviewer: 404 on application, evidence and assignment
  objects, answered exactly like an id of nothing (no existence leak);
- a role that may see an object but not act on it: 403;
- the public pages: 200 for everyone.

A route missing from MATRIX fails `test_every_route_of_the_app_is_in_the_matrix`: add it when you add a route.
POST probes send input that the permitted roles get refused for a domain reason (303 + a flash message), so
that one world serves every role; probes that must succeed act on an object made for that request.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import pytest

from tests import factories as f
from tests.web.helpers import fresh_client, normalised

ROLES = f.ROLES
NOBODY = 999999


@dataclass
class Probe:
    endpoint: str
    method: str
    url: Callable[[f.World], str]
    expect: dict[str, int]
    data: Callable[[f.World], dict] | None = None
    # The same route for an id of nothing: the outsider and the unassigned reviewer must get the same answer.
    missing: Callable[[f.World], str] | None = None
    label: str = ""
    own_session: bool = False  # the request ends the caller's session (logout) or revokes its token
    api: bool = False  # /api/v1: a bearer token instead of the session, JSON instead of a form


def _token(w) -> str:
    from tests.web.helpers import URL_PARAMETERS

    return URL_PARAMETERS["token"](w)


def everyone(status: int) -> dict[str, int]:
    return dict.fromkeys(ROLES, status)


def logged_in(status: int, **by_role: int) -> dict[str, int]:
    return {**dict.fromkeys(ROLES, status), "anonymous": 302, **by_role}


def staff_only(ok: int, others: int = 404, **by_role: int) -> dict[str, int]:
    return logged_in(others, facilitator=ok, admin=ok, **by_role)


def reviewers_only(ok: int) -> dict[str, int]:
    return logged_in(404, assigned=ok, unassigned=ok)


def application_object(member: int, assigned: int, staff: int, foreign: int = 404) -> dict[str, int]:
    """An application's page or action: the other organisation and an unassigned reviewer cannot see it."""
    return logged_in(foreign, member=member, assigned=assigned, facilitator=staff, admin=staff)


def assignment_object(reviewer: int, staff: int) -> dict[str, int]:
    """An assignment: only its reviewer acts on it; staff see it but may not act as the reviewer."""
    return logged_in(404, assigned=reviewer, facilitator=staff, admin=staff)


def upload_file(w):
    return {"file": (io.BytesIO(f.PDF), "acta.pdf"), "indicators": w.app.essential[0]}


IN_A_MONTH = (date.today() + timedelta(days=30)).isoformat()

MATRIX: list[Probe] = [
    # --- public pages -------------------------------------------------------------------------------------
    Probe("main.home", "GET", lambda w: "/", logged_in(302, anonymous=200)),
    Probe("static", "GET", lambda w: "/static/sello.css", everyone(200)),
    Probe("main.favicon", "GET", lambda w: "/favicon.ico", everyone(200)),
    Probe("accounts.login", "GET", lambda w: "/login", everyone(200)),
    Probe("accounts.login", "POST", lambda w: "/login", everyone(401),
          data=lambda w: {"email": w.member.email, "password": "no es la clave"}, label="wrong password"),
    Probe("main.language", "POST", lambda w: "/language", everyone(303), data=lambda w: {"lang": "en"}),
    Probe("accounts.forgot_password", "GET", lambda w: "/password/forgot", everyone(200)),
    Probe("accounts.forgot_password", "POST", lambda w: "/password/forgot", everyone(422),
          data=lambda w: {"email": ""}, label="no e-mail"),
    # A link signed for something else (a notification setting) sets no password, for anyone.
    Probe("accounts.reset_password", "GET", lambda w: f"/password/reset/{_token(w)}", everyone(410)),
    Probe("accounts.reset_password", "POST", lambda w: f"/password/reset/{_token(w)}", everyone(410),
          data=lambda w: {"password": "plum orchard lantern 42"}),
    Probe("accounts.accept_invitation", "GET", lambda w: f"/welcome/{_token(w)}", everyone(410)),
    Probe("accounts.accept_invitation", "POST", lambda w: f"/welcome/{_token(w)}", everyone(410),
          data=lambda w: {"password": "plum orchard lantern 42"}),
    Probe("certificates.registry", "GET", lambda w: "/registry", everyone(200)),
    Probe("certificates.registry_export", "GET", lambda w: "/registry.csv", everyone(200)),
    Probe("certificates.verify_form", "GET", lambda w: "/verify", everyone(200)),
    # The load balancer's probes: no session, nothing personal, the same answer for everyone.
    Probe("ops.healthz", "GET", lambda w: "/healthz", everyone(200)),
    Probe("ops.readyz", "GET", lambda w: "/readyz", everyone(200)),
    Probe("certificates.verify", "GET", lambda w: f"/verify/{w.verification_code}", everyone(200)),
    Probe("certificates.verify_pdf", "GET", lambda w: f"/verify/{w.verification_code}/certificate.pdf", everyone(200)),
    Probe("seals.index", "GET", lambda w: "/standards", everyone(200)),
    Probe("seals.detail", "GET", lambda w: f"/standards/{w.std.id}", everyone(200)),
    Probe("seals.detail", "GET", lambda w: f"/standards/{w.consultation.id}", logged_in(200, anonymous=404),
          label="in consultation: members only"),
    Probe("seals.printable", "GET", lambda w: f"/standards/{w.std.id}/print", everyone(200)),
    Probe("seals.diff", "GET", lambda w: f"/standards/diff?left={w.std.id}&right={w.consultation.id}",
          logged_in(200, anonymous=404)),
    # --- logged-in pages ----------------------------------------------------------------------------------
    Probe("accounts.logout", "POST", lambda w: "/logout", logged_in(303), own_session=True),
    Probe("accounts.account", "GET", lambda w: "/account", logged_in(200)),
    Probe("accounts.update_password", "POST", lambda w: "/account/password", logged_in(422),
          data=lambda w: {"current_password": "no es la clave", "new_password": "plum orchard lantern 42"},
          label="wrong current password"),
    Probe("accounts.update_language", "POST", lambda w: "/account/language", logged_in(303),
          data=lambda w: {"locale": "es"}),
    Probe("main.dashboard", "GET", lambda w: "/dashboard", logged_in(200)),
    Probe("applications.index", "GET", lambda w: "/applications", logged_in(200)),
    Probe("notifications.index", "GET", lambda w: "/notifications", logged_in(200)),
    Probe("notifications.unread_json", "GET", lambda w: "/notifications/unread.json", logged_in(200)),
    Probe("notifications.read_all", "POST", lambda w: "/notifications/read-all", logged_in(303)),
    Probe("notifications.read", "POST", lambda w: f"/notifications/{w.notification_id}/read",
          logged_in(404, facilitator=303), missing=lambda w: f"/notifications/{NOBODY}/read"),
    Probe("notifications.settings", "GET", lambda w: "/notifications/settings", logged_in(200)),
    Probe("notifications.save_settings", "POST", lambda w: "/notifications/settings", logged_in(303),
          data=lambda w: {}),
    # The signed one-click link of the e-mails needs no login; one not signed by us is refused for everyone.
    Probe("notifications.settings_link", "GET", lambda w: "/notifications/settings/link/not.signed.by-us",
          everyone(400)),
    Probe("notifications.settings_link_confirm", "POST", lambda w: "/notifications/settings/link/not.signed.by-us",
          everyone(400), data=lambda w: {"delivery": "in_app"}),
    Probe("reviews.my_assignments", "GET", lambda w: "/assignments",
          logged_in(403, assigned=200, unassigned=200, facilitator=200, admin=200)),
    Probe("seals.add_comment", "POST", lambda w: f"/standards/{w.std.id}/indicators/{w.code}/comments",
          logged_in(303), data=lambda w: {"comment": "Una versión publicada no recibe comentarios."}),
    # --- applications -------------------------------------------------------------------------------------
    Probe("applications.create", "POST", lambda w: "/applications",
          logged_in(403, member=303, outsider=303), data=lambda w: {"standard_id": w.std.id}),
    Probe("applications.detail", "GET", lambda w: f"/applications/{w.app.id}", application_object(200, 200, 200),
          missing=lambda w: f"/applications/{NOBODY}"),
    Probe("applications.self_assessment", "GET", lambda w: f"/applications/{w.app.id}/self-assessment/{w.code}",
          application_object(200, 200, 200), missing=lambda w: f"/applications/{NOBODY}/self-assessment/{w.code}"),
    Probe("applications.self_assessment", "POST", lambda w: f"/applications/{w.app.id}/self-assessment/{w.code}",
          application_object(409, 403, 403), data=lambda w: {"rating": "3", "explanation": "Actualizado."},
          missing=lambda w: f"/applications/{NOBODY}/self-assessment/{w.code}"),
    # `assigned` is only invited to `sub` (not accepted): the application does not exist for them yet.
    Probe("applications.fire", "POST", lambda w: f"/applications/{w.sub.id}/events",
          application_object(403, 404, 303), data=lambda w: {"event": "start_review"},
          missing=lambda w: f"/applications/{NOBODY}/events", label="start_review: facilitators only"),
    Probe("applications.fire", "POST", lambda w: f"/applications/{w.pil.id}/events",
          application_object(403, 403, 303), data=lambda w: {"event": "certify"},
          missing=lambda w: f"/applications/{NOBODY}/events", label="certify: not by a reviewer of it"),
    Probe("applications.fire", "POST", lambda w: f"/applications/{w.app.id}/events",
          application_object(403, 403, 303), data=lambda w: {"event": "reject", "reason": ""},
          missing=lambda w: f"/applications/{NOBODY}/events", label="reject without a reason"),
    Probe("applications.export", "GET", lambda w: "/applications/export/scores.csv", staff_only(200, others=403)),
    Probe("applications.export", "GET", lambda w: "/applications/export/reviews.xlsx", staff_only(200, others=403),
          label="the reviews export names the reviewers"),
    Probe("evidence.upload", "POST", lambda w: f"/applications/{w.app.id}/evidence",
          application_object(303, 403, 403), data=upload_file, missing=lambda w: f"/applications/{NOBODY}/evidence"),
    Probe("evidence.download", "GET", lambda w: f"/evidence/{w.evidence_id}", application_object(200, 200, 200),
          missing=lambda w: f"/evidence/{NOBODY}"),
    # Under review: the MFI may no longer change its evidence (303 + flash); others may not at all.
    Probe("evidence.delete", "POST", lambda w: f"/evidence/{w.evidence_id}/delete", application_object(303, 403, 403),
          missing=lambda w: f"/evidence/{NOBODY}/delete"),
    Probe("evidence.replace", "POST", lambda w: f"/evidence/{w.evidence_id}/replace", application_object(303, 403, 403),
          data=upload_file, missing=lambda w: f"/evidence/{NOBODY}/replace"),
    Probe("certificates.application_pdf", "GET", lambda w: f"/applications/{w.other.id}/certificate.pdf",
          logged_in(404, outsider=200, facilitator=200, admin=200),
          missing=lambda w: f"/applications/{NOBODY}/certificate.pdf", label="the other organisation's certificate"),
    Probe("reviews.result", "GET", lambda w: f"/applications/{w.app.id}/result", application_object(403, 403, 200),
          missing=lambda w: f"/applications/{NOBODY}/result"),
    Probe("reviews.result_pdf", "GET", lambda w: f"/applications/{w.app.id}/result.pdf",
          application_object(403, 403, 200), missing=lambda w: f"/applications/{NOBODY}/result.pdf"),
    Probe("reviews.reviewers_page", "GET", lambda w: f"/applications/{w.app.id}/reviewers",
          application_object(403, 403, 200), missing=lambda w: f"/applications/{NOBODY}/reviewers"),
    Probe("reviews.compare", "GET", lambda w: f"/applications/{w.app.id}/reviews", application_object(403, 403, 200),
          missing=lambda w: f"/applications/{NOBODY}/reviews"),
    Probe("reviews.assign", "POST", lambda w: f"/applications/{w.app.id}/assignments",
          application_object(403, 403, 303, foreign=403), data=lambda w: {"reviewer_id": w.member.id},
          missing=lambda w: f"/applications/{NOBODY}/assignments"),
    Probe("reviews.moderate", "POST", lambda w: f"/applications/{w.app.id}/moderation/{w.code}",
          application_object(403, 403, 303, foreign=403), data=lambda w: {"score": "99", "justification": "x"},
          missing=lambda w: f"/applications/{NOBODY}/moderation/{w.code}"),
    # --- assignments --------------------------------------------------------------------------------------
    Probe("reviews.score_page", "GET", lambda w: f"/assignments/{w.assignment_id}", logged_in(404, assigned=200),
          missing=lambda w: f"/assignments/{NOBODY}"),
    Probe("reviews.accept", "POST", lambda w: f"/assignments/{w.assignment_id}/accept", assignment_object(303, 403),
          data=lambda w: {"no_conflict": "y"}, missing=lambda w: f"/assignments/{NOBODY}/accept"),
    Probe("reviews.decline", "POST", lambda w: f"/assignments/{w.assignment_id}/decline", assignment_object(303, 403),
          data=lambda w: {"reason": "Sin tiempo."}, missing=lambda w: f"/assignments/{NOBODY}/decline"),
    Probe("reviews.save_score", "POST", lambda w: f"/assignments/{w.assignment_id}/scores/{w.code}",
          assignment_object(303, 403), data=lambda w: {"score": "9", "comment": "Fuera de escala."},
          missing=lambda w: f"/assignments/{NOBODY}/scores/{w.code}"),
    Probe("reviews.submit", "POST", lambda w: f"/assignments/{w.assignment_id}/submit", assignment_object(303, 403),
          missing=lambda w: f"/assignments/{NOBODY}/submit"),
    # --- offline field scoring ---------------------------------------------------------------------------
    Probe("offline.app_page", "GET", lambda w: "/offline", reviewers_only(200)),
    Probe("offline.service_worker", "GET", lambda w: "/sw.js", everyone(200)),
    Probe("offline.manifest", "GET", lambda w: "/manifest.webmanifest", everyone(200)),
    Probe("offline.scoring_sheet", "GET", lambda w: f"/assignments/{w.assignment_id}/sheet.pdf",
          logged_in(404, assigned=200), missing=lambda w: f"/assignments/{NOBODY}/sheet.pdf"),
    Probe("reviews.change_due_date", "POST", lambda w: f"/assignments/{w.assignment_id}/due-date",
          staff_only(303, others=403), data=lambda w: {"due_on": IN_A_MONTH},
          missing=lambda w: f"/assignments/{NOBODY}/due-date"),
    Probe("reviews.withdraw", "POST", lambda w: f"/assignments/{w.new_invitation()}/withdraw",
          staff_only(303, others=403), data=lambda w: {"reason": "Reemplazo por carga."},
          missing=lambda w: f"/assignments/{NOBODY}/withdraw"),
    # --- pilot rounds -------------------------------------------------------------------------------------
    Probe("pilots.index", "GET", lambda w: "/pilot-rounds", staff_only(200)),
    Probe("pilots.create", "POST", lambda w: "/pilot-rounds", staff_only(422), data=lambda w: {"name": ""}),
    Probe("pilots.detail", "GET", lambda w: f"/pilot-rounds/{w.round_id}", staff_only(200),
          missing=lambda w: f"/pilot-rounds/{NOBODY}"),
    Probe("pilots.summary_page", "GET", lambda w: f"/pilot-rounds/{w.round_id}/summary", staff_only(200),
          missing=lambda w: f"/pilot-rounds/{NOBODY}/summary"),
    Probe("pilots.summary_pdf", "GET", lambda w: f"/pilot-rounds/{w.round_id}/summary.pdf", staff_only(200),
          missing=lambda w: f"/pilot-rounds/{NOBODY}/summary.pdf"),
    Probe("pilots.summary_xlsx", "GET", lambda w: f"/pilot-rounds/{w.round_id}/summary.xlsx", staff_only(200),
          missing=lambda w: f"/pilot-rounds/{NOBODY}/summary.xlsx"),
    Probe("pilots.send_to_consultation", "POST", lambda w: f"/pilot-rounds/{w.round_id}/summary/consultation",
          staff_only(303), data=lambda w: {"indicators": w.code}, label="round still open: refused"),
    Probe("pilots.agreement", "GET", lambda w: f"/pilot-rounds/{w.round_id}/agreement", staff_only(200)),
    Probe("pilots.auto_assign_preview", "GET", lambda w: f"/pilot-rounds/{w.round_id}/auto-assign", staff_only(200)),
    Probe("pilots.auto_assign_apply", "POST", lambda w: f"/pilot-rounds/{w.round_id}/auto-assign", staff_only(303),
          data=lambda w: {"digest": "stale"}),
    Probe("pilots.change_status", "POST", lambda w: f"/pilot-rounds/{w.round_id}/status", staff_only(303),
          data=lambda w: {"status": "bogus"}),
    Probe("pilots.enrol", "POST", lambda w: f"/pilot-rounds/{w.round_id}/applications", staff_only(303),
          data=lambda w: {"application_id": w.app.id}),
    # --- reviewers ----------------------------------------------------------------------------------------
    Probe("reviewers.reviewers", "GET", lambda w: "/reviewers", staff_only(200)),
    Probe("reviewers.reviewer_profile", "GET", lambda w: f"/reviewers/{w.unassigned.id}", staff_only(200),
          missing=lambda w: f"/reviewers/{NOBODY}"),
    Probe("reviewers.update_reviewer_profile", "POST", lambda w: f"/reviewers/{w.unassigned.id}", staff_only(303),
          data=lambda w: {"max_active_assignments": "many"}),
    Probe("reviewers.add_affiliation", "POST", lambda w: f"/reviewers/{w.unassigned.id}/affiliations",
          staff_only(303), data=lambda w: {"organization_id": "x"}),
    Probe("reviewers.end_affiliation", "POST", lambda w: f"/affiliations/{w.affiliation_id}/end", staff_only(303),
          data=lambda w: {"until": "not a date"}, missing=lambda w: f"/affiliations/{NOBODY}/end"),
    Probe("reviewers.delete_affiliation", "POST", lambda w: f"/affiliations/{w.new_affiliation()}/delete",
          staff_only(303), missing=lambda w: f"/affiliations/{NOBODY}/delete"),
    Probe("reviewers.remove_declared_conflict", "POST",
          lambda w: f"/declared-conflicts/{w.new_declared_conflict()}/delete", staff_only(303),
          missing=lambda w: f"/declared-conflicts/{NOBODY}/delete"),
    # People (admins; facilitators invite reviewers) and organisations (staff). The POSTs are refused for a
    # domain reason so that the world stays as it is.
    Probe("accounts.people_index", "GET", lambda w: "/people?q=a&role=reviewer&organization_id=1",
          logged_in(404, admin=200)),
    Probe("accounts.invite_person", "GET", lambda w: "/people/new", staff_only(200)),
    Probe("accounts.invite_person", "POST", lambda w: "/people/new", staff_only(422),
          data=lambda w: {"name": "Sin Org", "email": "probe@example.org", "role": "applicant", "locale": "es"},
          label="an applicant without an organisation"),
    Probe("accounts.person", "GET", lambda w: f"/people/{w.unassigned.id}", logged_in(404, admin=200)),
    Probe("accounts.change_person_role", "POST", lambda w: f"/people/{w.unassigned.id}/role",
          logged_in(404, admin=303), data=lambda w: {"role": "applicant"}, label="an applicant needs an organisation"),
    Probe("accounts.change_person_organization", "POST", lambda w: f"/people/{w.unassigned.id}/organization",
          logged_in(404, admin=303), data=lambda w: {"organization_id": str(w.org.id)}, label="not an applicant"),
    Probe("accounts.deactivate_person", "POST", lambda w: f"/people/{w.admin.id}/deactivate",
          logged_in(404, admin=303), label="oneself"),
    Probe("accounts.reactivate_person", "POST", lambda w: f"/people/{w.unassigned.id}/reactivate",
          logged_in(404, admin=303), label="already active"),
    Probe("accounts.resend_invitation", "POST", lambda w: f"/people/{w.unassigned.id}/invitation",
          logged_in(404, admin=303)),
    Probe("accounts.organizations_index", "GET", lambda w: "/organizations?q=a&country=PE", staff_only(200)),
    Probe("accounts.new_organization", "GET", lambda w: "/organizations/new", staff_only(200)),
    Probe("accounts.new_organization", "POST", lambda w: "/organizations/new", staff_only(422),
          data=lambda w: {"name": "Probe", "country": "P1"}, label="no such country"),
    Probe("accounts.edit_organization", "GET", lambda w: f"/organizations/{w.org.id}", staff_only(200)),
    Probe("accounts.edit_organization", "POST", lambda w: f"/organizations/{w.org.id}", staff_only(422),
          data=lambda w: {"name": "", "country": "PE"}, label="no name"),
    Probe("reviewers.own_profile", "GET", lambda w: "/profile", reviewers_only(200)),
    Probe("reviewers.update_own_languages", "POST", lambda w: "/profile/languages", reviewers_only(303),
          data=lambda w: {"languages": "es, qu"}),
    Probe("reviewers.declare_conflict", "POST", lambda w: "/profile/conflicts", reviewers_only(303),
          data=lambda w: {"organization_id": "", "reason": ""}),
    # --- standards (staff) --------------------------------------------------------------------------------
    Probe("seals.change_status", "POST", lambda w: f"/standards/{w.std.id}/status", logged_in(403, admin=303),
          data=lambda w: {"status": "bogus", "reason": ""}),
    Probe("seals.resolve_comment", "POST", lambda w: f"/standards/comments/{w.comment_id}/resolution",
          staff_only(303, others=403), data=lambda w: {"resolution": "bogus", "response": ""}),
    Probe("seals.calibration", "GET", lambda w: f"/standards/{w.std.id}/calibration", staff_only(303, others=403)),
    Probe("seals.preview_calibration", "POST", lambda w: f"/standards/{w.std.id}/calibration/preview",
          staff_only(303, others=403), data=lambda w: {}),
    Probe("seals.save_calibration", "POST", lambda w: f"/standards/{w.std.id}/calibration",
          staff_only(303, others=403), data=lambda w: {}),
    Probe("seals.export_comments_csv", "GET", lambda w: f"/standards/{w.consultation.id}/comments.csv",
          staff_only(200, others=403)),
    Probe("seals.export_comments_xlsx", "GET", lambda w: f"/standards/{w.consultation.id}/comments.xlsx",
          staff_only(200, others=403)),
    Probe("reviews.standard_agreement", "GET", lambda w: f"/standards/{w.std.id}/agreement", staff_only(200)),
    # --- administration -----------------------------------------------------------------------------------
    Probe("notifications.mail_outbox", "GET", lambda w: "/admin/mail", logged_in(404, admin=200)),
    Probe("notifications.retry", "POST", lambda w: f"/admin/mail/{w.mail_id}/retry", logged_in(404, admin=303),
          missing=lambda w: f"/admin/mail/{NOBODY}/retry"),
    Probe("rescoring.index", "GET", lambda w: "/rescoring", staff_only(200)),
    Probe("rescoring.start", "POST", lambda w: "/rescoring", staff_only(303), data=lambda w: {"standard_id": "x"}),
    Probe("rescoring.progress", "GET", lambda w: f"/rescoring/{w.job_id}", staff_only(200),
          missing=lambda w: f"/rescoring/{NOBODY}"),
    Probe("rescoring.progress_json", "GET", lambda w: f"/rescoring/{w.job_id}.json", staff_only(200),
          missing=lambda w: f"/rescoring/{NOBODY}.json"),
]  # fmt: skip


# --- the JSON API: bearer tokens, 401 without one -----------------------------------------------------------


def api_logged_in(status: int, **by_role: int) -> dict[str, int]:
    return {**dict.fromkeys(ROLES, status), "anonymous": 401, **by_role}


def api_staff_only(ok: int, others: int = 404, **by_role: int) -> dict[str, int]:
    return api_logged_in(others, facilitator=ok, admin=ok, **by_role)


def api_application_object(member: int, assigned: int, staff: int, foreign: int = 404) -> dict[str, int]:
    return api_logged_in(foreign, member=member, assigned=assigned, facilitator=staff, admin=staff)


def api_assignment_object(reviewer: int, staff: int) -> dict[str, int]:
    return api_logged_in(404, assigned=reviewer, facilitator=staff, admin=staff)


def api_upload(w):
    return {"file": (io.BytesIO(f.PDF), "acta.pdf"), "indicators": w.app.essential[0]}


API = "/api/v1"
MATRIX += [
    Probe("api.openapi_document", "GET", lambda w: f"{API}/openapi.json", everyone(200), api=True),
    Probe("api.registry", "GET", lambda w: f"{API}/registry", everyone(200), api=True),
    Probe("api.verify_certificate", "GET", lambda w: f"{API}/certificates/{w.verification_code}", everyone(200),
          api=True),
    Probe("api.certificate_pdf", "GET", lambda w: f"{API}/certificates/{w.verification_code}/pdf", everyone(200),
          api=True),
    Probe("api.create_token", "POST", lambda w: f"{API}/auth/tokens", {**everyone(201), "anonymous": 422},
          api=True, data=lambda w, person=None: {"email": person.email, "password": f.PASSWORD} if person else {},
          label="own credentials (none: 422)"),
    Probe("api.revoke_current_token", "DELETE", lambda w: f"{API}/auth/tokens/current", api_logged_in(204),
          api=True, own_session=True),
    Probe("api.me", "GET", lambda w: f"{API}/me", api_logged_in(200), api=True),
    Probe("api.list_notifications", "GET", lambda w: f"{API}/notifications?unread=true", api_logged_in(200),
          api=True),
    Probe("api.read_notification", "POST", lambda w: f"{API}/notifications/{w.notification_id}/read",
          api_logged_in(404, facilitator=200), api=True, missing=lambda w: f"{API}/notifications/{NOBODY}/read"),
    Probe("api.create_user", "POST", lambda w: f"{API}/users", api_logged_in(403, admin=409), api=True,
          data=lambda w: {"email": w.member.email, "name": "Otra", "role": "applicant", "password": f.PASSWORD,
                          "organization_id": w.org.id}, label="an e-mail that exists"),
    Probe("api.create_affiliation", "POST", lambda w: f"{API}/users/{w.unassigned.id}/affiliations",
          api_staff_only(422, others=403), api=True,
          data=lambda w: {"organization_id": w.org.id, "kind": "board", "since": "2020-01-01",
                          "until": "2019-01-01"}, label="ends before it starts"),
    Probe("api.create_organization", "POST", lambda w: f"{API}/organizations", api_staff_only(409, others=403),
          api=True, data=lambda w: {"name": w.org.name, "country": "PE"}, label="a name that exists"),
    Probe("api.get_organization", "GET", lambda w: f"{API}/organizations/{w.org.id}",
          api_logged_in(404, member=200, facilitator=200, admin=200), api=True,
          missing=lambda w: f"{API}/organizations/{NOBODY}"),
    Probe("api.list_standards", "GET", lambda w: f"{API}/standards", api_logged_in(200), api=True),
    Probe("api.get_standard", "GET", lambda w: f"{API}/standards/{w.std.id}", api_logged_in(200), api=True),
    Probe("api.create_application", "POST", lambda w: f"{API}/applications",
          api_logged_in(403, member=409, outsider=409), api=True, data=lambda w: {"standard_id": w.std.id}),
    Probe("api.list_applications", "GET", lambda w: f"{API}/applications", api_logged_in(200), api=True),
    Probe("api.get_application", "GET", lambda w: f"{API}/applications/{w.app.id}",
          api_application_object(200, 200, 200), api=True, missing=lambda w: f"{API}/applications/{NOBODY}"),
    Probe("api.save_self_assessment", "PUT", lambda w: f"{API}/applications/{w.app.id}/self-assessment/{w.code}",
          api_application_object(409, 403, 403), api=True, data=lambda w: {"rating": 3, "explanation": "Nueva."},
          missing=lambda w: f"{API}/applications/{NOBODY}/self-assessment/{w.code}"),
    Probe("api.upload_evidence", "POST", lambda w: f"{API}/applications/{w.app.id}/evidence",
          api_application_object(409, 403, 403), api=True, data=api_upload,
          missing=lambda w: f"{API}/applications/{NOBODY}/evidence"),
    Probe("api.list_evidence", "GET", lambda w: f"{API}/applications/{w.app.id}/evidence",
          api_application_object(200, 200, 200), api=True, missing=lambda w: f"{API}/applications/{NOBODY}/evidence"),
    Probe("api.evidence_content", "GET", lambda w: f"{API}/evidence/{w.evidence_id}/content",
          api_application_object(200, 200, 200), api=True, missing=lambda w: f"{API}/evidence/{NOBODY}/content"),
    Probe("api.fire_event", "POST", lambda w: f"{API}/applications/{w.sub.id}/events",
          api_application_object(403, 404, 409), api=True, data=lambda w: {"event": "start_review"},
          missing=lambda w: f"{API}/applications/{NOBODY}/events", label="start_review"),
    Probe("api.fire_event", "POST", lambda w: f"{API}/applications/{w.pil.id}/events",
          api_application_object(403, 403, 409), api=True, data=lambda w: {"event": "certify"},
          missing=lambda w: f"{API}/applications/{NOBODY}/events", label="certify"),
    Probe("api.application_history", "GET", lambda w: f"{API}/applications/{w.app.id}/history",
          api_application_object(200, 200, 200), api=True, missing=lambda w: f"{API}/applications/{NOBODY}/history"),
    Probe("api.application_score", "GET", lambda w: f"{API}/applications/{w.pil.id}/score",
          api_application_object(403, 403, 200), api=True, missing=lambda w: f"{API}/applications/{NOBODY}/score"),
    Probe("api.moderate", "PUT", lambda w: f"{API}/applications/{w.app.id}/moderation/{w.code}",
          api_application_object(403, 403, 422), api=True, data=lambda w: {"score": 99, "justification": "x"},
          missing=lambda w: f"{API}/applications/{NOBODY}/moderation/{w.code}"),
    Probe("api.assign_reviewer", "POST", lambda w: f"{API}/applications/{w.app.id}/assignments",
          api_application_object(403, 403, 422), api=True, data=lambda w: {"reviewer_id": w.member.id},
          missing=lambda w: f"{API}/applications/{NOBODY}/assignments"),
    Probe("api.list_assignments", "GET", lambda w: f"{API}/assignments",
          api_logged_in(403, assigned=200, unassigned=200, facilitator=200, admin=200), api=True),
    Probe("api.accept_assignment", "POST", lambda w: f"{API}/assignments/{w.assignment_id}/accept",
          api_assignment_object(409, 403), api=True, data=lambda w: {"no_conflict": True},
          missing=lambda w: f"{API}/assignments/{NOBODY}/accept"),
    Probe("api.decline_assignment", "POST", lambda w: f"{API}/assignments/{w.assignment_id}/decline",
          api_assignment_object(409, 403), api=True, data=lambda w: {"reason": "Sin tiempo."},
          missing=lambda w: f"{API}/assignments/{NOBODY}/decline"),
    Probe("api.save_score", "PUT", lambda w: f"{API}/assignments/{w.assignment_id}/scores/{w.code}",
          api_assignment_object(422, 403), api=True, data=lambda w: {"score": 9, "comment": "Fuera de escala."},
          missing=lambda w: f"{API}/assignments/{NOBODY}/scores/{w.code}"),
    Probe("api.submit_review", "POST", lambda w: f"{API}/assignments/{w.assignment_id}/submit",
          api_assignment_object(409, 403), api=True, missing=lambda w: f"{API}/assignments/{NOBODY}/submit"),
    Probe("api.offline_assignments", "GET", lambda w: f"{API}/offline/assignments", api_logged_in(200), api=True),
    Probe("api.offline_assignment", "GET", lambda w: f"{API}/offline/assignments/{w.assignment_id}",
          api_logged_in(404, assigned=200), api=True, missing=lambda w: f"{API}/offline/assignments/{NOBODY}"),
    Probe("api.offline_change", "POST", lambda w: f"{API}/offline/assignments/{w.assignment_id}/changes",
          api_assignment_object(422, 403), api=True,
          data=lambda w: {"key": "probe-0001", "indicator_code": w.code, "score": 9, "comment": "Fuera de escala.",
                          "base_version": 0},
          missing=lambda w: f"{API}/offline/assignments/{NOBODY}/changes"),
    Probe("api.create_pilot_round", "POST", lambda w: f"{API}/pilot-rounds", api_staff_only(422, others=403),
          api=True, data=lambda w: {"name": "Piloto", "country": "PE", "area": "gender", "opens_on": "2026-02-01",
                                    "closes_on": "2026-01-01", "capacity": 3}, label="closes before it opens"),
    Probe("api.get_pilot_round", "GET", lambda w: f"{API}/pilot-rounds/{w.round_id}", api_staff_only(200),
          api=True, missing=lambda w: f"{API}/pilot-rounds/{NOBODY}"),
    Probe("api.change_round_status", "POST", lambda w: f"{API}/pilot-rounds/{w.round_id}/status",
          api_staff_only(409), api=True, data=lambda w: {"status": "closed"}, label="skipping a step"),
    Probe("api.enrol_application", "POST", lambda w: f"{API}/pilot-rounds/{w.round_id}/applications",
          api_staff_only(409), api=True, data=lambda w: {"application_id": w.app.id}, label="already enrolled"),
    Probe("api.pilot_round_summary", "GET", lambda w: f"{API}/pilot-rounds/{w.round_id}/summary", api_staff_only(200),
          api=True, missing=lambda w: f"{API}/pilot-rounds/{NOBODY}/summary"),
    Probe("api.auto_assign_round", "POST", lambda w: f"{API}/pilot-rounds/{w.round_id}/auto-assign",
          api_staff_only(200), api=True, label="nothing to fill"),
]  # fmt: skip


def rules_of(app) -> set[tuple[str, str]]:
    return {
        (rule.endpoint, method) for rule in app.url_map.iter_rules() for method in rule.methods - {"HEAD", "OPTIONS"}
    }


@pytest.fixture(autouse=True)
def _session(app, monkeypatch):
    f.fast_password_hashing(monkeypatch)
    # One wrong password per role would lock the member's account (the login limits have their own tests in
    # tests/security/test_login_rate_limit.py); here only who may call what is checked.
    monkeypatch.setitem(app.config, "LOGIN_ACCOUNT_LIMIT", "1000 per minute")
    yield
    f.release_session()


def test_every_route_of_the_app_is_in_the_matrix(app):
    covered = {(probe.endpoint, probe.method) for probe in MATRIX}
    missing = sorted(rules_of(app) - covered)
    assert not missing, f"add these routes to tests/web/test_permissions.py MATRIX: {missing}"
    stale = sorted(covered - rules_of(app))
    assert not stale, f"these routes are gone; remove them from MATRIX: {stale}"


def token_for(person) -> str:
    from certification.api.services import issue_token

    return issue_token(person.email, f.PASSWORD)[0]


class Caller:
    """One role's way in: its logged-in browser session, and its API token."""

    def __init__(self, app, person):
        self.app, self.person = app, person
        self.client = fresh_client(app, person)
        self.token = token_for(person) if person else None

    def fresh(self) -> Caller:
        return Caller(self.app, self.person)


def request(caller: Caller, probe: Probe, world, url: str | None = None):
    target = url or probe.url(world)
    if probe.data is None:
        data = None
    elif probe.endpoint == "api.create_token":
        data = probe.data(world, caller.person)
    else:
        data = probe.data(world)
    if probe.api:
        headers = {"Authorization": f"Bearer {caller.token}"} if caller.token else {}
        if data is not None and any(isinstance(v, tuple) for v in data.values()):
            response = caller.client.open(target, method=probe.method, data=data, headers=headers,
                                          content_type="multipart/form-data")  # fmt: skip
        else:
            response = caller.client.open(target, method=probe.method, json=data, headers=headers)
    elif probe.method == "GET":
        response = caller.client.get(target)
    else:
        response = caller.client.open(target, method=probe.method, data=data,
                                      content_type="multipart/form-data" if data else None)  # fmt: skip
    response.close()
    return response


def test_every_role_gets_the_expected_answer_and_foreign_objects_answer_like_missing_ones(app):
    world = f.World()
    callers = {role: Caller(app, world.people.get(role)) for role in ROLES}
    wrong, leaks = [], []
    for probe in MATRIX:
        where = f"{probe.method} {probe.endpoint} {probe.label}".strip()
        for role in ROLES:
            caller = callers[role].fresh() if probe.own_session else callers[role]
            expected = probe.expect[role]
            if role in ("outsider", "unassigned") and probe.missing and expected in (403, 404):
                request(caller, probe, world, probe.missing(world))  # takes any message waiting in the session
                response = request(caller, probe, world)
                nothing = request(caller, probe, world, probe.missing(world))
                if (response.status_code, normalised(response)) != (nothing.status_code, normalised(nothing)):
                    leaks.append(f"{where} as {role}: {response.status_code}, a missing id {nothing.status_code}")
            else:
                response = request(caller, probe, world)
            if probe.endpoint == "accounts.logout" and role in callers and callers[role].person is not None:
                callers[role] = callers[role].fresh()  # logging out ended every session and token of the person
            if response.status_code != expected:
                wrong.append(f"{where} as {role}: {response.status_code}, expected {expected}")
            elif (
                role == "anonymous"
                and expected == 302
                and probe.endpoint != "main.home"
                and not response.headers["Location"].startswith("/login")
            ):
                wrong.append(f"{where} as anonymous: redirected to {response.headers['Location']}")
    assert not wrong, "unexpected answers:\n" + "\n".join(wrong)
    assert not leaks, "a foreign object answers differently from a missing one:\n" + "\n".join(leaks)
