"""Published versions are frozen: every edit is refused, whatever the path; only retiring them remains."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from certification.errors import NotEditable
from certification.extensions import db
from certification.seals.models import Calibration, Dimension, Indicator, IndicatorComment, Standard, StandardStatus
from certification.seals.queries import standard_tree
from certification.seals.services import (
    add_comment,
    calibrate,
    change_status,
    current_proposal,
    parse_calibration,
    preview_calibration,
    resolve_comment,
    rules_token,
)
from tests import factories as f
from tests.seals_support import move_to, restored_standards, version  # noqa: F401 - the fixture

pytestmark = pytest.mark.usefixtures("restored_standards")


def _stricter(standard):
    form = current_proposal(standard_tree(standard.id)).as_form()
    form["pass"] = "70"
    return parse_calibration(standard_tree(standard.id), form)


@pytest.mark.parametrize("role", ["facilitator", "admin"])
def test_a_published_version_cannot_be_calibrated_or_previewed(app, role):
    person = f.user(role)
    standard = version("GEN", "1.0")
    proposal = _stricter(standard)

    with pytest.raises(NotEditable) as refused:
        calibrate(person, standard.id, proposal, "Endurecer.", rules_token(standard_tree(standard.id)))
    assert "frozen" in refused.value.message
    with pytest.raises(NotEditable):
        preview_calibration(person, standard.id, proposal)

    db.session.expire_all()
    assert db.session.get(Standard, standard.id).pass_threshold == 60
    assert db.session.scalar(select(db.func.count(Calibration.id))) == 0


def test_a_pilot_calibrated_then_published_is_frozen_with_its_calibrated_values(app):
    admin = f.user("admin")
    standard = move_to(version("GEN", "1.1"), "pilot", admin=admin)
    calibrate(admin, standard.id, _stricter(standard), "Piloto.", rules_token(standard_tree(standard.id)))
    change_status(admin, standard.id, "published", "Aprobado por el grupo de trabajo.")

    form = current_proposal(standard_tree(standard.id)).as_form()
    form["pass"] = "60"
    with pytest.raises(NotEditable):
        calibrate(admin, standard.id, parse_calibration(standard_tree(standard.id), form), "Volver atrás.",
                  rules_token(standard_tree(standard.id)))  # fmt: skip
    db.session.expire_all()
    assert db.session.get(Standard, standard.id).pass_threshold == 70


def test_comments_on_a_published_version_are_neither_taken_nor_resolved(app):
    admin, facilitator, member = f.user("admin"), f.user("facilitator"), f.applicant()
    standard = version("GEN", "1.1")
    comment = add_comment(member, standard.id, "GEN.A.2", "Observación.")
    resolve_comment(facilitator, comment.id, "answered", "Respondida.")
    move_to(standard, "pilot", "published", admin=admin)

    with pytest.raises(NotEditable):
        add_comment(member, standard.id, "GEN.A.2", "Otra observación.")
    with pytest.raises(NotEditable):
        resolve_comment(facilitator, comment.id, "rejected", "Cambio de opinión.")
    db.session.expire_all()
    assert db.session.get(IndicatorComment, comment.id).status.value == "answered"


@pytest.mark.parametrize(
    ("model", "column", "value"),
    [
        (Indicator, "weight", 9.0),
        (Indicator, "text_es", "Otro texto."),
        (Indicator, "essential", False),
        (Dimension, "weight", 9.0),
        (Standard, "pass_threshold", 10.0),
        (Standard, "title_en", "Another seal"),
    ],
)
def test_any_orm_edit_of_a_published_version_is_refused_at_flush(app, model, column, value):
    standard = version("POV", "1.0")
    if model is Standard:
        row = standard
    else:
        row = db.session.scalar(select(model).where(model.standard_id == standard.id).order_by(model.id).limit(1))
    before = getattr(row, column)

    setattr(row, column, value)
    with pytest.raises(NotEditable):
        db.session.flush()
    db.session.rollback()

    db.session.expire_all()
    assert getattr(db.session.get(model, row.id), column) == before


def test_deleting_an_indicator_of_a_published_version_is_refused(app):
    indicator = db.session.scalar(
        select(Indicator).where(Indicator.standard_id == version("RUR", "1.0").id).order_by(Indicator.id).limit(1)
    )
    db.session.delete(indicator)
    with pytest.raises(NotEditable):
        db.session.flush()
    db.session.rollback()
    assert db.session.get(Indicator, indicator.id) is not None


def test_retiring_a_published_version_is_the_one_change_it_still_takes(app):
    standard = move_to(version("RUR", "1.0"), "retired")
    assert standard.status == StandardStatus.RETIRED


def test_versions_not_yet_published_may_still_be_edited(app):
    standard = move_to(version("GEN", "1.1"), "pilot")
    indicator = db.session.scalar(select(Indicator).where(Indicator.standard_id == standard.id).limit(1))
    indicator.weight = 4.0
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Indicator, indicator.id).weight == 4.0
