"""/standards and /standards/{id}: what each role may see, and the tree of one version."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from certification.extensions import db
from certification.seals.models import Standard, StandardStatus
from tests import factories as f
from tests.api.helpers import as_user, error_of


@pytest.fixture
def draft_standard(app):
    """The consultation version of the gender seal, put back to draft for one test."""
    standard = db.session.scalar(select(Standard).where(Standard.status == StandardStatus.CONSULTATION))
    standard.status = StandardStatus.DRAFT
    db.session.commit()
    yield standard
    standard.status = StandardStatus.CONSULTATION
    db.session.commit()


def test_members_see_every_version_but_drafts_and_staff_see_all(app, client, draft_standard):
    everything = set(db.session.scalars(select(Standard.id)))
    applicant = as_user(client, f.applicant()).get("/standards?per_page=100").get_json()
    assert {s["id"] for s in applicant["items"]} == everything - {draft_standard.id}
    assert applicant["total"] == len(everything) - 1 and applicant["page"] == 1 and applicant["per_page"] == 100
    staff = as_user(client, f.user("facilitator")).get("/standards?per_page=100").get_json()
    assert {s["id"] for s in staff["items"]} == everything
    assert [s["id"] for s in staff["items"]] == sorted(everything), "ordered by id"
    item = next(s for s in staff["items"] if s["id"] == draft_standard.id)
    assert set(item) == {"id", "code", "area", "version", "status", "title"} and item["status"] == "draft"


def test_a_standard_version_comes_with_settings_dimensions_and_indicators(app, client):
    std = f.standard("gender")
    body = as_user(client, f.user("reviewer", locale="en")).get(f"/standards/{std.id}").get_json()
    assert (body["code"], body["area"], body["title"]) == (std.code, "gender", std.title_en)
    assert body["settings"]["min_reviewers"] == std.min_reviewers
    assert body["settings"]["pass_threshold"] == std.pass_threshold
    assert [lv["code"] for lv in body["settings"]["levels"]] == [lv["code"] for lv in std.levels]
    indicators = [i for d in body["dimensions"] for i in d["indicators"]]
    assert [i["code"] for i in indicators] == [i.code for i in f.indicators(std)]
    assert set(indicators[0]) == {"code", "weight", "essential", "scale_min", "scale_max", "allows_na", "text"}
    assert indicators[0]["text"] == f.indicators(std)[0].text_en


def test_a_draft_version_is_not_found_for_members_like_a_missing_one(app, client, draft_standard):
    api = as_user(client, f.applicant())
    hidden, missing = api.get(f"/standards/{draft_standard.id}"), api.get("/standards/987654")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.get_json() == missing.get_json() and error_of(hidden)["code"] == "not_found"
    assert as_user(client, f.user("admin")).get(f"/standards/{draft_standard.id}").status_code == 200


def test_a_standard_version_reads_in_french_for_a_french_speaker(app, client):
    std = f.standard("gender")
    body = as_user(client, f.user("reviewer", locale="fr")).get(f"/standards/{std.id}").get_json()
    first = f.indicators(std)[0]
    assert body["title"] == std.title("fr") == "Sceau d'équité de genre"
    assert body["description"].startswith("Certifie les institutions de microfinance (IMF)")
    assert body["dimensions"][0]["title"] == "Engagement institutionnel et gouvernance"
    assert body["dimensions"][0]["indicators"][0]["text"] == first.translations["fr"]["text"] != first.text_es
    assert [lv["name"] for lv in body["settings"]["levels"]] == ["Bronze", "Argent", "Or"]
