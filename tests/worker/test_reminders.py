"""The reminder sweep in process: who gets what and when, at most once per period — also with
two sweeps at the same time — plus expiry and the automatic revocation after six months of suspension."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from certification.applications.models import Application
from certification.certificates.models import Certificate
from certification.extensions import db
from certification.notifications.models import MailMessage, Notification
from certification.pilots.models import PilotRound
from certification.reminders.models import SentReminder
from certification.reminders.services import sweep
from certification.reviews.models import Assignment
from certification.types import utcnow
from tests import factories as f

TIMEOUT = 20


@pytest.fixture(autouse=True)
def _session(app, monkeypatch):
    f.fast_password_hashing(monkeypatch)
    yield
    f.release_session()


def core_update(model, where, **values) -> None:
    db.session.execute(model.__table__.update().where(where).values(**values))
    db.session.commit()


def sent_to() -> list[tuple[int, str]]:
    db.session.expire_all()
    return sorted(db.session.execute(select(SentReminder.recipient_id, SentReminder.kind)).all())


def mails() -> list[MailMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(MailMessage).order_by(MailMessage.id)))


def test_an_invitation_not_answered_in_three_days_is_reminded_once():
    walk = f.Walk().submit().assign(accept=False)
    core_update(Assignment, Assignment.application_id == walk.id, invited_at=utcnow() - timedelta(days=2))
    assert sweep().sent == 0, "two days is not yet three"
    core_update(Assignment, Assignment.application_id == walk.id, invited_at=utcnow() - timedelta(days=3, hours=1))
    report = sweep()
    assert report.sent == len(walk.reviewers) == report.due
    assert sent_to() == sorted((r.id, "invited_unanswered") for r in walk.reviewers)
    assert sweep().sent == 0 and sweep(utcnow() + timedelta(days=5)).sent == 0  # once per invitation


def test_an_overdue_review_is_reminded_daily_for_three_days_then_escalated_to_the_facilitator_once():
    walk = f.Walk().start_review()
    reviewer_ids = {r.id for r in walk.reviewers}
    today = utcnow()
    core_update(Assignment, Assignment.application_id == walk.id, due_on=(today - timedelta(days=1)).date())
    per_day = []
    for day in range(6):
        report = sweep(today + timedelta(days=day))
        again = sweep(today + timedelta(days=day, hours=2))  # a second sweep the same day sends nothing
        per_day.append((report.sent, again.sent))
    db.session.expire_all()
    rows = db.session.execute(select(SentReminder.recipient_id, SentReminder.kind, SentReminder.period)).all()
    overdue = [r for r in rows if r.kind == "review_overdue"]
    escalated = [r for r in rows if r.kind == "review_overdue_escalated"]
    assert {r.recipient_id for r in overdue} == reviewer_ids
    assert len(overdue) == 3 * len(reviewer_ids), "days 1, 2 and 3 overdue"
    assert [r.recipient_id for r in escalated] == [walk.facilitator.id] * len(reviewer_ids)  # one per review
    assert per_day == [(2, 0), (2, 0), (2, 0), (2, 0), (0, 0), (0, 0)]


def test_a_review_due_in_three_days_is_reminded_once():
    walk = f.Walk().start_review()
    core_update(Assignment, Assignment.application_id == walk.id, due_on=(utcnow() + timedelta(days=3)).date())
    assert sweep().sent == len(walk.reviewers)
    assert sweep(utcnow() + timedelta(days=1)).sent == 0
    assert {k for _, k in sent_to()} == {"review_due_soon"}


def test_a_pending_change_request_is_reminded_weekly_to_the_organisations_applicants():
    walk = f.Walk().start_review()
    colleague = f.applicant(walk.org)
    walk.fire(walk.facilitator, "request_changes", "Falta la política.", [walk.indicators[0].code])
    requested = utcnow() - timedelta(days=8)
    core_update(Application, Application.id == walk.id, changes_requested_at=requested)
    assert sweep().sent == 2
    assert sweep(utcnow() + timedelta(days=3)).sent == 0
    assert sweep(utcnow() + timedelta(days=7)).sent == 2, "a week later, again"
    assert {(u, k) for u, k in sent_to()} == {(walk.applicant.id, "change_request_pending"),
                                             (colleague.id, "change_request_pending")}  # fmt: skip


def test_a_round_closing_within_seven_days_reminds_its_facilitator_and_the_applicants_still_working():
    walk = f.Walk().submit().open_round()
    core_update(PilotRound, PilotRound.id == walk.round_id, closes_on=(utcnow() + timedelta(days=6)).date())
    assert sweep().sent == 2
    assert sorted(sent_to()) == sorted([(walk.facilitator.id, "pilot_round_closing"),
                                        (walk.applicant.id, "pilot_round_closing")])  # fmt: skip
    assert sweep().sent == 0


def test_a_certificate_is_reminded_ninety_and_thirty_days_before_it_expires():
    walk = f.Walk().certify()
    today = utcnow()
    core_update(Certificate, Certificate.application_id == walk.id, expires_on=(today + timedelta(days=100)).date())
    assert sweep().sent == 0
    assert sweep(today + timedelta(days=10)).sent == 1  # 90 days left
    assert sweep(today + timedelta(days=40)).sent == 0
    assert sweep(today + timedelta(days=70)).sent == 1  # 30 days left
    assert sweep(today + timedelta(days=80)).sent == 0
    periods = sorted(db.session.scalars(select(SentReminder.period)))
    assert [p.split(":")[0] for p in periods] == ["d30", "d90"]


def test_a_suspension_ending_is_reminded_and_after_six_months_the_certificate_is_revoked():
    walk = f.Walk().certify()
    walk.fire(walk.facilitator, "suspend", "Denuncia en revisión.")
    core_update(Certificate, Certificate.application_id == walk.id, suspended_at=utcnow() - timedelta(days=175))
    report = sweep()
    assert (report.sent, report.events) == (2, 0)  # the organisation's applicant and the facilitator who suspended
    assert {k for _, k in sent_to()} == {"suspension_ending"}
    core_update(Certificate, Certificate.application_id == walk.id, suspended_at=utcnow() - timedelta(days=190))
    assert sweep().events == 1
    assert walk.state() == "revoked"
    assert db.session.scalar(select(Certificate.status).where(Certificate.application_id == walk.id)).value == "revoked"


def test_the_sweep_expires_a_certificate_past_its_date():
    walk = f.Walk().certify()
    core_update(Certificate, Certificate.application_id == walk.id, expires_on=(utcnow() - timedelta(days=1)).date())
    assert sweep().events == 1
    assert walk.state() == "expired"
    assert sweep().events == 0


def test_each_mail_is_written_in_the_recipients_language_and_shows_up_in_the_app():
    walk = f.Walk().submit().assign(count=2, accept=False)
    english, spanish = walk.reviewers
    core_update(type(english), type(english).id == english.id, locale="en")
    core_update(Assignment, Assignment.application_id == walk.id, invited_at=utcnow() - timedelta(days=4))
    sweep()
    by_user = {m.user_id: m for m in mails()}
    assert by_user[english.id].locale == "en" and by_user[english.id].subject.startswith("Invitation waiting")
    assert by_user[spanish.id].locale == "es" and by_user[spanish.id].subject.startswith("Invitación pendiente")
    assert "Hello" in by_user[english.id].body_text and "Hola" in by_user[spanish.id].body_text
    assert all(m.status.value == "sent" and m.suppressed for m in by_user.values()), "no MAIL_SERVER in tests"
    notes = db.session.scalars(select(Notification).where(Notification.user_id == english.id)).all()
    assert [n.kind for n in notes] == ["assignment_invited", "invited_unanswered"]  # the invitation, then this


def blocked_on_a_lock() -> int:
    with db.engine.connect() as conn:
        return conn.scalar(sa.text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                   "AND wait_event_type = 'Lock'"))  # fmt: skip


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_two_sweeps_at_the_same_time_send_each_reminder_exactly_once(app):
    """The first sweep holds its first batch's ledger rows uncommitted until the second one is blocked on
    them: the two really overlap. (PostgreSQL: SQLite has one writer at a time, nothing to race.)"""
    walks = [f.Walk().submit().assign(count=2, accept=False) for _ in range(3)]
    for walk in walks:
        core_update(Assignment, Assignment.application_id == walk.id, invited_at=utcnow() - timedelta(days=4))
    expected = 6
    f.release_session()
    first_commit = threading.Event()
    second_done = threading.Event()  # only used as an interruptible wait
    reports: list = [None, None]

    def hold_first_commit(session):
        if first_commit.is_set():
            return
        first_commit.set()
        deadline = utcnow() + timedelta(seconds=TIMEOUT)
        while not blocked_on_a_lock():
            assert utcnow() < deadline, "the second sweep never waited for the first one's rows"
            second_done.wait(0.01)

    def run(index):
        with app.app_context():
            if index == 0:
                sa.event.listen(db.session(), "before_commit", hold_first_commit)
            try:
                reports[index] = sweep(batch_size=2)
            except BaseException as exc:  # noqa: BLE001 - reported below
                reports[index] = exc
            finally:
                db.session.rollback()
                db.session.remove()

    first = threading.Thread(target=run, args=(0,))
    first.start()
    assert first_commit.wait(TIMEOUT)
    second = threading.Thread(target=run, args=(1,))
    second.start()
    for thread in (first, second):
        thread.join(TIMEOUT * 2)
        assert not thread.is_alive()
    assert all(not isinstance(r, BaseException) for r in reports), reports
    assert reports[0].sent + reports[1].sent == expected
    assert reports[0].due == reports[1].due == expected
    assert db.session.scalar(select(func.count()).select_from(SentReminder)) == expected
    sent_mails = [m for m in mails() if m.kind == "invited_unanswered"]  # not the invitations' own mails
    assert len(sent_mails) == expected
    assert len({(m.user_id, m.kind) for m in sent_mails}) == expected
