"""Self-service through the web client: the account page (password, language), forgot-password and the
set-password links (reset and invitation): expired, reused and foreign links are refused."""

from __future__ import annotations

import re
import time

from itsdangerous import TimestampSigner
from sqlalchemy import select

from certification.accounts import links
from certification.accounts.models import User
from certification.extensions import db
from certification.notifications.models import MailMessage
from tests import factories as f
from tests.web.helpers import fresh_client

NEW_PASSWORD = "plum orchard lantern 42"


def _mails_to(address: str) -> list[MailMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(MailMessage).where(MailMessage.to_address == address)))


def _path_in(body: str) -> str:
    return re.search(r"(/(?:password/reset|welcome)/[A-Za-z0-9_.\-]+)", body).group(1)


def test_changing_the_password_needs_the_current_one_and_ends_every_other_session(app):
    person = f.user("facilitator")
    here, elsewhere = fresh_client(app, person), fresh_client(app, person)
    wrong = here.post("/account/password", data={"current_password": "not it at all", "new_password": NEW_PASSWORD})
    assert wrong.status_code == 422
    assert "La contraseña actual no es correcta" in wrong.get_data(as_text=True)
    weak = here.post("/account/password", data={"current_password": f.PASSWORD, "new_password": "short"})
    assert weak.status_code == 422
    assert elsewhere.get("/account").status_code == 200  # nothing changed yet

    done = here.post("/account/password", data={"current_password": f.PASSWORD, "new_password": NEW_PASSWORD})
    assert done.status_code == 303
    assert here.get("/account").status_code == 200  # this browser stays signed in with a fresh session
    assert elsewhere.get("/account").status_code == 302  # the other one is signed out
    again = fresh_client(app)
    assert again.post("/login", data={"email": person.email, "password": NEW_PASSWORD}).status_code == 303


def test_a_person_chooses_their_language_on_the_account_page(app):
    person = f.user("reviewer")
    client = fresh_client(app, person)
    assert client.post("/account/language", data={"locale": "fr"}).status_code == 303
    db.session.expire_all()
    assert db.session.get(User, person.id).locale == "fr"
    assert client.post("/account/language", data={"locale": "xx"}).status_code == 303
    db.session.expire_all()
    assert db.session.get(User, person.id).locale == "fr"


def test_forgot_password_mails_a_single_use_link_in_the_person_s_language(app):
    person = f.user("applicant", organization_id=f.organization().id)
    person.locale = "fr"
    db.session.commit()
    logged_in = fresh_client(app, person)
    client = fresh_client(app)
    answer = client.post("/password/forgot", data={"email": person.email.upper()}, follow_redirects=True)
    unknown = fresh_client(app).post("/password/forgot", data={"email": "nobody@example.org"}, follow_redirects=True)
    assert answer.status_code == unknown.status_code == 200
    assert "Si esta dirección corresponde a una cuenta" in answer.get_data(as_text=True)
    assert "Si esta dirección corresponde a una cuenta" in unknown.get_data(as_text=True)
    assert _mails_to("nobody@example.org") == []
    [mail] = _mails_to(person.email)
    assert mail.locale == "fr" and "mot de passe" in mail.subject
    path = _path_in(mail.body_text)

    assert client.get(path).status_code == 200
    assert client.post(path, data={"password": NEW_PASSWORD}).status_code == 303
    assert client.get("/account").status_code == 200  # signed in by the link
    assert logged_in.get("/account").status_code == 302  # every other session ended
    reused = fresh_client(app).post(path, data={"password": "another long passphrase 7"})
    assert reused.status_code == 410
    assert fresh_client(app).post("/login", data={"email": person.email, "password": NEW_PASSWORD}).status_code == 303


def test_an_expired_or_foreign_set_password_link_is_refused(app, monkeypatch):
    person = f.user("reviewer")
    real_timestamp = TimestampSigner.get_timestamp
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: int(time.time()) - 3 * 3600)
    old_reset = links.make_token(person, links.RESET)
    monkeypatch.setattr(TimestampSigner, "get_timestamp", real_timestamp)
    client = fresh_client(app)
    expired = client.post(f"/password/reset/{old_reset}", data={"password": NEW_PASSWORD})
    assert expired.status_code == 410 and "venció" in expired.get_data(as_text=True)
    invitation = links.make_token(person, links.INVITATION)
    assert client.get(f"/password/reset/{invitation}").status_code == 410  # one kind cannot stand in for the other
    assert client.get("/welcome/not.signed.by-us").status_code == 410
    db.session.expire_all()
    assert fresh_client(app).post("/login", data={"email": person.email, "password": f.PASSWORD}).status_code == 303


def test_forgot_password_requests_are_limited_per_account_known_or_not(app):
    person = f.user("facilitator")
    client = fresh_client(app)
    for _ in range(3):
        assert client.post("/password/forgot", data={"email": person.email}).status_code == 303
    assert client.post("/password/forgot", data={"email": person.email}).status_code == 429
    assert len(_mails_to(person.email)) == 3
    for _ in range(3):
        client.post("/password/forgot", data={"email": "nobody@example.org"})
    assert client.post("/password/forgot", data={"email": "nobody@example.org"}).status_code == 429


def test_a_deactivated_person_s_reset_link_stops_working(app):
    person = f.user("reviewer")
    fresh_client(app).post("/password/forgot", data={"email": person.email})
    path = _path_in(_mails_to(person.email)[0].body_text)
    person = db.session.get(User, person.id)
    person.active = False
    db.session.commit()
    assert fresh_client(app).get(path).status_code == 410


def test_an_operator_prints_a_single_use_set_password_link_from_the_command_line(app):
    person = f.user("reviewer")
    result = app.test_cli_runner().invoke(args=["users", "password-link", person.email])
    assert result.exit_code == 0, result.output
    path = _path_in(result.output)
    client = fresh_client(app)
    assert client.post(path, data={"password": NEW_PASSWORD}).status_code == 303
    assert fresh_client(app).get(path).status_code == 410
    unknown = app.test_cli_runner().invoke(args=["users", "password-link", "nobody@example.org"])
    assert unknown.exit_code != 0
