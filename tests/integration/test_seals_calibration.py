"""Pilot calibration: preview the effect, save with an audit row, re-score every application on the version."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from certification.errors import ConcurrentUpdate, Forbidden, NotEditable, ValidationFailed
from certification.extensions import db
from certification.rescoring.models import RescoreJob, RescoreStatus
from certification.reviews.models import ScoreSnapshot
from certification.reviews.queries import latest_snapshot
from certification.seals.models import Calibration, Dimension, Indicator, Standard
from certification.seals.queries import standard_tree
from certification.seals.services import (
    calibrate,
    current_proposal,
    parse_calibration,
    preview_calibration,
    rules_token,
)
from tests import factories as f
from tests.seals_support import move_to, restored_standards, scored_application, version  # noqa: F401

pytestmark = pytest.mark.usefixtures("restored_standards")


def _pilot():
    admin = f.user("admin")
    return move_to(version("GEN", "1.1"), "pilot", admin=admin), admin


def _applications(standard, facilitator):
    """Three applications on the pilot version: silver at 75, bronze at 62.5, no score yet."""
    n = len(f.indicators(standard))
    silver = scored_application(standard, facilitator, [(4, 4)] * n)
    bronze = scored_application(standard, facilitator, [(3, 4)] * n)
    draft = scored_application(standard, facilitator, None)
    return silver, bronze, draft


def _form(standard, **changes) -> dict:
    form = current_proposal(standard_tree(standard.id)).as_form()
    form.update({key: str(value) for key, value in changes.items()})
    return form


def _proposal(standard, **changes):
    return parse_calibration(standard_tree(standard.id), _form(standard, **changes))


STRICTER = {"pass": 65, "level-silver": 76, "indicator-GEN.A.1": 3, "dimension-GEN.B": 2}


def test_the_preview_lists_who_would_change_eligibility_or_level_and_changes_nothing(app):
    standard, _admin = _pilot()
    facilitator = f.user("facilitator")
    silver, bronze, draft = _applications(standard, facilitator)
    snapshots_before = db.session.scalar(select(db.func.count(ScoreSnapshot.id)))

    preview = preview_calibration(facilitator, standard.id, _proposal(standard, **STRICTER))

    rows = {row.application_id: row for row in preview.rows}
    assert set(rows) == {silver.id, bronze.id, draft.id}
    assert rows[silver.id].before == {"overall": 75.0, "level": "silver", "eligible": True}
    assert rows[silver.id].after["level"] == "bronze" and rows[silver.id].after["eligible"] is True
    assert rows[bronze.id].before["eligible"] is True and rows[bronze.id].after["eligible"] is False
    assert rows[draft.id].before == rows[draft.id].after == {"overall": None, "level": None, "eligible": False}
    assert {row.application_id for row in preview.outcome_changes} == {silver.id, bronze.id}
    assert preview.scored == 2
    assert {(c["target"], c["code"], c["field"]) for c in preview.changes} == {
        ("settings", "", "pass_threshold"), ("level", "silver", "minimum"),
        ("indicator", "GEN.A.1", "weight"), ("dimension", "GEN.B", "weight"),
    }  # fmt: skip
    # Nothing written: the rules, the snapshots and the audit are as they were.
    db.session.expire_all()
    assert db.session.get(Standard, standard.id).pass_threshold == 60
    assert db.session.scalar(select(db.func.count(ScoreSnapshot.id))) == snapshots_before
    assert db.session.scalar(select(db.func.count(Calibration.id))) == 0


def test_the_preview_equals_the_scores_after_saving(app):
    standard, _admin = _pilot()
    facilitator = f.user("facilitator")
    applications = _applications(standard, facilitator)
    n = len(f.indicators(standard))
    # Uneven scores, so that the new weights move the overall, not only the thresholds.
    applications += (scored_application(standard, facilitator, [(2, 3)] * (n // 2) + [(4, 5)] * (n - n // 2)),)
    proposal = _proposal(standard, **STRICTER)
    preview = preview_calibration(facilitator, standard.id, proposal)

    calibrate(facilitator, standard.id, proposal, "Piloto Perú: subir la exigencia.", preview.token)

    db.session.expire_all()
    for row in preview.rows:
        snapshot = latest_snapshot(row.application_id)
        assert row.before != row.after or row.before["overall"] is None
        assert {"overall": snapshot.overall, "level": snapshot.level, "eligible": snapshot.eligible} == row.after
        assert snapshot.rules["pass_threshold"] == 65
    assert len(preview.rows) == len(applications)


def test_saving_rescores_every_application_on_the_version_and_no_other(app):
    standard, _admin = _pilot()
    facilitator = f.user("facilitator")
    on_version = _applications(standard, facilitator)
    elsewhere = scored_application(
        version("GEN", "1.0"), facilitator, [(4, 4)] * len(f.indicators(version("GEN", "1.0")))
    )
    elsewhere_snapshot = latest_snapshot(elsewhere.id).id
    preview = preview_calibration(facilitator, standard.id, _proposal(standard, **STRICTER))

    calibration = calibrate(facilitator, standard.id, preview.proposal, "Piloto Perú.", preview.token)

    db.session.expire_all()
    job = db.session.get(RescoreJob, calibration.rescore_job_id)
    assert job.standard_id == standard.id
    assert (job.status, job.total, job.done) == (RescoreStatus.DONE, 3, 3)
    for application in on_version:
        assert latest_snapshot(application.id).rules["indicators"][0] == {
            "code": "GEN.A.1", "dimension": "GEN.A", "weight": 3.0, "essential": True, "scale_min": 1, "scale_max": 5,
        }  # fmt: skip
    assert latest_snapshot(elsewhere.id).id == elsewhere_snapshot, "another version is not re-scored"


def test_saving_records_every_old_and_new_value_with_who_when_and_why(app):
    standard, _admin = _pilot()
    facilitator = f.user("facilitator")
    tree = standard_tree(standard.id)
    proposal = _proposal(standard, **STRICTER)

    calibrate(facilitator, standard.id, proposal, "Acta 12 del grupo de trabajo.", rules_token(tree))

    db.session.expire_all()
    row = db.session.scalar(select(Calibration))
    assert (row.standard_id, row.actor_id, row.reason) == (standard.id, facilitator.id, "Acta 12 del grupo de trabajo.")
    assert row.at is not None
    changes = {(c["target"], c["code"], c["field"]): (c["old"], c["new"]) for c in row.changes}
    assert changes == {
        ("settings", "", "pass_threshold"): (60, 65),
        ("level", "silver", "minimum"): (70, 76),
        ("indicator", "GEN.A.1", "weight"): (2, 3),
        ("dimension", "GEN.B", "weight"): (1.5, 2),
    }
    standard = db.session.get(Standard, standard.id)
    assert standard.pass_threshold == 65
    assert [lv["minimum"] for lv in standard.levels] == [60, 76, 80]
    weight = db.session.scalar(select(Indicator.weight).where(Indicator.standard_id == standard.id,
                                                              Indicator.code == "GEN.A.1"))  # fmt: skip
    assert weight == 3
    dim = db.session.scalar(select(Dimension.weight).where(Dimension.standard_id == standard.id,
                                                           Dimension.code == "GEN.B"))  # fmt: skip
    assert dim == 2


def test_an_admin_may_calibrate_too(app):
    standard, admin = _pilot()
    tree = standard_tree(standard.id)
    calibrate(admin, standard.id, _proposal(standard, **{"essential_minimum": 2.5}), "Ajuste.", rules_token(tree))
    db.session.expire_all()
    assert db.session.get(Standard, standard.id).essential_minimum == 2.5


@pytest.mark.parametrize("role", ["applicant", "reviewer"])
def test_applicants_and_reviewers_may_not_calibrate_or_preview(app, role):
    standard, _admin = _pilot()
    person = f.applicant() if role == "applicant" else f.user(role)
    proposal = _proposal(standard, **STRICTER)
    with pytest.raises(Forbidden):
        preview_calibration(person, standard.id, proposal)
    with pytest.raises(Forbidden):
        calibrate(person, standard.id, proposal, "x", rules_token(standard_tree(standard.id)))
    db.session.expire_all()
    assert db.session.get(Standard, standard.id).pass_threshold == 60


def test_calibration_is_refused_before_the_pilot(app):
    standard = version("GEN", "1.1")  # consultation
    facilitator = f.user("facilitator")
    with pytest.raises(NotEditable):
        preview_calibration(facilitator, standard.id, _proposal(standard, **STRICTER))
    with pytest.raises(NotEditable):
        calibrate(
            facilitator, standard.id, _proposal(standard, **STRICTER), "x", rules_token(standard_tree(standard.id))
        )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"indicator-GEN.A.1": 0}, "indicator-GEN.A.1"),
        ({"indicator-GEN.A.1": -1}, "indicator-GEN.A.1"),
        ({"indicator-GEN.A.1": "abc"}, "indicator-GEN.A.1"),
        ({"indicator-GEN.A.1": "nan"}, "indicator-GEN.A.1"),
        ({"dimension-GEN.B": "inf"}, "dimension-GEN.B"),
        ({"dimension-GEN.B": 1001}, "dimension-GEN.B"),
        ({"pass": 101}, "pass"),
        ({"dimension_minimum": -5}, "dimension_minimum"),
        ({"essential_minimum": 6}, "essential_minimum"),
        ({"essential_minimum": 0}, "essential_minimum"),
        ({"level-silver": 59}, "levels"),
        ({"level-gold": 70}, "levels"),
    ],
)
def test_bad_weights_or_thresholds_are_refused_by_field_and_nothing_changes(app, changes, field):
    standard, _admin = _pilot()
    with pytest.raises(ValidationFailed) as refused:
        _proposal(standard, **changes)
    assert field in refused.value.fields
    db.session.expire_all()
    assert db.session.scalar(select(db.func.count(Calibration.id))) == 0


def test_a_proposal_built_by_hand_is_checked_like_the_form(app):
    from dataclasses import replace

    standard, _admin = _pilot()
    bad = replace(current_proposal(standard_tree(standard.id)), pass_threshold=150.0)
    with pytest.raises(ValidationFailed):
        calibrate(f.user("facilitator"), standard.id, bad, "x", rules_token(standard_tree(standard.id)))


def test_saving_on_rules_that_changed_since_the_preview_is_refused(app):
    standard, admin = _pilot()
    facilitator = f.user("facilitator")
    stale_token = rules_token(standard_tree(standard.id))
    calibrate(admin, standard.id, _proposal(standard, **{"pass": 62}), "Primero.", stale_token)

    with pytest.raises(ConcurrentUpdate):
        calibrate(facilitator, standard.id, _proposal(standard, **{"pass": 70}), "Segundo.", stale_token)

    db.session.expire_all()
    assert db.session.get(Standard, standard.id).pass_threshold == 62
    assert db.session.scalar(select(db.func.count(Calibration.id))) == 1


@pytest.mark.parametrize("reason", ["", "   ", "x" * 5001])
def test_a_reason_is_required(app, reason):
    standard, _admin = _pilot()
    with pytest.raises(ValidationFailed) as refused:
        calibrate(f.user("facilitator"), standard.id, _proposal(standard, **STRICTER), reason,
                  rules_token(standard_tree(standard.id)))  # fmt: skip
    assert "reason" in refused.value.fields
    db.session.expire_all()
    assert db.session.get(Standard, standard.id).pass_threshold == 60


def test_saving_nothing_changed_is_refused(app):
    standard, _admin = _pilot()
    with pytest.raises(ValidationFailed):
        calibrate(
            f.user("facilitator"), standard.id, _proposal(standard), "Nada.", rules_token(standard_tree(standard.id))
        )
    assert db.session.scalar(select(db.func.count(RescoreJob.id))) == 0
