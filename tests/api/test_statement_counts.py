"""The application's read and write paths run a small number of SQL statements, whatever they show.

Counted like a request in production: a fresh session, and the outbox handed to a broker after the commit
(not run in process as the embedded test worker does, which would count the worker's statements too).
"""

from __future__ import annotations

import re
from collections import Counter

import pytest
from sqlalchemy import select

from certification.accounts.models import User
from certification.applications import services as applications
from certification.extensions import db
from certification.notifications import services as notifications
from certification.notifications.events import LIFECYCLE
from certification.notifications.models import Notification
from certification.outbox import services as outbox
from certification.reviews import services as reviews
from certification.reviews.models import Assignment, AssignmentStatus
from tests import factories as f
from tests.api.helpers import Case, as_user
from tests.web.helpers import QueryCounter

# Tables only the lifecycle guards read: an answer that does not explain a blocked action never reads them.
GUARD_FACT_TABLES = ("self_assessments", "evidence", "score_snapshots", "review_scores", "moderations", "pilot_rounds",
                     "affiliations", "declared_conflicts", "application_history")  # fmt: skip


@pytest.fixture
def count(monkeypatch):
    def run(call):
        f.release_session()  # a request starts with an empty session: nothing already in its identity map
        with monkeypatch.context() as m:
            m.setattr(outbox, "_eager", lambda: False)
            m.setattr(outbox, "_publish", lambda ids: list(ids))
            with QueryCounter(db.engine) as counter:
                response = call()
        return response, counter.statements

    return run


def selects_from(statements: list[str], table: str) -> list[str]:
    return [s for s in statements if s.lstrip().upper().startswith("SELECT") and re.search(rf"\bFROM {table}\b", s)]


def test_reading_an_application_with_a_token_takes_at_most_6_statements_for_everyone_who_sees_it(app, client, count):
    case = Case().piloted()
    people = {"facilitator": case.facilitator, "applicant": case.applicant, "reviewer": case.reviewers[0]}
    apis = {name: as_user(client, person) for name, person in people.items()}
    expected = {"facilitator": ["certify", "reject"], "applicant": ["withdraw"], "reviewer": []}
    for name, api in apis.items():
        response, statements = count(lambda api=api: api.get(f"/applications/{case.id}"))
        assert response.status_code == 200, name
        assert response.get_json()["allowed_events"] == expected[name], name
        assert len(statements) <= 6, (name, statements)


def test_reading_an_application_gathers_no_guard_facts(app, client, count):
    """`allowed_events` says who may fire what from the state; the guards are judged when firing."""
    case = Case().submit()
    for api in [as_user(client, person) for person in (case.facilitator, case.applicant)]:
        response, statements = count(lambda api=api: api.get(f"/applications/{case.id}"))
        assert response.status_code == 200
        for table in GUARD_FACT_TABLES:
            assert not selects_from(statements, table), (table, statements)


def test_a_successful_event_takes_at_most_15_statements(app, client, count):
    case = Case().submit()
    api = as_user(client, case.facilitator)
    response, statements = count(
        lambda: api.post(f"/applications/{case.id}/events", json={"event": "return_to_applicant", "reason": "Falta."})
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["state"] == "changes_requested"
    assert len(statements) <= 15, statements


def test_certifying_reads_each_guard_fact_and_the_certificate_once(app, client, count):
    case = Case().piloted()
    api = as_user(client, case.facilitator)
    response, statements = count(lambda: api.post(f"/applications/{case.id}/events", json={"event": "certify"}))
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["certificate"]["status"] == "valid"
    for table in ("score_snapshots", "assignments", "dimensions", "pilot_rounds"):
        assert len(selects_from(statements, table)) <= 1, (table, selects_from(statements, table))
    # The certificate just issued is the one the answer shows: never looked up by its application.
    lookups = [s for s in selects_from(statements, "certificates") if "certificates.application_id =" in s]
    assert not lookups, lookups


def test_someone_who_may_not_fire_an_event_is_refused_before_any_guard_fact_is_gathered(app, client, count):
    case = Case().piloted()
    api = as_user(client, case.applicant)
    response, statements = count(lambda: api.post(f"/applications/{case.id}/events", json={"event": "certify"}))
    assert response.status_code == 403
    for table in GUARD_FACT_TABLES:
        assert not selects_from(statements, table), (table, statements)


# --- every lifecycle event a person fires through the API -------------------------------------------------------


def _resubmittable(case: Case) -> Case:
    case.reviewed()
    code = case.indicators[0].code
    applications.fire_event(case.facilitator, case.id, "request_changes", "Falta el acta.", [code])
    applications.save_self_assessment(case.applicant, case.id, code, case.indicators[0].scale_max, "Acta adjunta.")
    return case


def _appealed(case: Case) -> Case:
    case.piloted()
    applications.fire_event(case.facilitator, case.id, "reject", "No cumple.")
    applications.fire_event(case.applicant, case.id, "appeal", "Pedimos revisar.")
    case.judge = f.user("facilitator")  # whoever rejected may not judge the appeal
    return case


def _startable(case: Case) -> Case:
    case.submit()
    for reviewer, assignment in zip(case.reviewers, case.assign(), strict=True):
        reviews.accept_assignment(reviewer, assignment.id, True)
    return case


def _suspended(case: Case) -> Case:
    case.certified()
    applications.fire_event(case.facilitator, case.id, "suspend", "Auditoría pendiente.")
    return case


# event → (bring a case to where it may be fired, who fires it, what they send, the state it leads to)
EVENT_CASES = {
    "submit": (lambda c: (c.self_assess(), c.upload()), "applicant", {}, "submitted"),
    "return_to_applicant": (Case.submit, "facilitator", {"reason": "Falta."}, "changes_requested"),
    "start_review": (_startable, "facilitator", {}, "under_review"),
    "request_changes": (Case.under_review, "facilitator", {"reason": "Falta.", "indicators": "first"},
                        "changes_requested"),
    "resubmit": (_resubmittable, "applicant", {}, "under_review"),
    "complete_pilot": (Case.reviewed, "facilitator", {}, "piloted"),
    "certify": (Case.piloted, "facilitator", {}, "certified"),
    "reject": (Case.piloted, "facilitator", {"reason": "No cumple."}, "rejected"),
    "withdraw": (Case.submit, "applicant", {"reason": "Lo retiramos."}, "withdrawn"),
    "suspend": (Case.certified, "facilitator", {"reason": "Auditoría."}, "suspended"),
    "reinstate": (_suspended, "facilitator", {"reason": "Resuelto."}, "certified"),
    "revoke": (Case.certified, "facilitator", {"reason": "Fraude."}, "revoked"),
    "appeal": (lambda c: (c.piloted(), applications.fire_event(c.facilitator, c.id, "reject", "No cumple.")),
               "applicant", {"reason": "Pedimos revisar."}, "appealed"),
    "uphold": (_appealed, "judge", {"reason": "Se mantiene."}, "rejected"),
    "overturn": (_appealed, "judge", {"reason": "Se revoca."}, "piloted"),
}  # fmt: skip


def _fire_counted(client, count, case: Case, event: str):
    _, who, body, state = EVENT_CASES[event]
    api = as_user(client, getattr(case, who))
    body = {"event": event, **body}
    if body.get("indicators") == "first":
        body["indicators"] = [case.indicators[0].code]
    response, statements = count(lambda: api.post(f"/applications/{case.id}/events", json=body))
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["state"] == state
    return statements


# Events whose own writes and guard facts, before any notification, leave no room for 15 yet: certify issues
# the certificate (its number, status chain and decision hash), complete_pilot gathers the reviews, conflicts
# and score freshness, resubmit reopens the reviews. Their notifications cost the same 4 statements as any.
OVER_15 = {"certify": 21, "complete_pilot": 18, "resubmit": 17}


@pytest.mark.parametrize("event", sorted(EVENT_CASES))
def test_a_successful_lifecycle_event_takes_at_most_15_statements(app, client, count, event):
    case = Case()
    EVENT_CASES[event][0](case)
    statements = _fire_counted(client, count, case, event)
    assert len(statements) <= OVER_15.get(event, 15), (event, len(statements), statements)
    # Notifications: one INSERT each of the notifications, their mails and the outbox rows that send them.
    for table in ("notifications", "mails", "outbox"):
        inserts = [s for s in statements if s.lstrip().upper().startswith(f"INSERT INTO {table.upper()} ")]
        assert len(inserts) <= 1, (table, inserts)


def _crowd(case: Case, people: int) -> None:
    """`people` applicants in the MFI and `people` facilitators, in several languages and with several
    preferences: rows of different shapes all the same."""
    for n in range(people - 1):
        member = f.applicant(case.org)
        set_locale(member, ("en", "fr", "es")[n % 3])
        if n % 2:
            notifications.set_preferences(member, {"application_submitted": ("digest", "in_app")[n % 4 // 2]})
    for n in range(people - 1):
        set_locale(f.user("facilitator"), ("fr", "en")[n % 2])


def set_locale(user, locale: str) -> None:
    db.session.execute(User.__table__.update().where(User.id == user.id).values(locale=locale))
    db.session.commit()


@pytest.mark.parametrize("event", ["submit", "withdraw"])
def test_an_event_takes_as_many_statements_for_1_as_for_5_members_and_facilitators(app, client, count, event):
    found, kinds = {}, [kind for kind, _ in LIFECYCLE[event]]
    for people in (1, 5):
        case = Case()
        _crowd(case, people)
        if event == "withdraw":
            case.submit()
        else:
            case.self_assess(), case.upload()
        statements = _fire_counted(client, count, case, event)
        told = Counter(db.session.scalars(select(Notification.kind).where(
            Notification.subject_id == case.id, Notification.kind.in_(kinds))))  # fmt: skip
        found[people] = len(statements), told
    assert found[1][0] == found[5][0], found
    # Everyone was told, each once: the members, and every facilitator (nobody is assigned yet).
    assert sum(found[1][1].values()) >= 1 + 1, found
    assert sum(found[5][1].values()) >= 5 + 5, found


def test_reading_an_application_takes_2_statements_the_token_and_the_application_with_what_it_shows(app, client, count):
    """The token with its holder; then the application with its certificate and the ids of who was ever assigned
    (whom separation of duties bars from some events) — never the assignments' rows nor the reviewers' users."""
    case = Case().piloted()
    apis = {"facilitator": as_user(client, case.facilitator), "applicant": as_user(client, case.applicant)}
    for name, api in apis.items():
        response, statements = count(lambda api=api: api.get(f"/applications/{case.id}"))
        assert response.status_code == 200, name
        assert len(statements) == 2, (name, statements)
        assert not selects_from(statements, "certificates"), "the certificate is joined to the application"
        assert any(re.search(r"\bLEFT OUTER JOIN certificates\b", s) for s in statements), statements
        assert not any(re.search(r"\bFROM assignments\b.*\bJOIN users\b", s, re.S) for s in statements), statements


def test_the_answer_still_bars_someone_once_assigned_from_deciding(app, client, count):
    """The ever-assigned ids read with the application are the whole set: a facilitator once invited to review
    (even declined) is offered no decision, while another facilitator is."""
    case = Case().piloted()
    deciding = as_user(client, case.facilitator)
    other = f.user("facilitator")
    db.session.add(Assignment(application_id=case.id, reviewer_id=other.id, status=AssignmentStatus.DECLINED,
                              assigned_by_id=case.facilitator.id))  # fmt: skip
    db.session.commit()
    barred = as_user(client, other)
    response, _ = count(lambda: deciding.get(f"/applications/{case.id}"))
    assert response.get_json()["allowed_events"] == ["certify", "reject"]
    response, _ = count(lambda: barred.get(f"/applications/{case.id}"))
    assert response.status_code == 200
    assert response.get_json()["allowed_events"] == []
