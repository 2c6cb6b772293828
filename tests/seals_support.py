"""Helpers for the seal tests: put the shipped standards back as they were, and build scored applications.

The standards stay loaded between tests (tests/conftest.py keeps their tables), so a test that moves a
version along its lifecycle or calibrates it must restore it. `restore` writes with Core statements on
purpose: the ORM refuses any edit of a published version, which is exactly what a test may have made.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from certification.applications.services import create_application, fire_event, save_self_assessment
from certification.evidence.services import upload
from certification.extensions import db
from certification.reviews.services import accept_assignment, assign_reviewer, save_score, submit_review
from certification.seals.models import Dimension, Indicator, Standard
from certification.seals.queries import forget_frozen_rules, indicators_of
from tests import factories as f

_COLUMNS = {
    Standard: ("status", "pass_threshold", "dimension_minimum", "essential_minimum", "levels", "translations"),
    Dimension: ("weight", "translations"),
    Indicator: ("weight", "translations"),
}


def snapshot() -> dict:
    taken = {}
    for model, columns in _COLUMNS.items():
        table = model.__table__
        rows = db.session.execute(select(table.c.id, *(table.c[name] for name in columns))).all()
        taken[model] = [dict(row._mapping) for row in rows]
    return taken


def restore(taken: dict) -> None:
    db.session.rollback()
    for model, rows in taken.items():
        table = model.__table__
        for row in rows:
            values = {key: value for key, value in row.items() if key != "id"}
            db.session.execute(table.update().where(table.c.id == row["id"]).values(**values))
    db.session.commit()
    db.session.expire_all()
    forget_frozen_rules()  # the rows were rewritten directly, frozen versions included


@pytest.fixture
def restored_standards(app):
    """Whatever the test does to the shipped standards' status, weights, thresholds and translations is undone."""
    taken = snapshot()
    yield
    restore(taken)


def version(code: str, number: str) -> Standard:
    return db.session.scalar(select(Standard).where(Standard.code == code, Standard.version == number))


def move_to(standard: Standard, *statuses: str, admin=None) -> Standard:
    """Walk a version along its lifecycle through the service, as an admin."""
    from certification.seals.services import change_status

    admin = admin or f.user("admin")
    for status in statuses:
        change_status(admin, standard.id, status, f"Acuerdo del grupo de trabajo: pasar a {status}.")
    db.session.expire_all()
    return db.session.get(Standard, standard.id)


def scored_application(standard: Standard, facilitator, scores: list[tuple[int, int]] | None, country: str = "PE"):
    """An application on `standard`, submitted with evidence; with `scores` (one (first, second) pair per
    indicator, in indicator order) two reviewers score it and submit, which re-scores it after commit.
    With `scores=None` it stays a draft without any score."""
    org = f.organization(country=country)
    applicant = f.applicant(org)
    application = create_application(applicant, standard.id)
    if scores is None:
        return application
    indicators = indicators_of(standard.id)
    for indicator in indicators:
        save_self_assessment(applicant, application.id, indicator.code, indicator.scale_max - 1,
                             f"Autoevaluación de {indicator.code}: política y reportes del SIG.")  # fmt: skip
    essential = [i.code for i in indicators if i.essential]
    upload(applicant, application.id, f.pdf_stream(), "evidencia.pdf", essential)
    fire_event(applicant, application.id, "submit")
    reviewers = [f.reviewer(standard.area.value, capacity=50) for _ in range(2)]
    assignments = []
    for reviewer in reviewers:
        assignment = assign_reviewer(facilitator, application.id, reviewer.id, date.today() + timedelta(days=14))
        accept_assignment(reviewer, assignment.id, True)
        assignments.append(assignment.id)
    fire_event(facilitator, application.id, "start_review")
    for position, (reviewer, assignment_id) in enumerate(zip(reviewers, assignments, strict=True)):
        for indicator, pair in zip(indicators, scores, strict=True):
            save_score(reviewer, assignment_id, indicator.code, pair[position], f"Revisado {indicator.code}.")
        submit_review(reviewer, assignment_id)
    return application
