"""Admins manage people and organisations on the web; facilitators register organisations and invite
reviewers. Invitations, role changes and deactivations end to end through the web client, each recorded."""

from __future__ import annotations

import re
import time

import pytest
from itsdangerous import TimestampSigner
from sqlalchemy import select

from certification.accounts import links
from certification.accounts.models import PersonChange, Role, User
from certification.api.services import issue_token
from certification.extensions import db
from certification.notifications.models import MailMessage
from certification.organizations.models import Organization
from tests import factories as f
from tests.web.helpers import fresh_client

NEW_PASSWORD = "plum orchard lantern 42"


@pytest.fixture(autouse=True)
def _session(app, monkeypatch):
    f.fast_password_hashing(monkeypatch)
    yield
    f.release_session()


def _changes(person_id: int) -> list[tuple]:
    db.session.expire_all()
    rows = db.session.scalars(select(PersonChange).where(PersonChange.person_id == person_id).order_by(PersonChange.id))
    return [(c.actor_id, c.field, c.old, c.new) for c in rows]


def _welcome_path(address: str) -> str:
    db.session.expire_all()
    mail = db.session.scalars(select(MailMessage).where(MailMessage.to_address == address)
                              .order_by(MailMessage.id.desc())).first()  # fmt: skip
    return re.search(r"(/welcome/[A-Za-z0-9_.\-]+)", mail.body_text).group(1)


def test_an_admin_invites_mfi_staff_who_set_their_password_once_from_the_mail(app):
    admin, org = f.user("admin"), f.organization()
    client = fresh_client(app, admin)
    answer = client.post("/people/new", data={"name": "Rosa Quispe", "email": "Rosa@Example.org", "role": "applicant",
                                              "organization_id": str(org.id), "locale": "en"})  # fmt: skip
    assert answer.status_code == 303
    person = db.session.scalar(select(User).where(User.email == "rosa@example.org"))
    assert person.role == Role.APPLICANT and person.organization_id == org.id and person.locale == "en"
    assert _changes(person.id) == [(admin.id, "invitation", "", "applicant")]
    mail = db.session.scalar(select(MailMessage).where(MailMessage.to_address == "rosa@example.org"))
    assert mail.locale == "en" and "invited" in mail.subject and org.name in mail.body_text
    path = _welcome_path("rosa@example.org")

    newcomer = fresh_client(app)
    assert newcomer.post("/login", data={"email": person.email, "password": NEW_PASSWORD}).status_code == 401
    assert newcomer.get(path).status_code == 200
    assert newcomer.post(path, data={"password": NEW_PASSWORD}).status_code == 303
    assert newcomer.get("/applications").status_code == 200
    assert fresh_client(app).post(path, data={"password": "another long passphrase 7"}).status_code == 410


def test_an_expired_invitation_is_refused(app, monkeypatch):
    admin = f.user("admin")
    fresh_client(app, admin).post("/people/new", data={"name": "Late Comer", "email": "late@example.org",
                                                       "role": "reviewer", "locale": "es"})  # fmt: skip
    person = db.session.scalar(select(User).where(User.email == "late@example.org"))
    real = TimestampSigner.get_timestamp
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: int(time.time()) - 8 * 86400)
    token = links.make_token(person, links.INVITATION)
    monkeypatch.setattr(TimestampSigner, "get_timestamp", real)
    assert fresh_client(app).post(f"/welcome/{token}", data={"password": NEW_PASSWORD}).status_code == 410


def test_a_bad_invitation_changes_nothing(app):
    admin = f.user("admin")
    client = fresh_client(app, admin)
    before = db.session.scalar(select(db.func.count()).select_from(User))
    for data in ({"name": "No Org", "email": "noorg@example.org", "role": "applicant", "locale": "es"},
                 {"name": "Taken", "email": admin.email, "role": "reviewer", "locale": "es"},
                 {"name": "X", "email": "x@example.org", "role": "emperor", "locale": "es"}):  # fmt: skip
        assert client.post("/people/new", data=data).status_code == 422
    assert db.session.scalar(select(db.func.count()).select_from(User)) == before
    assert db.session.scalar(select(db.func.count()).select_from(MailMessage)) == 0


def test_a_role_change_ends_every_session_and_token_and_is_recorded_old_to_new(app):
    admin, person = f.user("admin"), f.user("reviewer")
    theirs = fresh_client(app, person)
    token = issue_token(person.email, f.PASSWORD)[0]
    answer = fresh_client(app, admin).post(f"/people/{person.id}/role", data={"role": "facilitator"})
    assert answer.status_code == 303
    assert theirs.get("/account").status_code == 302
    assert theirs.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert _changes(person.id) == [(admin.id, "role", "reviewer", "facilitator")]
    page = fresh_client(app, admin).get(f"/people/{person.id}").get_data(as_text=True)
    assert admin.name in page


def test_becoming_an_applicant_needs_an_organisation_and_records_it(app):
    admin, person, org = f.user("admin"), f.user("reviewer"), f.organization()
    client = fresh_client(app, admin)
    client.post(f"/people/{person.id}/role", data={"role": "applicant"})
    assert _changes(person.id) == []
    client.post(f"/people/{person.id}/role", data={"role": "applicant", "organization_id": str(org.id)})
    assert _changes(person.id) == [(admin.id, "role", "reviewer", "applicant"),
                                   (admin.id, "organization", "", str(org.id))]  # fmt: skip


def test_a_deactivated_person_s_session_and_token_stop_working_until_reactivated(app):
    admin, person = f.user("admin"), f.applicant()
    theirs = fresh_client(app, person)
    token = issue_token(person.email, f.PASSWORD)[0]
    client = fresh_client(app, admin)
    assert client.post(f"/people/{person.id}/deactivate").status_code == 303
    assert theirs.get("/applications").status_code == 302
    assert theirs.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert fresh_client(app).post("/login", data={"email": person.email, "password": f.PASSWORD}).status_code == 401
    assert client.post(f"/people/{person.id}/reactivate").status_code == 303
    assert fresh_client(app).post("/login", data={"email": person.email, "password": f.PASSWORD}).status_code == 303
    assert _changes(person.id) == [(admin.id, "active", "True", "False"), (admin.id, "active", "False", "True")]


def test_an_admin_cannot_deactivate_or_demote_themselves(app):
    admin = f.user("admin")
    client = fresh_client(app, admin)
    client.post(f"/people/{admin.id}/deactivate")
    client.post(f"/people/{admin.id}/role", data={"role": "reviewer"})
    db.session.expire_all()
    assert db.session.get(User, admin.id).active and db.session.get(User, admin.id).role == Role.ADMIN
    assert _changes(admin.id) == []


def test_person_changes_are_append_only(app):
    admin, person = f.user("admin"), f.user("reviewer")
    fresh_client(app, admin).post(f"/people/{person.id}/deactivate")
    with pytest.raises(Exception, match="append-only"):
        db.session.execute(db.update(PersonChange).values(new="True"))
        db.session.flush()
    db.session.rollback()


def test_facilitators_register_organisations_and_invite_reviewers_only(app):
    facilitator = f.user("facilitator")
    client = fresh_client(app, facilitator)
    assert client.get("/people").status_code == 404
    assert client.post("/organizations/new", data={"name": "Caja Andina", "country": "BO", "network": "Red",
                                                   "legal_form": "Cooperativa"}).status_code == 303  # fmt: skip
    org = db.session.scalar(select(Organization).where(Organization.name == "Caja Andina"))
    assert (org.country, org.network, org.legal_form) == ("BO", "Red", "Cooperativa")
    assert client.post(f"/organizations/{org.id}", data={"name": "Caja Andina SA", "country": "PE"}).status_code == 303
    db.session.expire_all()
    assert (db.session.get(Organization, org.id).name, db.session.get(Organization, org.id).country) == (
        "Caja Andina SA", "PE")  # fmt: skip
    assert client.post("/people/new", data={"name": "Root", "email": "root@example.org", "role": "admin",
                                            "locale": "es"}).status_code == 422  # fmt: skip
    assert db.session.scalar(select(User).where(User.email == "root@example.org")) is None
    assert client.post("/people/new", data={"name": "Eva Reviewer", "email": "eva@example.org", "role": "reviewer",
                                            "locale": "es"}).status_code == 303  # fmt: skip
    eva = db.session.scalar(select(User).where(User.email == "eva@example.org"))
    assert eva.role == Role.REVIEWER and _changes(eva.id) == [(facilitator.id, "invitation", "", "reviewer")]
    assert client.post(f"/people/{eva.id}/deactivate").status_code == 404


def test_organisation_input_is_checked_and_nothing_changes_on_an_error(app):
    admin, org = f.user("admin"), f.organization()
    client = fresh_client(app, admin)
    assert client.post("/organizations/new", data={"name": org.name, "country": "PE"}).status_code == 422
    assert client.post("/organizations/new", data={"name": "Nueva", "country": "P1"}).status_code == 422
    assert client.post(f"/organizations/{org.id}", data={"name": "", "country": "PE"}).status_code == 422
    assert client.get("/organizations/999999").status_code == 404
    assert db.session.scalar(select(db.func.count()).select_from(Organization)) == 1


def test_people_are_found_by_name_role_and_organisation(app):
    admin, org = f.user("admin"), f.organization()
    member, reviewer = f.applicant(org), f.user("reviewer")
    client = fresh_client(app, admin)
    by_org = client.get(f"/people?organization_id={org.id}").get_data(as_text=True)
    assert member.name in by_org and reviewer.name not in by_org
    by_role = client.get("/people?role=reviewer").get_data(as_text=True)
    assert reviewer.name in by_role and member.name not in by_role
    assert '<option value="reviewer" selected>' in by_role
    assert " selected>" not in client.get("/people").get_data(as_text=True).split('name="organization_id"')[0]
    by_text = client.get(f"/people?q={reviewer.email[:9]}").get_data(as_text=True)
    assert reviewer.name in by_text and member.name not in by_text
    assert client.get("/people?role=x&organization_id=abc&q=%25_").status_code == 200


def test_reviewer_countries_and_languages_are_chosen_from_named_lists(app):
    facilitator, reviewer = f.user("facilitator"), f.user("reviewer", countries=["PE"], languages=["es"])
    client = fresh_client(app, facilitator)
    page = client.get(f"/reviewers/{reviewer.id}").get_data(as_text=True)
    assert '<select id="countries" multiple' in page and '<option selected value="PE">Perú</option>' in page
    assert '<option selected value="es">español</option>' in page
    answer = client.post(f"/reviewers/{reviewer.id}", data={"areas": ["gender"], "countries": ["BO", "PE"],
                                                            "languages": ["es", "qu"], "max_active_assignments": "2",
                                                            "active": "y"})  # fmt: skip
    assert answer.status_code == 303
    db.session.expire_all()
    saved = db.session.get(User, reviewer.id)
    assert (saved.countries, saved.languages) == (["BO", "PE"], ["es", "qu"])
    own = fresh_client(app, reviewer).get("/profile").get_data(as_text=True)
    assert '<select id="languages" multiple' in own


def test_the_reviewers_list_is_searched_by_name_or_e_mail(app):
    facilitator = f.user("facilitator")
    found, other = f.user("reviewer"), f.user("reviewer")
    with db.session.begin_nested():
        db.session.get(User, found.id).name = "Zoila Huamán"
    db.session.commit()
    page = fresh_client(app, facilitator).get("/reviewers?q=huam").get_data(as_text=True)
    assert "Zoila Huamán" in page and other.name not in page
    assert fresh_client(app, facilitator).get("/reviewers?q=%25%00_").status_code == 200
