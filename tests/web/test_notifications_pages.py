"""The notification pages: the list (paginated, unread filter, mark all read), the settings page, and the
signed one-click link of every e-mail, end to end through the web client without logging in."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from certification.extensions import db
from certification.notifications import services
from certification.notifications.models import MailMessage, Notification, NotificationPreference
from certification.outbox.services import commit
from tests import factories as f
from tests.web.helpers import QueryCounter, fresh_client

LINK = re.compile(r"https?://[^/\s]+(/notifications/settings/link/[A-Za-z0-9._-]+)")


@pytest.fixture(autouse=True)
def _session(app, monkeypatch):
    f.fast_password_hashing(monkeypatch)
    yield
    f.release_session()


@pytest.fixture
def csrf_on(app, monkeypatch):
    """The product's CSRF check, on (the testing configuration turns it off)."""
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)


def csrf_token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def preference(user_id: int, kind: str) -> str | None:
    db.session.expire_all()
    return db.session.scalar(select(NotificationPreference.delivery).where(
        NotificationPreference.user_id == user_id, NotificationPreference.kind == kind))  # fmt: skip


def test_the_signed_link_of_a_mail_changes_that_kinds_setting_without_login_and_only_on_post(app, csrf_on):
    walk = f.Walk().submit()
    mail = db.session.scalars(select(MailMessage).where(MailMessage.user_id == walk.applicant.id,
                                                        MailMessage.kind == "application_submitted")).one()  # fmt: skip
    path = LINK.search(mail.body_text).group(1)
    anonymous = fresh_client(app)
    page = anonymous.get(path)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Solicitud enviada" in html and walk.applicant.name in html
    assert preference(walk.applicant.id, "application_submitted") is None, "a GET changes nothing"
    assert anonymous.post(path, data={"delivery": "in_app"}).status_code == 400, "no CSRF token: refused"
    done = anonymous.post(path, data={"delivery": "in_app", "csrf_token": csrf_token(html)})
    assert done.status_code == 303
    assert preference(walk.applicant.id, "application_submitted") == "in_app"
    # From now on that kind reaches this person in the app only.
    f.Walk("poverty", org=walk.org, facilitator=walk.facilitator).submit()  # a colleague submits another seal
    db.session.expire_all()
    kinds = db.session.scalars(select(Notification.delivery).where(
        Notification.user_id == walk.applicant.id, Notification.kind == "application_submitted")).all()  # fmt: skip
    assert kinds == ["email", "in_app"]


def test_a_tampered_or_expired_link_is_refused_and_changes_nothing(app, monkeypatch):
    walk = f.Walk()
    token = services.preference_token(walk.applicant.id, "application_submitted")
    client = fresh_client(app)
    payload, _, signature = token.rpartition(".")
    forged = services.preference_token(walk.applicant.id, "application_certified").rpartition(".")[0] + "." + signature
    for bad in (token[:-2] + ("AA" if not token.endswith("AA") else "BB"), forged, "x"):
        assert client.get(f"/notifications/settings/link/{bad}").status_code == 400
        assert client.post(f"/notifications/settings/link/{bad}", data={"delivery": "in_app"}).status_code == 400
    other_salt = services.URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="another-purpose").dumps(
        {"u": walk.applicant.id, "k": "application_submitted"})  # fmt: skip
    assert client.get(f"/notifications/settings/link/{other_salt}").status_code == 400
    monkeypatch.setitem(app.config, "NOTIFICATION_LINK_DAYS", -1)  # every link is now older than allowed
    expired = client.get(f"/notifications/settings/link/{token}")
    assert expired.status_code == 400 and "venció" in expired.get_data(as_text=True)
    assert client.post(f"/notifications/settings/link/{token}", data={"delivery": "in_app"}).status_code == 400
    assert db.session.scalar(select(NotificationPreference.id)) is None


def test_a_link_for_a_kind_of_another_role_or_a_bad_choice_changes_nothing(app):
    walk = f.Walk()
    client = fresh_client(app)
    wrong_kind = services.preference_token(walk.applicant.id, "assignment_invited")
    assert client.get(f"/notifications/settings/link/{wrong_kind}").status_code == 400
    token = services.preference_token(walk.applicant.id, "application_submitted")
    assert client.post(f"/notifications/settings/link/{token}", data={"delivery": "fax"}).status_code == 303
    assert db.session.scalar(select(NotificationPreference.id)) is None


def test_the_settings_page_lists_the_kinds_of_my_role_and_saves_them(app):
    walk = f.Walk()
    client = fresh_client(app, walk.applicant)
    html = client.get("/notifications/settings").get_data(as_text=True)
    assert 'name="application_certified"' in html and 'name="assignment_invited"' not in html
    assert client.post("/notifications/settings", data={"application_certified": "digest"}).status_code == 303
    assert preference(walk.applicant.id, "application_certified") == "digest"
    client.post("/notifications/settings", data={"assignment_invited": "digest"})  # not an applicant's kind
    assert preference(walk.applicant.id, "assignment_invited") is None
    assert "/notifications/settings" in client.get("/notifications").get_data(as_text=True)


def test_the_list_filters_unread_and_marks_all_read(app):
    walk = f.Walk().submit()
    walk.fire(walk.facilitator, "return_to_applicant", "Falta el acta.")
    client = fresh_client(app, walk.applicant)
    first = db.session.scalar(select(Notification.id).where(Notification.user_id == walk.applicant.id)
                              .order_by(Notification.id))  # fmt: skip
    client.post(f"/notifications/{first}/read")
    unread = client.get("/notifications?unread=1").get_data(as_text=True)
    assert "Falta el acta." in unread and "fue enviada" not in unread
    assert "fue enviada" in client.get("/notifications").get_data(as_text=True)
    assert client.post("/notifications/read-all").status_code == 303
    assert "Falta el acta." not in client.get("/notifications?unread=1").get_data(as_text=True)


def test_the_list_takes_the_same_number_of_queries_for_3_and_30_notifications(app):
    walk = f.Walk()

    def grow_to(n: int) -> None:
        have = len(db.session.scalars(select(Notification.id).where(Notification.user_id == walk.applicant.id)).all())
        for i in range(have, n):
            services.notify([walk.applicant.id], "application_review_started", {"application": f"A{i}"}, email=False)
        commit()

    def statements() -> int:
        client = fresh_client(app, walk.applicant)
        client.get("/notifications")
        with QueryCounter(db.engine) as counter:
            assert client.get("/notifications").status_code == 200
        return counter.count

    grow_to(3)
    few = statements()
    grow_to(30)
    assert statements() == few
