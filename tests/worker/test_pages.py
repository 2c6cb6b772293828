"""The pages of background work: notifications with their unread count, the admins' mail outbox with its retry
button, and the re-scoring progress page with its JSON — each shown only to whom it concerns."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bench.data import reviewed_applications
from certification.extensions import db
from certification.notifications.models import MailMessage, MailStatus, Notification
from certification.notifications.services import notify
from certification.outbox.services import commit
from certification.rescoring.models import RescoreJob
from tests import factories as f
from tests.web.helpers import QueryCounter, fresh_client


@pytest.fixture(autouse=True)
def _session(app, monkeypatch):
    f.fast_password_hashing(monkeypatch)
    yield
    f.release_session()


def test_a_person_sees_their_unread_count_and_reading_a_notification_opens_it(app):
    reader, other = f.user("reviewer"), f.user("reviewer")
    notify([reader.id], "review_due_soon", {"application": "GEN-PE-1 · Caja Sur", "due_on": "2026-05-04"},
           link="/assignments", email=False)  # fmt: skip
    notify([other.id], "review_due_soon", {"application": "SECRET · Otra", "due_on": "2026-05-04"}, email=False)
    commit()
    client = fresh_client(app, reader)
    page = client.get("/notifications?lang=en").get_data(as_text=True)
    assert "1 unread" in page and "GEN-PE-1 · Caja Sur" in page and "SECRET" not in page
    assert client.get("/notifications/unread.json").json == {"unread": 1}
    note = db.session.scalars(select(Notification).where(Notification.user_id == reader.id)).one()
    r = client.post(f"/notifications/{note.id}/read")
    assert (r.status_code, r.headers["Location"]) == (303, "/assignments")
    assert client.get("/notifications/unread.json").json == {"unread": 0}
    foreign = db.session.scalars(select(Notification).where(Notification.user_id == other.id)).one()
    assert client.post(f"/notifications/{foreign.id}/read").status_code == 404
    db.session.expire_all()
    assert db.session.get(Notification, foreign.id).read_at is None


def test_the_notification_list_is_paginated_with_a_constant_number_of_queries(app):
    reader = f.user("applicant", organization_id=f.organization().id)
    client = fresh_client(app, reader)
    counts = []
    for total in (3, 60):
        notify([reader.id] * 1, "certificate_expiring", {"number": "GEN-PE-2026-0001", "expires_on": "2026-09-01"},
               email=False)  # fmt: skip
        for _ in range(total - 1):
            notify([reader.id], "certificate_expiring", {"number": "X", "expires_on": "2026-09-01"}, email=False)
        commit()
        with QueryCounter(db.engine) as q:
            assert client.get("/notifications").status_code == 200
        counts.append(q.count)
    assert counts[0] == counts[1]


def test_only_admins_see_the_mail_outbox_and_may_send_a_failed_mail_again(app):
    admin, facilitator = f.user("admin"), f.user("facilitator")
    failed = MailMessage(to_address="ana@example.org", locale="es", kind="review_overdue",
                         subject="Revisión vencida", body_text="…", status=MailStatus.FAILED, attempts=5,
                         last_error="SMTPConnectError: 421")  # fmt: skip
    sent = MailMessage(to_address="bo@example.org", locale="en", kind="review_overdue", subject="Review overdue",
                       body_text="…", status=MailStatus.SENT, attempts=1)  # fmt: skip
    db.session.add_all([failed, sent])
    db.session.commit()
    staff = fresh_client(app, facilitator)
    assert staff.get("/admin/mail").status_code == 404
    assert staff.post(f"/admin/mail/{failed.id}/retry").status_code == 404
    client = fresh_client(app, admin)
    page = client.get("/admin/mail?status=failed&lang=en").get_data(as_text=True)
    assert "Revisión vencida" in page and "SMTPConnectError" in page and "Review overdue" not in page
    assert client.post(f"/admin/mail/{sent.id}/retry", follow_redirects=True).status_code == 200
    db.session.expire_all()
    assert db.session.get(MailMessage, sent.id).attempts == 1, "a sent mail is not sent again"
    assert client.post(f"/admin/mail/{failed.id}/retry").status_code == 303
    db.session.expire_all()
    again = db.session.get(MailMessage, failed.id)
    assert again.status == MailStatus.SENT and again.suppressed, "sent again (in process, no MAIL_SERVER)"


def test_facilitators_start_a_rescoring_and_follow_its_progress_others_get_404(app):
    std = f.standard("gender")
    reviewed_applications(std.id, 5)
    facilitator = f.user("facilitator")
    applicant = f.user("applicant", organization_id=f.organization().id)
    client = fresh_client(app, facilitator)
    assert "progress" not in client.get("/rescoring").get_data(as_text=True)
    r = client.post("/rescoring", data={"standard_id": str(std.id), "reason": "calibración"})
    assert r.status_code == 303
    job = db.session.scalars(select(RescoreJob)).one()
    assert r.headers["Location"] == f"/rescoring/{job.id}"
    page = client.get(f"/rescoring/{job.id}?lang=en")
    text = page.get_data(as_text=True)
    assert '<progress id="rescore-progress" max="5" value="5">' in text
    assert "No application changed eligibility or level." in text
    body = client.get(f"/rescoring/{job.id}.json").json
    assert (body["done"], body["total"], body["status"], body["finished"]) == (5, 5, "done", True)
    assert client.post("/rescoring", data={"standard_id": "abc"}).status_code == 303  # refused with a message
    assert db.session.scalars(select(RescoreJob)).all() == [job]
    other = fresh_client(app, applicant)
    for url in ("/rescoring", f"/rescoring/{job.id}", f"/rescoring/{job.id}.json"):
        assert other.get(url).status_code == 404
    assert other.post("/rescoring", data={"standard_id": str(std.id)}).status_code == 404


def test_a_running_job_page_polls_its_json_with_a_nonce_script(app):
    std = f.standard("gender")
    job = RescoreJob(standard_id=std.id, total=10, done=4, report={})
    db.session.add(job)
    db.session.commit()
    page = fresh_client(app, f.user("admin")).get(f"/rescoring/{job.id}")
    text = page.get_data(as_text=True)
    nonce = page.headers["Content-Security-Policy"].split("'nonce-")[1].split("'")[0]
    assert f'<script nonce="{nonce}">' in text and f"/rescoring/{job.id}.json" in text
    assert '<progress id="rescore-progress" max="10" value="4">' in text
