"""The authorization matrix (design.md §1): every route of `app.url_map` × every role → the expected status.

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
from dataclasses import dataclass, field
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
    fresh_client: bool = False  # the request changes the client's session (logout)
    tags: set = field(default_factory=set)


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
    Probe("accounts.login", "GET", lambda w: "/login", everyone(200)),
    Probe("accounts.login", "POST", lambda w: "/login", everyone(401),
          data=lambda w: {"email": "nadie@example.org", "password": "no es la clave"}),
    Probe("main.language", "POST", lambda w: "/language", everyone(303), data=lambda w: {"lang": "en"}),
    Probe("certificates.registry", "GET", lambda w: "/registry", everyone(200)),
    Probe("certificates.verify_form", "GET", lambda w: "/verify", everyone(200)),
    Probe("certificates.verify", "GET", lambda w: f"/verify/{w.verification_code}", everyone(200)),
    Probe("seals.index", "GET", lambda w: "/standards", everyone(200)),
    Probe("seals.detail", "GET", lambda w: f"/standards/{w.std.id}", everyone(200)),
    Probe("seals.detail", "GET", lambda w: f"/standards/{w.consultation.id}", logged_in(200, anonymous=404),
          label="in consultation: members only"),
    Probe("seals.printable", "GET", lambda w: f"/standards/{w.std.id}/print", everyone(200)),
    Probe("seals.diff", "GET", lambda w: f"/standards/diff?left={w.std.id}&right={w.consultation.id}",
          logged_in(200, anonymous=404)),
    # --- logged-in pages ----------------------------------------------------------------------------------
    Probe("accounts.logout", "POST", lambda w: "/logout", logged_in(303), fresh_client=True),
    Probe("main.dashboard", "GET", lambda w: "/dashboard", logged_in(200, assigned=302, unassigned=302)),
    Probe("applications.index", "GET", lambda w: "/applications", logged_in(200)),
    Probe("notifications.index", "GET", lambda w: "/notifications", logged_in(200)),
    Probe("notifications.unread_json", "GET", lambda w: "/notifications/unread.json", logged_in(200)),
    Probe("notifications.read_all", "POST", lambda w: "/notifications/read-all", logged_in(303)),
    Probe("notifications.read", "POST", lambda w: f"/notifications/{w.notification_id}/read",
          logged_in(404, facilitator=303), missing=lambda w: f"/notifications/{NOBODY}/read"),
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
    Probe("applications.fire", "POST", lambda w: f"/applications/{w.sub.id}/events",
          application_object(403, 403, 303), data=lambda w: {"event": "start_review"},
          missing=lambda w: f"/applications/{NOBODY}/events", label="start_review: facilitators only"),
    Probe("applications.fire", "POST", lambda w: f"/applications/{w.pil.id}/events",
          application_object(403, 403, 303), data=lambda w: {"event": "certify"},
          missing=lambda w: f"/applications/{NOBODY}/events", label="certify: not by a reviewer of it"),
    Probe("applications.fire", "POST", lambda w: f"/applications/{w.app.id}/events",
          application_object(403, 403, 303), data=lambda w: {"event": "reject", "reason": ""},
          missing=lambda w: f"/applications/{NOBODY}/events", label="reject without a reason"),
    Probe("evidence.upload", "POST", lambda w: f"/applications/{w.app.id}/evidence",
          application_object(303, 403, 403), data=upload_file, missing=lambda w: f"/applications/{NOBODY}/evidence"),
    Probe("evidence.download", "GET", lambda w: f"/evidence/{w.evidence_id}", application_object(200, 200, 200),
          missing=lambda w: f"/evidence/{NOBODY}"),
    Probe("reviews.result", "GET", lambda w: f"/applications/{w.app.id}/result", application_object(403, 403, 200),
          missing=lambda w: f"/applications/{NOBODY}/result"),
    Probe("reviews.result", "GET", lambda w: f"/applications/{w.cert.id}/result",
          logged_in(404, facilitator=200, admin=200), label="another organisation's decided application"),
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
    Probe("pilots.agreement", "GET", lambda w: f"/pilot-rounds/{w.round_id}/agreement", staff_only(200)),
    Probe("pilots.auto_assign_preview", "GET", lambda w: f"/pilot-rounds/{w.round_id}/auto-assign", staff_only(200)),
    Probe("pilots.auto_assign_apply", "POST", lambda w: f"/pilot-rounds/{w.round_id}/auto-assign", staff_only(303),
          data=lambda w: {"digest": "stale"}),
    Probe("pilots.change_status", "POST", lambda w: f"/pilot-rounds/{w.round_id}/status", staff_only(303),
          data=lambda w: {"status": "bogus"}),
    Probe("pilots.enrol", "POST", lambda w: f"/pilot-rounds/{w.round_id}/applications", staff_only(303),
          data=lambda w: {"application_id": w.app.id}),
    # --- reviewers ----------------------------------------------------------------------------------------
    Probe("accounts.reviewers", "GET", lambda w: "/reviewers", staff_only(200)),
    Probe("accounts.reviewer_profile", "GET", lambda w: f"/reviewers/{w.unassigned.id}", staff_only(200),
          missing=lambda w: f"/reviewers/{NOBODY}"),
    Probe("accounts.update_reviewer_profile", "POST", lambda w: f"/reviewers/{w.unassigned.id}", staff_only(303),
          data=lambda w: {"max_active_assignments": "many"}),
    Probe("accounts.add_affiliation", "POST", lambda w: f"/reviewers/{w.unassigned.id}/affiliations",
          staff_only(303), data=lambda w: {"organization_id": "x"}),
    Probe("accounts.end_affiliation", "POST", lambda w: f"/affiliations/{w.affiliation_id}/end", staff_only(303),
          data=lambda w: {"until": "not a date"}, missing=lambda w: f"/affiliations/{NOBODY}/end"),
    Probe("accounts.delete_affiliation", "POST", lambda w: f"/affiliations/{w.new_affiliation()}/delete",
          staff_only(303), missing=lambda w: f"/affiliations/{NOBODY}/delete"),
    Probe("accounts.remove_declared_conflict", "POST", lambda w: f"/declared-conflicts/{w.new_declared_conflict()}/delete",
          staff_only(303), missing=lambda w: f"/declared-conflicts/{NOBODY}/delete"),
    Probe("accounts.own_profile", "GET", lambda w: "/profile", reviewers_only(200)),
    Probe("accounts.update_own_languages", "POST", lambda w: "/profile/languages", reviewers_only(303),
          data=lambda w: {"languages": "es, qu"}),
    Probe("accounts.declare_conflict", "POST", lambda w: "/profile/conflicts", reviewers_only(303),
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


def rules_of(app) -> set[tuple[str, str]]:
    return {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


@pytest.fixture(autouse=True)
def _session(app, monkeypatch):
    f.fast_password_hashing(monkeypatch)
    yield
    f.release_session()


def test_every_route_of_the_app_is_in_the_matrix(app):
    covered = {(probe.endpoint, probe.method) for probe in MATRIX}
    missing = sorted(rules_of(app) - covered)
    assert not missing, f"add these routes to tests/web/test_permissions.py MATRIX: {missing}"
    stale = sorted(covered - rules_of(app))
    assert not stale, f"these routes are gone; remove them from MATRIX: {stale}"


def request(client, probe: Probe, world, url: str | None = None):
    data = probe.data(world) if probe.data else None
    target = url or probe.url(world)
    if probe.method == "GET":
        return client.get(target)
    return client.post(target, data=data, content_type="multipart/form-data" if data else None)


def test_every_role_gets_the_expected_answer_on_every_route(app):
    world = f.World()
    clients = {role: fresh_client(app, world.people.get(role)) for role in ROLES}
    wrong = []
    for probe in MATRIX:
        for role in ROLES:
            client = fresh_client(app, world.people.get(role)) if probe.fresh_client else clients[role]
            response = request(client, probe, world)
            expected = probe.expect[role]
            where = f"{probe.method} {probe.endpoint} {probe.label}".strip()
            if response.status_code != expected:
                wrong.append(f"{where} as {role}: {response.status_code}, expected {expected}")
            elif role == "anonymous" and expected == 302 and "/login" not in response.headers["Location"]:
                if probe.endpoint != "main.home":
                    wrong.append(f"{where} as anonymous: redirected to {response.headers['Location']}")
    assert not wrong, "\n".join(wrong)


def test_a_foreign_object_answers_exactly_like_a_missing_one(app):
    world = f.World()
    wrong = []
    for role in ("outsider", "unassigned"):
        client = fresh_client(app, world.people[role])
        for probe in MATRIX:
            if probe.missing is None or probe.expect[role] not in (403, 404):
                continue
            request(client, probe, world, probe.missing(world))  # takes any message waiting in the session
            foreign = request(client, probe, world)
            nothing = request(client, probe, world, probe.missing(world))
            if (foreign.status_code, normalised(foreign)) != (nothing.status_code, normalised(nothing)):
                wrong.append(f"{probe.method} {probe.endpoint} {probe.label} as {role}: "
                             f"{foreign.status_code} differs from a missing id's {nothing.status_code}")  # fmt: skip
    assert not wrong, "\n".join(wrong)
