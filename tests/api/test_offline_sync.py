"""The offline sync endpoints: what a device may keep, and changes applied once, in order, never over a newer
score, with exactly the online scoring path's validation."""

from __future__ import annotations

import re

import pytest

from certification.extensions import db
from certification.offline.models import OfflineChange
from certification.reviews import services as reviews
from certification.reviews.models import ReviewScore
from tests.api.helpers import Case, as_user, error_of
from tests.web.helpers import QueryCounter, login

PACKAGE_STATEMENTS = 14  # token, user, assignment, standard tree (3), scores, self-assessment, evidence (2), …
CHANGE_STATEMENTS = 11  # token, user, receipt, assignment, application (2), indicator, score, writes


def _change(code, key, score, comment="Verificado en el acta de la UNICA.", base_version=0, **extra):
    return {"key": key, "indicator_code": code, "score": score, "comment": comment, "base_version": base_version,
            **extra}  # fmt: skip


def _stored(assignment_id: int, indicator) -> ReviewScore | None:
    db.session.expire_all()
    return db.session.query(ReviewScore).filter_by(assignment_id=assignment_id, indicator_id=indicator.id).one_or_none()


@pytest.fixture
def case(app):
    return Case().under_review()


def test_the_device_may_keep_only_the_reviewers_accepted_assignments(app, client, case):
    api = as_user(client, case.reviewers[0])
    items = api.get("/offline/assignments").get_json()["items"]
    assert [i["id"] for i in items] == [case.assignments[0].id] and items[0]["editable"] is True
    package = api.get(f"/offline/assignments/{case.assignments[0].id}").get_json()
    indicators = [i for d in package["dimensions"] for i in d["indicators"]]
    assert [i["code"] for i in indicators] == [i.code for i in case.indicators]
    first = case.indicators[0]
    assert indicators[0]["rules"] == {
        "scale_min": first.scale_min,
        "scale_max": first.scale_max,
        "allows_na": first.allows_na,
        "comment_required": True,
        "comment_max": 5000,
    }
    assert len(indicators[0]["rubric"]) == first.scale_max - first.scale_min + 1
    assert indicators[0]["self_assessment"]["explanation"] == "Política aprobada."
    assert package["evidence"] and package["evidence"][0]["filename"] == "politica.pdf"
    linked = {i["code"] for i in indicators if package["evidence"][0]["id"] in i["evidence_ids"]}
    assert linked == set(case.essential), linked
    other = api.get(f"/offline/assignments/{case.assignments[1].id}")
    assert other.status_code == 404 and error_of(other)["code"] == "not_found"


def test_a_withdrawn_or_submitted_assignment_is_no_longer_kept(app, client, case):
    reviews.withdraw_assignment(case.facilitator, case.assignments[0].id, "Replaced after the visit.", None, None)
    api = as_user(client, case.reviewers[0])
    assert api.get("/offline/assignments").get_json()["items"] == []
    assert api.get(f"/offline/assignments/{case.assignments[0].id}").status_code == 404
    response = api.post(
        f"/offline/assignments/{case.assignments[0].id}/changes",
        _change(case.indicators[0].code, "withdrawn-0001", case.indicators[0].scale_max),
    )
    assert response.status_code == 409 and error_of(response)["code"] == "not_editable"
    assert _stored(case.assignments[0].id, case.indicators[0]) is None


def test_a_change_sent_twice_is_applied_once(app, client, case):
    api = as_user(client, case.reviewers[0])
    assignment, first = case.assignments[0], case.indicators[0]
    path = f"/offline/assignments/{assignment.id}/changes"
    body = _change(first.code, "device-a-0001", first.scale_max)
    answer = api.post(path, body)
    assert answer.status_code == 200 and answer.get_json() == {"key": "device-a-0001", "indicator_code": first.code,
                                                               "version": 1, "replayed": False}  # fmt: skip
    again = api.post(path, body)
    assert again.status_code == 200 and again.get_json()["replayed"] is True and again.get_json()["version"] == 1
    row = _stored(assignment.id, first)
    assert (row.score, row.comment, row.version) == (first.scale_max, body["comment"], 1)
    assert db.session.query(OfflineChange).filter_by(key="device-a-0001").count() == 1


def test_changes_apply_in_order_and_a_late_duplicate_changes_nothing(app, client, case):
    api = as_user(client, case.reviewers[0])
    assignment, first = case.assignments[0], case.indicators[0]
    path = f"/offline/assignments/{assignment.id}/changes"
    one = _change(first.code, "device-a-0001", first.scale_min, "Primera visita.")
    two = _change(first.code, "device-a-0002", first.scale_max, "Segunda visita, con actas.", base_version=1)
    early = api.post(path, two)  # the second change before the first: its base is not the server's yet
    assert early.status_code == 409 and error_of(early)["code"] == "concurrent_update"
    assert api.post(path, one).get_json()["version"] == 1
    assert api.post(path, two).get_json()["version"] == 2
    assert api.post(path, one).get_json() == {"key": "device-a-0001", "indicator_code": first.code, "version": 1,
                                              "replayed": True}  # fmt: skip
    row = _stored(assignment.id, first)
    assert (row.score, row.comment, row.version) == (first.scale_max, "Segunda visita, con actas.", 2)


def test_a_score_saved_elsewhere_meanwhile_is_never_overwritten(app, client, case):
    api = as_user(client, case.reviewers[0])
    assignment, first = case.assignments[0], case.indicators[0]
    reviews.save_score(case.reviewers[0], assignment.id, first.code, first.scale_min, "Desde la oficina.")
    response = api.post(
        f"/offline/assignments/{assignment.id}/changes",
        _change(first.code, "field-0001", first.scale_max, "Desde el campo."),
    )
    error = error_of(response)
    assert response.status_code == 409 and error["code"] == "concurrent_update"
    current = error["details"]["current"]
    assert (current["score"], current["comment"], current["version"]) == (first.scale_min, "Desde la oficina.", 1)
    row = _stored(assignment.id, first)
    assert (row.score, row.comment) == (first.scale_min, "Desde la oficina.")
    keep_mine = api.post(
        f"/offline/assignments/{assignment.id}/changes",
        _change(first.code, "field-0002", first.scale_max, "Desde el campo.", base_version=1),
    )
    assert keep_mine.status_code == 200 and _stored(assignment.id, first).comment == "Desde el campo."


def test_validation_is_the_online_scoring_paths(app, client, case):
    api = as_user(client, case.reviewers[0])
    assignment = case.assignments[0]
    first = case.indicators[0]
    no_na = next(i for i in case.indicators if not i.allows_na)
    for n, (code, score, comment, extra) in enumerate((
        (first.code, first.scale_max + 1, "x", {}),
        (first.code, 1, "   ", {}),
        (first.code, 1, "x", {"evidence_ids": [987654]}),
        (no_na.code, None, "x", {}),
        ("NOPE-9", 1, "x", {}),
    )):  # fmt: skip
        online = api.put(f"/assignments/{assignment.id}/scores/{code}", {"score": score, "comment": comment, **extra})
        offline = api.post(
            f"/offline/assignments/{assignment.id}/changes", _change(code, f"invalid-{n:04d}", score, comment, **extra)
        )
        assert offline.status_code == online.status_code == 422
        assert error_of(offline)["details"]["fields"] == error_of(online)["details"]["fields"]
    assert db.session.query(OfflineChange).count() == 0


def test_a_key_is_the_reviewers_own_and_cannot_name_another_change(app, client, case):
    api = as_user(client, case.reviewers[0])
    first, second = case.indicators[0], case.indicators[1]
    path = f"/offline/assignments/{case.assignments[0].id}/changes"
    assert api.post(path, _change(first.code, "same-key-01", first.scale_max)).status_code == 200
    reused = api.post(path, _change(second.code, "same-key-01", second.scale_max))
    assert reused.status_code == 422 and "key" in error_of(reused)["details"]["fields"]
    other = as_user(client, case.reviewers[1])
    response = other.post(
        f"/offline/assignments/{case.assignments[1].id}/changes", _change(first.code, "same-key-01", first.scale_max)
    )
    assert response.status_code == 200 and response.get_json()["replayed"] is False
    stranger = other.post(path, _change(first.code, "stranger-01", first.scale_max))
    assert stranger.status_code == 404


def test_the_web_session_may_sync_only_with_the_pages_csrf_token(app, client, case, monkeypatch):
    first = case.indicators[0]
    login(client, case.reviewers[0])
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    path = f"/api/v1/offline/assignments/{case.assignments[0].id}/changes"
    refused = client.post(path, json=_change(first.code, "web-0001", first.scale_max))
    assert refused.status_code == 401 and _stored(case.assignments[0].id, first) is None
    assert client.get("/api/v1/offline/assignments").get_json()["items"][0]["id"] == case.assignments[0].id
    page = client.get(f"/assignments/{case.assignments[0].id}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    accepted = client.post(path, json=_change(first.code, "web-0001", first.scale_max), headers={"X-CSRFToken": token})
    assert accepted.status_code == 200 and _stored(case.assignments[0].id, first).score == first.scale_max


def test_a_package_and_a_change_take_a_fixed_number_of_statements(app, client, case):
    assignment, first = case.assignments[0], case.indicators[0]
    with QueryCounter(db.engine) as package:
        as_user(client, case.reviewers[0]).get(f"/offline/assignments/{assignment.id}")
    more = Case()
    for _ in range(3):  # more evidence files: the same statements
        more.upload()
    more.under_review()
    with QueryCounter(db.engine) as bigger:
        as_user(client, more.reviewers[0]).get(f"/offline/assignments/{more.assignments[0].id}")
    api = as_user(client, case.reviewers[0])
    path = f"/offline/assignments/{assignment.id}/changes"
    with QueryCounter(db.engine) as change:
        api.post(path, _change(first.code, "count-0001", first.scale_max))
    with QueryCounter(db.engine) as replay:
        api.post(path, _change(first.code, "count-0001", first.scale_max))
    assert bigger.count == package.count <= PACKAGE_STATEMENTS, package.statements
    assert change.count <= CHANGE_STATEMENTS, change.statements
    assert replay.count < change.count, replay.statements
