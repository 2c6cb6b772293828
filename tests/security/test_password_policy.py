"""One password rule for the API, the command line and every service that sets a password: long enough, not
guessable (zxcvbn), not made of the person's e-mail or name — refused with the reason, in the reader's language."""

from __future__ import annotations

import pytest

from certification.accounts.passwords import ABOUT_YOU, TOO_GUESSABLE, TOO_SHORT_OR_LONG, password_problems
from certification.accounts.services import change_password
from certification.demo import DEMO_PASSWORD, LOGINS
from certification.errors import ValidationFailed
from tests import factories as f
from tests.api.helpers import as_user, error_of

GUESSABLE = ["aaaaaaaaaaaa", "password1234", "qwertyuiop123", "abcdefghijkl", "123456789012", "iloveyou2026",
             "19801980198019", "Password2026!"]  # fmt: skip


def _new_user(password: str, **extra) -> dict:
    return {"email": "ana.quispe@example.org", "name": "Ana Quispe", "role": "facilitator", "password": password,
            **extra}  # fmt: skip


@pytest.fixture(autouse=True)
def _session(app, monkeypatch):
    f.fast_password_hashing(monkeypatch)
    yield
    f.release_session()


def test_twelve_times_the_same_letter_is_refused_by_the_api_with_the_reason(app, client):
    api = as_user(client, f.user("admin"))
    response = api.post("/users?lang=en", json=_new_user("aaaaaaaaaaaa"))
    assert response.status_code == 422
    reasons = error_of(response)["details"]["fields"]["password"]
    assert reasons[0].startswith("This password is too easy to guess")
    assert any("Repeated characters" in reason for reason in reasons)
    spanish = api.post("/users?lang=es", json=_new_user("aaaaaaaaaaaa"))
    assert "demasiado fácil de adivinar" in error_of(spanish)["details"]["fields"]["password"][0]


@pytest.mark.parametrize("password", GUESSABLE)
def test_common_and_patterned_passwords_are_refused(password):
    assert TOO_GUESSABLE in password_problems(password, email="ana@example.org", name="Ana Quispe")


@pytest.mark.parametrize("password", ["AnaQuispe-2026-x!", "quispe and the mountain", "ana.quispe.segura"])
def test_a_password_made_of_the_persons_e_mail_or_name_is_refused(password):
    assert ABOUT_YOU in password_problems(password, email="ana.quispe@example.org", name="Ana Quispe")


@pytest.mark.parametrize("password", ["", "corta", "x" * 257, None, 12345678901234])
def test_a_password_of_the_wrong_length_or_type_is_refused(password):
    assert password_problems(password, email="a@example.org", name="A") == [TOO_SHORT_OR_LONG]


def test_the_demo_loads_and_every_demo_person_logs_in_with_the_documented_password(app, runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    for email, _role, _what in LOGINS:
        answer = app.test_client().post("/login", data={"email": email, "password": DEMO_PASSWORD})
        assert answer.status_code == 303, email
    assert password_problems(f.PASSWORD, email="applicant1@example.org", name="Applicant 1") == []


def test_the_command_line_refuses_a_weak_password_and_says_why(app, runner):
    result = runner.invoke(
        args=["users", "create", "ana@example.org", "--name", "Ana", "--role", "facilitator", "--password-stdin"],
        input="password1234\n",
    )
    assert result.exit_code == 1
    assert "User not created" in result.output and "too easy to guess" in result.output
    assert "most common passwords" in result.output


def test_a_new_password_follows_the_same_rule(app, runner):
    person = f.applicant()
    with pytest.raises(ValidationFailed) as refused:
        change_password(person, "aaaaaaaaaaaa")
    assert TOO_GUESSABLE in refused.value.fields["password"]
    result = runner.invoke(args=["users", "set-password", person.email, "--password-stdin"], input="qwertyuiop123\n")
    assert result.exit_code == 1 and "Password not changed" in result.output


def test_the_minimum_score_is_a_setting(app, monkeypatch):
    monkeypatch.setitem(app.config, "PASSWORD_MIN_SCORE", 4)
    assert TOO_GUESSABLE in password_problems("ilovemydog123", email="a@example.org", name="A")
    monkeypatch.setitem(app.config, "PASSWORD_MIN_SCORE", 2)
    assert password_problems("ilovemydog123", email="a@example.org", name="A") == []
