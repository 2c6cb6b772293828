"""Evidence storage is capped per organisation: create → upload → withdraw → again frees nothing.

The reviewed attack: the 500 MB limit was per application, so an applicant could create an application,
fill it, withdraw it and start again forever. Every application's evidence of the organisation now counts
(withdrawn ones included), under EVIDENCE_MAX_ORGANIZATION_BYTES, checked with the organisation row locked.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import func, select

from certification.accounts.models import User
from certification.errors import TooLarge
from certification.evidence import services as evidence_services
from certification.evidence.models import Evidence
from certification.extensions import db
from tests import factories as f
from tests.api.helpers import as_user, error_of
from tests.integration.test_concurrency import Rendezvous, race
from tests.web.helpers import fresh_client

BODY = f.PDF + b"%" + b"x" * 1000 + b"\n"
ENGLISH = (
    "This file would take your organisation's evidence over its total storage limit. The evidence of every "
    "application counts, withdrawn ones included."
)
SPANISH = "Este archivo llevaría la evidencia de su organización por encima de su límite total de almacenamiento."


@pytest.fixture(autouse=True)
def _session(app, monkeypatch):
    f.fast_password_hashing(monkeypatch)
    # Room for three files per organisation, and far more per application: only the new cap can refuse.
    monkeypatch.setitem(app.config, "EVIDENCE_MAX_ORGANIZATION_BYTES", 3 * len(BODY))
    monkeypatch.setitem(app.config, "EVIDENCE_MAX_APPLICATION_BYTES", 100 * len(BODY))
    yield
    f.release_session()


def files_under(root: str) -> set[Path]:
    return {p for p in Path(root).rglob("*") if p.is_file()}


def upload_form(code: str) -> dict:
    return {"data": {"file": (io.BytesIO(BODY), "acta.pdf"), "indicators": code}, "content_type": "multipart/form-data"}


def test_create_upload_withdraw_and_again_is_stopped_by_the_organisation_cap_in_the_web_form_and_the_api(app):
    walk = f.Walk()  # the organisation's first application, created through the service
    api = as_user(app.test_client(), walk.applicant)
    code = walk.essential[0]
    application_id = walk.id
    for _round in range(3):
        stored = api.post(f"/applications/{application_id}/evidence", **upload_form(code))
        assert stored.status_code == 201, stored.get_json()
        withdraw = {"event": "withdraw", "reason": "Empezamos de nuevo."}
        withdrawn = api.post(f"/applications/{application_id}/events", json=withdraw)
        assert withdrawn.status_code == 200, withdrawn.get_json()
        created = api.post("/applications", json={"standard_id": walk.std.id})
        assert created.status_code == 201, created.get_json()
        application_id = created.get_json()["id"]

    # A brand-new, empty application: the per-application quota has all its room, the organisation none.
    root = app.config["EVIDENCE_DIR"]
    before_files, before_rows = files_under(root), f.database_rows()
    refused = api.post(f"/applications/{application_id}/evidence?lang=en", **upload_form(code))
    assert refused.status_code == 413
    assert error_of(refused) == {"code": "too_large", "message": ENGLISH, "details": {}}
    refused = api.post(f"/applications/{application_id}/evidence?lang=es", **upload_form(code))
    assert refused.status_code == 413 and error_of(refused)["message"].startswith(SPANISH)

    web = fresh_client(app, walk.applicant)
    answer = web.post(f"/applications/{application_id}/evidence", **upload_form(code))
    assert answer.status_code == 303
    page = web.get(answer.headers["Location"]).get_data(as_text=True)
    assert SPANISH in page  # the applicant's language
    assert files_under(root) == before_files
    assert f.database_rows() == before_rows

    # Another organisation is not affected.
    other = f.Walk()
    assert evidence_services.upload(other.applicant, other.id, io.BytesIO(BODY), "a.pdf", [code]).size == len(BODY)


def test_the_cap_counts_every_application_of_the_organisation_to_the_byte(app):
    first = f.Walk()
    code = first.essential[0]
    evidence_services.upload(first.applicant, first.id, io.BytesIO(BODY), "a.pdf", [code])
    first.fire(first.applicant, "withdraw", "Cambio de gerencia.")
    second = f.Walk(org=first.org)  # another person of the same organisation, a new application
    exactly = BODY + b"y" * len(BODY)  # with the withdrawn application's file: the organisation's limit exactly
    with pytest.raises(TooLarge):
        evidence_services.upload(second.applicant, second.id, io.BytesIO(exactly + b"z"), "b.pdf", [code])
    assert evidence_services.upload(second.applicant, second.id, io.BytesIO(exactly), "b.pdf", [code]).size
    assert evidence_services.stored_bytes(first.org.id, first.id) == (3 * len(BODY), len(BODY))
    with pytest.raises(TooLarge):
        evidence_services.upload(second.applicant, second.id, io.BytesIO(b"%PDF-1.4\n"), "c.pdf", [code])


@pytest.mark.postgres_only  # the organisation row lock is PostgreSQL's; SQLite runs one writer at a time
def test_two_uploads_of_one_organisation_at_once_cannot_both_take_the_last_room(app, monkeypatch):
    first = f.Walk()
    code = first.essential[0]
    evidence_services.upload(first.applicant, first.id, io.BytesIO(BODY), "a.pdf", [code])
    first.fire(first.applicant, "withdraw", "Otra vez.")
    second = f.Walk(org=first.org)
    evidence_services.upload(second.applicant, second.id, io.BytesIO(BODY), "b.pdf", [code])
    # What is left holds one more file of this size, not two.
    monkeypatch.setitem(app.config, "EVIDENCE_MAX_ORGANIZATION_BYTES", 4 * len(BODY) - 1)
    applicant_id, application_id = second.applicant.id, second.id
    root = app.config["EVIDENCE_DIR"]
    before = files_under(root)
    f.release_session()

    rendezvous = Rendezvous()
    real = evidence_services._storage_room

    def held(application, size):
        if size:  # the check made once the organisation row is locked (the first look passes size 0)
            rendezvous.meet()
        return real(application, size)

    monkeypatch.setattr(evidence_services, "_storage_room", held)

    def upload_one():
        user = db.session.get(User, applicant_id)
        return evidence_services.upload(user, application_id, io.BytesIO(BODY), "c.pdf", [code]).id

    outcomes = race(app, rendezvous, [upload_one, upload_one])
    stored = [o for o in outcomes if isinstance(o, int)]
    refused = [o for o in outcomes if isinstance(o, BaseException)]
    assert len(stored) == 1 and len(refused) == 1, outcomes
    assert isinstance(refused[0], TooLarge), repr(refused[0])
    assert db.session.scalar(select(func.count(Evidence.id))) == 3
    added = files_under(root) - before
    assert len(added) == 1 and "incoming" not in added.pop().parts
