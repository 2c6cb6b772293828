"""Notifications on events: each event reaches exactly its recipients, in-app and by e-mail in
each one's language, once per event and recipient; preferences and the daily digest are honoured."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from certification.accounts.models import User
from certification.extensions import db
from certification.notifications import services
from certification.notifications.models import MailMessage, Notification, NotificationPreference
from certification.outbox.handlers import run_message
from certification.outbox.models import OutboxMessage
from certification.pilots import services as pilots
from certification.reviews import services as reviews
from tests import factories as f
from tests.worker.support import CountingSMTP


@pytest.fixture(autouse=True)
def _session(app, monkeypatch):
    f.fast_password_hashing(monkeypatch)
    yield
    f.release_session()


@pytest.fixture
def smtp(app, monkeypatch):
    """The app's mails go to a real SMTP server on loopback (sent in process, right after each commit)."""
    state = app.extensions["mail"]
    with CountingSMTP() as server:
        monkeypatch.setattr(state, "server", "127.0.0.1")
        monkeypatch.setattr(state, "port", server.port)
        monkeypatch.setattr(state, "suppress", False)
        yield server


def set_locale(user, locale: str) -> None:
    db.session.execute(User.__table__.update().where(User.id == user.id).values(locale=locale))
    db.session.commit()


def notes(kind: str | None = None) -> Counter:
    """(user id, kind) → how many notifications."""
    db.session.expire_all()
    query = select(Notification.user_id, Notification.kind)
    if kind:
        query = query.where(Notification.kind == kind)
    return Counter(tuple(row) for row in db.session.execute(query))


def mails_of(kind: str) -> list[MailMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(MailMessage).where(MailMessage.kind == kind).order_by(MailMessage.id)))


def received(smtp, subject_part: str) -> list:
    return [m for m in smtp.messages if subject_part in str(m["Subject"])]


def test_a_submission_is_a_receipt_for_every_applicant_and_news_for_the_facilitators_each_in_their_language(smtp):
    walk = f.Walk()
    colleague = f.applicant(walk.org)
    set_locale(colleague, "en")
    other_org_applicant = f.applicant()
    walk.submit()
    assert notes("application_submitted") == {(walk.applicant.id, "application_submitted"): 1,
                                              (colleague.id, "application_submitted"): 1}  # fmt: skip
    # Nobody assigned it and it is in no round yet: every facilitator is told.
    assert notes("submission_received") == {(walk.facilitator.id, "submission_received"): 1}
    assert (other_org_applicant.id, "application_submitted") not in notes()
    by_user = {m.user_id: m for m in mails_of("application_submitted")}
    assert by_user[walk.applicant.id].subject == "Solicitud enviada" and by_user[walk.applicant.id].locale == "es"
    assert by_user[colleague.id].subject == "Application submitted" and by_user[colleague.id].locale == "en"
    assert "Hola" in by_user[walk.applicant.id].body_text and "Hello" in by_user[colleague.id].body_text
    assert f"/applications/{walk.id}" in by_user[colleague.id].body_text
    everyone = mails_of("application_submitted") + mails_of("submission_received")
    assert all("/notifications/settings/link/" in m.body_text for m in everyone), "every mail: its settings link"
    # The real SMTP server got one mail per recipient, each in its language.
    assert sorted(m["To"] for m in received(smtp, "Solicitud enviada")) == [walk.applicant.email]
    assert sorted(m["To"] for m in received(smtp, "Application submitted")) == [colleague.email]
    assert [m["Content-Language"] for m in received(smtp, "Application submitted")] == ["en"]
    assert len(received(smtp, "Nueva solicitud enviada")) == 1


def test_an_invitation_tells_the_reviewer_organisation_seal_country_and_due_date_with_one_link(smtp):
    walk = f.Walk(country="PE").submit()
    reviewer = f.reviewer()
    set_locale(reviewer, "en")
    due = date.today() + timedelta(days=10)
    assignment = reviews.assign_reviewer(walk.facilitator, walk.id, reviewer.id, due)
    assert notes("assignment_invited") == {(reviewer.id, "assignment_invited"): 1}
    [mail] = mails_of("assignment_invited")
    assert mail.subject == "Invitation to review"
    for fact in (walk.org.name, "(PE)", walk.std.code, due.isoformat(), f"/assignments#assignment-{assignment.id}"):
        assert fact in mail.body_text
    assert len(received(smtp, "Invitation to review")) == 1
    note = db.session.scalars(select(Notification).where(Notification.kind == "assignment_invited")).one()
    assert (note.subject_type, note.subject_id, note.link) == (
        "assignment",
        assignment.id,
        f"/assignments#assignment-{assignment.id}",  # where its accept and decline forms are
    )

    later = due + timedelta(days=5)
    reviews.change_due_date(walk.facilitator, assignment.id, later)
    reviews.change_due_date(walk.facilitator, assignment.id, later)  # no change: nobody is told again
    assert notes("assignment_due_changed") == {(reviewer.id, "assignment_due_changed"): 1}
    reviews.withdraw_assignment(walk.facilitator, assignment.id, "Cambio de equipo.")
    assert notes("assignment_withdrawn") == {(reviewer.id, "assignment_withdrawn"): 1}
    assert all(user_id == reviewer.id for user_id, kind in notes() if kind.startswith("assignment_"))


def test_answers_and_reviews_reach_the_facilitator_who_assigned_and_all_reviews_in_is_told_once():
    walk = f.Walk().submit()
    bystander = f.user("facilitator")  # assigned nothing here: told of nothing about this review
    walk.assign(count=2, accept=False)
    declining = f.reviewer()
    declined = reviews.assign_reviewer(walk.facilitator, walk.id, declining.id)
    reviews.decline_assignment(declining, declined.id, "Sin tiempo este mes.")
    for reviewer, assignment_id in zip(walk.reviewers, walk.assignment_ids, strict=True):
        reviews.accept_assignment(reviewer, assignment_id, True)
    walk.fire(walk.facilitator, "start_review")
    walk.score()
    assert notes("assignment_accepted") == {(walk.facilitator.id, "assignment_accepted"): 2}
    assert notes("assignment_declined") == {(walk.facilitator.id, "assignment_declined"): 1}
    assert notes("review_submitted") == {(walk.facilitator.id, "review_submitted"): 2}
    assert notes("reviews_complete") == {(walk.facilitator.id, "reviews_complete"): 1}
    assert not [k for u, k in notes() if u == bystander.id and k != "submission_received"]
    decline_note = db.session.scalars(select(Notification).where(Notification.kind == "assignment_declined")).one()
    assert "Sin tiempo este mes." in services.messages.render(decline_note.kind, decline_note.params, lambda s: s)


def test_a_rejection_gives_the_reason_and_the_last_day_to_appeal_and_the_appeal_reaches_both_sides():
    walk = f.Walk().reject()
    [note] = db.session.scalars(select(Notification).where(Notification.kind == "application_rejected")).all()
    assert note.user_id == walk.applicant.id
    assert note.params["reason"] == "No cumple los mínimos."
    assert note.params["appeal_until"] == (date.today() + timedelta(days=30)).isoformat()
    [mail] = mails_of("application_rejected")
    assert note.params["appeal_until"] in mail.body_text and "No cumple los mínimos." in mail.body_text
    walk.fire(walk.applicant, "appeal", "Los datos de cartera rural no se consideraron.")
    assert notes("appeal_received") == {(walk.applicant.id, "appeal_received"): 1}
    assert notes("appeal_filed") == {(walk.facilitator.id, "appeal_filed"): 1}  # who assigned the reviewers
    judge = f.user("facilitator")
    walk.fire(judge, "uphold", "El rechazo se mantiene.")
    assert notes("appeal_upheld") == {(walk.applicant.id, "appeal_upheld"): 1}


def test_certification_links_the_certificate_and_suspension_reinstatement_revocation_reach_the_mfi():
    walk = f.Walk().certify()
    colleague = f.applicant(walk.org)
    [note] = db.session.scalars(select(Notification).where(Notification.kind == "application_certified")).all()
    assert note.link.startswith("/verify/") and note.params["certificate"]
    assert notes("application_piloted") == {(walk.applicant.id, "application_piloted"): 1}
    for event, kind in (("suspend", "application_suspended"), ("reinstate", "application_reinstated"),
                        ("revoke", "application_revoked")):  # fmt: skip
        walk.fire(walk.facilitator, event, f"Motivo de {event}.")
        assert notes(kind) == {(walk.applicant.id, kind): 1, (colleague.id, kind): 1}


def test_enrolment_tells_the_mfi_and_the_last_seat_tells_the_rounds_facilitator():
    walk = f.Walk().submit().open_round(capacity=2)
    assert notes("application_enrolled") == {(walk.applicant.id, "application_enrolled"): 1}
    assert notes("pilot_round_full") == {}
    second = f.Walk(org=f.organization(country="PE"), facilitator=walk.facilitator).submit()
    pilots.enrol(walk.facilitator, walk.round_id, second.id)
    assert notes("pilot_round_full") == {(walk.facilitator.id, "pilot_round_full"): 1}


def test_a_change_request_tells_the_mfi_the_reason_and_the_indicators_to_fix():
    walk = f.Walk().start_review()
    walk.score()
    code = walk.indicators[0].code
    walk.fire(walk.facilitator, "request_changes", "Falta la política firmada.", [code])
    [note] = db.session.scalars(select(Notification).where(Notification.kind == "application_changes_requested"))
    assert note.params["indicators"] == code and note.link == f"/applications/{walk.id}"
    assert {u for u, _k in notes("application_changes_requested")} == {walk.applicant.id}


def test_a_redelivered_mail_message_is_sent_once_and_a_rewritten_event_notifies_once(smtp):
    walk = f.Walk()
    notices = [services.Notice(walk.applicant.id, "application_review_started", {"application": "X"},
                               key="history:999:application_review_started")]  # fmt: skip
    services.notify_all(notices)
    services.notify_all(notices)  # the same event written again: nothing new
    db.session.info.pop("sello_outbox_pending", None)  # as if the broker were down: delivered by hand below
    db.session.commit()
    assert notes("application_review_started") == {(walk.applicant.id, "application_review_started"): 1}
    [message] = db.session.scalars(select(OutboxMessage).where(OutboxMessage.task == "send_mail")).all()
    for _ in range(2):  # the broker delivers it twice
        run_message(message.id)
        db.session.execute(OutboxMessage.__table__.update().values(done_at=None, claimed_until=None))
        db.session.commit()
    assert smtp.count() == 1
    assert [m.status.value for m in mails_of("application_review_started")] == ["sent"]


def test_in_app_only_and_digest_preferences_hold_back_the_mail_and_the_digest_sends_one_mail_once(smtp):
    walk = f.Walk()
    services.set_preferences(walk.applicant, {"application_submitted": "in_app", "application_review_started": "digest",
                                              "application_enrolled": "digest"})  # fmt: skip
    walk.start_review().open_round()
    assert notes("application_submitted")[(walk.applicant.id, "application_submitted")] == 1
    assert mails_of("application_submitted") == [] and mails_of("application_review_started") == []
    assert received(smtp, "Solicitud enviada") == []
    assert services.send_digests() == 1
    [digest] = mails_of("digest")
    assert digest.user_id == walk.applicant.id and digest.locale == "es"
    assert "Revisión iniciada" in digest.body_text and "Inscrita en una ronda piloto" in digest.body_text
    assert "/notifications/settings/link/" in digest.body_text
    assert services.send_digests() == 0, "each notification goes into one digest only"
    assert len(received(smtp, "Su resumen de Sello")) == 1


def test_preferences_refuse_a_kind_of_another_role_or_an_unknown_delivery_and_change_nothing():
    walk = f.Walk()
    from certification.errors import ValidationFailed

    for choices in ({"assignment_invited": "digest"}, {"application_submitted": "fax"}):
        with pytest.raises(ValidationFailed):
            services.set_preferences(walk.applicant, choices)
        db.session.rollback()
    assert db.session.scalar(select(NotificationPreference.id)) is None


def test_the_digest_command_sends_the_waiting_digests_once(runner):
    walk = f.Walk()
    services.set_preferences(walk.applicant, {"application_submitted": "digest"})
    walk.submit()
    first = runner.invoke(args=["notifications", "digest"])
    assert first.exit_code == 0 and first.output.startswith("1 digest mail(s) written"), first.output
    assert runner.invoke(args=["notifications", "digest"]).output.startswith("0 digest mail(s) written")
    assert [m.user_id for m in mails_of("digest")] == [walk.applicant.id]


def test_the_beat_schedule_runs_the_daily_digest():
    from config.celery import celery_settings

    schedule = celery_settings("redis://127.0.0.1:6379/0")["beat_schedule"]
    assert schedule["daily-digest"]["task"] == "worker.tasks.send_digests"
    from worker.tasks import send_digests

    assert send_digests.name == "worker.tasks.send_digests"


def test_a_withdrawal_is_a_receipt_for_the_mfi_and_news_for_the_facilitator_who_assigned():
    walk = f.Walk().start_review()
    walk.fire(walk.applicant, "withdraw", "La institución se fusiona.")
    assert notes("application_withdrawn") == {(walk.applicant.id, "application_withdrawn"): 1,
                                              (walk.facilitator.id, "application_withdrawn"): 1}  # fmt: skip


def test_the_systems_expiry_tells_the_mfi():
    from certification.applications.services import fire_system_event
    from certification.certificates.models import Certificate

    walk = f.Walk().certify()
    db.session.execute(Certificate.__table__.update().where(Certificate.application_id == walk.id).values(
        expires_on=date.today() - timedelta(days=1)))  # fmt: skip
    db.session.commit()
    fire_system_event(walk.id, "expire", "Vencido.")
    assert notes("application_expired") == {(walk.applicant.id, "application_expired"): 1}
