"""GET /api/v1/notifications and POST /api/v1/notifications/{id}/read: own only, newest first, the page
envelope of the README's API section, titles and texts in the caller's language; another person's notification
answers 404."""

from __future__ import annotations

from sqlalchemy import event, select

from certification.extensions import db
from certification.notifications.models import Notification
from tests import factories as f
from tests.api.helpers import as_user, error_of

FIELDS = {"id", "kind", "subject_type", "subject_id", "title", "body", "created_at", "read_at"}


def test_the_list_is_my_notifications_newest_first_in_the_page_envelope(app, client):
    walk = f.Walk().submit()
    other = f.Walk()  # another organisation: its notifications are never listed to walk's applicant
    other.submit()
    api = as_user(client, walk.applicant)
    body = api.get("/notifications?lang=en").get_json()
    assert set(body) == {"items", "page", "per_page", "total"}
    assert body["total"] == 1 and body["page"] == 1
    [item] = body["items"]
    assert set(item) == FIELDS
    assert (item["kind"], item["subject_type"], item["subject_id"]) == ("application_submitted", "application", walk.id)
    assert item["title"] == "Application submitted" and walk.application.reference in item["body"]
    assert item["read_at"] is None and item["created_at"].endswith("Z")
    spanish = api.get("/notifications?lang=es").get_json()["items"][0]
    assert spanish["title"] == "Solicitud enviada"
    walk.fire(walk.facilitator, "return_to_applicant", "Complete el indicador de gobierno.")
    ids = [i["id"] for i in api.get("/notifications").get_json()["items"]]
    assert ids == sorted(ids, reverse=True) and len(ids) == 2


def test_unread_filter_and_marking_one_as_read(app, client):
    walk = f.Walk().submit()
    walk.fire(walk.facilitator, "return_to_applicant", "Complete el indicador de gobierno.")
    api = as_user(client, walk.applicant)
    first, second = api.get("/notifications").get_json()["items"]
    answer = api.post(f"/notifications/{second['id']}/read")
    assert answer.status_code == 200
    assert set(answer.get_json()) == FIELDS and answer.get_json()["read_at"] is not None
    unread = api.get("/notifications?unread=true").get_json()
    assert [i["id"] for i in unread["items"]] == [first["id"]] and unread["total"] == 1
    assert api.get("/notifications?unread=false").get_json()["total"] == 2
    assert api.post(f"/notifications/{second['id']}/read").status_code == 200, "reading twice is harmless"


def test_another_persons_notification_answers_404_like_a_missing_one_and_stays_unread(app, client):
    walk = f.Walk().submit()
    theirs = db.session.scalar(select(Notification.id).where(Notification.user_id == walk.facilitator.id))
    api = as_user(client, walk.applicant)
    foreign, missing = api.post(f"/notifications/{theirs}/read"), api.post("/notifications/999999/read")
    assert foreign.status_code == missing.status_code == 404
    assert error_of(foreign) == error_of(missing)
    db.session.expire_all()
    assert db.session.get(Notification, theirs).read_at is None
    assert api.get("/notifications?per_page=0").status_code == 422
    assert as_user(client, walk.facilitator).get("/notifications").get_json()["total"] >= 1


def test_the_list_takes_the_same_number_of_queries_for_one_or_many_notifications(app, client):
    from certification.notifications.services import notify
    from certification.outbox.services import commit

    walk = f.Walk()
    api = as_user(client, walk.applicant)

    def statements() -> int:
        api.get("/notifications")
        count = [0]

        def bump(*_args, **_kwargs):
            count[0] += 1

        event.listen(db.engine, "before_cursor_execute", bump)
        try:
            assert api.get("/notifications").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", bump)
        return count[0]

    notify([walk.applicant.id], "application_review_started", {"application": "A"}, email=False)
    commit()
    one = statements()
    for n in range(20):
        notify([walk.applicant.id], "application_review_started", {"application": f"A{n}"}, email=False)
    commit()
    assert statements() == one
