"""French everywhere a person reads: e-mails, API messages, a person's own locale."""

from __future__ import annotations

from pathlib import Path

import jinja2
import pytest
from jinja2 import meta
from sqlalchemy import select

from certification.extensions import db
from certification.notifications.messages import TEXTS
from certification.notifications.models import MailMessage
from certification.notifications.services import notify
from certification.outbox.services import commit
from config.settings import LANGUAGES
from tests import factories as f
from tests.api.helpers import as_user, error_of

EMAILS = Path(__file__).resolve().parents[2] / "templates" / "emails"


@pytest.fixture(autouse=True)
def _fast(app, monkeypatch):
    f.fast_password_hashing(monkeypatch)


def _variables(path: Path) -> set[str]:
    return meta.find_undeclared_variables(jinja2.Environment(autoescape=True).parse(path.read_text(encoding="utf-8")))


def test_every_mail_exists_in_every_language_with_the_same_variables(app):
    kinds = {p.stem for p in (EMAILS / "en").glob("*.txt")}
    # `event` is the mail of every kind without a template of its own, `digest` the daily digest, `_…` a part;
    # `invitation` and `reset` carry account links, not notifications.
    own_kinds = {k for k in kinds if not k.startswith("_")} - {"event", "digest", "invitation", "reset"}
    assert "records_broken" in kinds and own_kinds <= set(TEXTS)
    for kind in kinds:
        english = _variables(EMAILS / "en" / f"{kind}.txt")
        for locale in LANGUAGES:
            path = EMAILS / locale / f"{kind}.txt"
            assert path.exists(), f"missing {path}"
            assert _variables(path) == english, f"{path}: placeholders differ from English"


def test_a_french_speaking_person_gets_mail_in_french(app):
    person = f.user("facilitator", locale="fr")
    notify([person.id], "pilot_round_closing", {"round": "Pilote HT", "closes_on": "2026-12-31"}, link="/")
    commit()
    mail = db.session.scalar(select(MailMessage).where(MailMessage.user_id == person.id))
    assert mail.locale == "fr"
    assert mail.subject == "La ronde pilote Pilote HT se clôt le 2026-12-31"
    assert "Bonjour" in mail.body_text and "Ouvrir dans Sello" in mail.body_text


def test_the_api_answers_in_french_on_request_and_in_a_french_speakers_own_locale(app, client):
    walk = f.Walk()
    indicator = next(i for i in walk.indicators if not i.allows_na)
    path = f"/applications/{walk.id}/self-assessment/{indicator.code}"
    expected = [f"Choisissez un nombre entier de {indicator.scale_min} à {indicator.scale_max}."]
    response = as_user(client, walk.applicant).put(path + "?lang=fr", {"rating": 99, "explanation": "x"})
    assert error_of(response)["details"]["fields"]["rating"] == expected
    from certification.accounts.services import set_locale

    set_locale(walk.applicant, "fr")
    response = as_user(client, walk.applicant).put(path, {"rating": 99, "explanation": "x"})
    assert error_of(response)["details"]["fields"]["rating"] == expected
