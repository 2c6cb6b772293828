"""Reviewer profiles through the web UI: facilitators edit areas, countries, languages, capacity and affiliations;
reviewers edit their own languages and declare conflicts. Bad input changes nothing and never answers 500."""

from __future__ import annotations

from sqlalchemy import select

from certification.accounts.models import Affiliation, User
from certification.extensions import db
from certification.reviewers.models import DeclaredConflict
from tests import factories as f
from tests.reviewing import english
from tests.web.helpers import login


def _reload(user) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


def test_a_facilitator_edits_a_reviewer_profile_and_bad_input_changes_nothing(app, client):
    facilitator = f.user("facilitator")
    reviewer = f.reviewer("gender")
    english(facilitator)
    login(client, facilitator)
    assert reviewer.name in client.get("/reviewers").get_data(as_text=True)
    assert client.get(f"/reviewers/{reviewer.id}").status_code == 200
    r = client.post(
        f"/reviewers/{reviewer.id}",
        data={
            "areas": ["gender", "rural"],
            "countries": "pe, BO",
            "languages": "es, QU",
            "max_active_assignments": "4",
            "active": "y",
        },
    )
    assert r.status_code == 303
    saved = _reload(reviewer)
    assert (saved.areas, saved.countries, saved.languages, saved.max_active_assignments, saved.active) == (
        ["gender", "rural"],
        ["PE", "BO"],
        ["es", "qu"],
        4,
        True,
    )

    for bad in (
        {"areas": ["gender"], "countries": "Peru", "languages": "es", "max_active_assignments": "2"},
        {"areas": ["space"], "countries": "PE", "languages": "es", "max_active_assignments": "2"},
        {"areas": ["gender"], "countries": "PE", "languages": "español", "max_active_assignments": "2"},
        {"areas": ["gender"], "countries": "PE", "languages": "es", "max_active_assignments": "-1"},
        {"areas": ["gender"], "countries": "PE", "languages": "es", "max_active_assignments": "many"},
    ):
        r = client.post(f"/reviewers/{reviewer.id}", data=bad, follow_redirects=True)
        assert r.status_code == 200, bad
        assert _reload(reviewer).max_active_assignments == 4, bad
    assert client.get("/reviewers/999999").status_code == 404


def test_a_facilitator_records_ends_and_removes_affiliations_with_kind_and_dates(app, client):
    facilitator = f.user("facilitator")
    reviewer = f.reviewer("gender")
    org = f.organization("Caja Rural Los Andes")
    english(facilitator)
    login(client, facilitator)
    r = client.post(
        f"/reviewers/{reviewer.id}/affiliations",
        data={"organization_id": org.id, "kind": "board", "since": "2021-03-01"},
    )
    assert r.status_code == 303
    affiliation = db.session.scalar(select(Affiliation).where(Affiliation.user_id == reviewer.id))
    assert (affiliation.kind.value, affiliation.since.isoformat(), affiliation.until) == ("board", "2021-03-01", None)
    page = client.get(f"/reviewers/{reviewer.id}").get_data(as_text=True)
    assert "Caja Rural Los Andes" in page and "conflict of interest" in page
    r = client.post(f"/affiliations/{affiliation.id}/end", data={"until": "2020-01-01"}, follow_redirects=True)
    assert "The end date cannot be before the start date." in r.get_data(as_text=True)
    client.post(f"/affiliations/{affiliation.id}/end", data={"until": "2023-06-30"})
    db.session.expire_all()
    assert db.session.get(Affiliation, affiliation.id).until.isoformat() == "2023-06-30"
    for bad in (
        {"organization_id": org.id, "kind": "cousin", "since": "2021-03-01"},
        {"organization_id": 999999, "kind": "board", "since": "2021-03-01"},
        {"organization_id": org.id, "kind": "board", "since": "yesterday"},
        {"organization_id": org.id, "kind": "board", "since": "2021-03-01", "until": "2020-01-01"},
    ):
        assert client.post(f"/reviewers/{reviewer.id}/affiliations", data=bad).status_code == 303, bad
    assert db.session.scalar(select(db.func.count(Affiliation.id))) == 1, "bad input changed nothing"
    client.post(f"/affiliations/{affiliation.id}/delete")
    assert db.session.scalar(select(db.func.count(Affiliation.id))) == 0


def test_a_reviewer_edits_own_languages_and_declares_conflicts_but_not_the_rest(app, client):
    reviewer = f.reviewer("gender")
    org = f.organization("Financiera Confianza Rural")
    english(reviewer)
    login(client, reviewer)
    assert client.get("/profile").status_code == 200
    assert client.post("/profile/languages", data={"languages": "es, ay"}).status_code == 303
    assert _reload(reviewer).languages == ["es", "ay"]
    client.post("/profile/languages", data={"languages": "es, 12"})
    assert _reload(reviewer).languages == ["es", "ay"], "bad codes change nothing"
    r = client.post("/profile/conflicts", data={"organization_id": org.id, "reason": ""}, follow_redirects=True)
    assert r.status_code == 200 and db.session.scalar(select(db.func.count(DeclaredConflict.id))) == 0
    client.post("/profile/conflicts", data={"organization_id": org.id, "reason": "Mi cónyuge es gerente."})
    conflict = db.session.scalar(select(DeclaredConflict))
    assert (conflict.reviewer_id, conflict.organization_id) == (reviewer.id, org.id)
    assert "Financiera Confianza Rural" in client.get("/profile").get_data(as_text=True)

    for url in ("/reviewers", f"/reviewers/{reviewer.id}"):
        assert client.get(url).status_code == 404
    before = _reload(reviewer).max_active_assignments
    r = client.post(f"/reviewers/{reviewer.id}", data={"areas": ["gender"], "max_active_assignments": "50"})
    assert r.status_code == 404 and _reload(reviewer).max_active_assignments == before
    assert client.post(f"/declared-conflicts/{conflict.id}/delete").status_code == 404
    facilitator = f.user("facilitator")
    login(client, facilitator)
    assert client.get("/profile").status_code == 404
    client.post(f"/declared-conflicts/{conflict.id}/delete")
    assert db.session.scalar(select(db.func.count(DeclaredConflict.id))) == 0
