"""Messages with parameters reach the person in their language, parameters filled in (none stays English)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import update

from certification.applications.services import expire_due_certificates
from certification.certificates.models import Certificate
from certification.extensions import db
from tests import factories as f
from tests.api.helpers import as_user, error_of
from tests.web.helpers import login


def test_an_unknown_indicator_in_a_change_request_reads_in_spanish_in_the_ui(app, client):
    walk = f.Walk().start_review()
    login(client, walk.facilitator)
    response = client.post(
        f"/applications/{walk.id}/events?lang=es",
        data={"event": "request_changes", "reason": "Falta el acta.", "indicators": ["NOPE.1"]},
        follow_redirects=True,
    )
    text = response.get_data(as_text=True)
    assert "Indicadores desconocidos: NOPE.1." in text
    assert "Unknown indicators" not in text


def test_a_rating_off_the_scale_reads_in_spanish_in_the_api_with_the_scale_filled_in(app, client):
    walk = f.Walk()
    indicator = next(i for i in walk.indicators if not i.allows_na)
    response = as_user(client, walk.applicant).put(
        f"/applications/{walk.id}/self-assessment/{indicator.code}?lang=es", {"rating": 99, "explanation": "x"}
    )
    assert response.status_code == 422
    expected = f"Elija un número entero de {indicator.scale_min} a {indicator.scale_max}."
    assert error_of(response)["details"]["fields"]["rating"] == [expected]
    english = as_user(client, walk.applicant).put(
        f"/applications/{walk.id}/self-assessment/{indicator.code}?lang=en", {"rating": 99, "explanation": "x"}
    )
    assert error_of(english)["details"]["fields"]["rating"] == [
        f"Choose a whole number from {indicator.scale_min} to {indicator.scale_max}."
    ]


def test_a_system_reason_in_the_history_reads_in_spanish(app, client):
    walk = f.Walk().certify()
    db.session.execute(
        update(Certificate).where(Certificate.application_id == walk.id).values(expires_on=date(2000, 1, 1))
    )
    db.session.commit()
    assert expire_due_certificates() == 1
    login(client, walk.facilitator)
    text = client.get(f"/applications/{walk.id}?lang=es").get_data(as_text=True)
    assert "Terminó la vigencia del certificado." in text
    assert "Certificate validity ended." not in text
