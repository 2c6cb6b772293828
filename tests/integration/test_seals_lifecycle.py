"""The status lifecycle of a standard version: draft → consultation → pilot → published → retired."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from certification.errors import Forbidden, GuardFailed, NotFound, StateConflict, ValidationFailed
from certification.extensions import db
from certification.seals.models import Standard, StandardHistory, StandardStatus
from certification.seals.services import add_comment, change_status, resolve_comment
from tests import factories as f
from tests.seals_support import move_to, restored_standards, version  # noqa: F401 - the fixture

pytestmark = pytest.mark.usefixtures("restored_standards")


def _draft_version() -> Standard:
    """GEN 1.1 put back to draft (as a freshly written version would be loaded)."""
    standard = version("GEN", "1.1")
    db.session.execute(
        Standard.__table__.update().where(Standard.id == standard.id).values(status=StandardStatus.DRAFT.value)
    )
    db.session.commit()
    db.session.expire_all()
    return db.session.get(Standard, standard.id)


def test_an_admin_walks_a_version_through_every_step_and_each_step_is_in_the_history(app):
    admin = f.user("admin")
    standard = _draft_version()

    for step in ("consultation", "pilot", "published", "retired"):
        change_status(admin, standard.id, step, f"Acta del grupo de trabajo: {step}.")

    db.session.expire_all()
    assert db.session.get(Standard, standard.id).status == StandardStatus.RETIRED
    rows = db.session.scalars(
        select(StandardHistory).where(StandardHistory.standard_id == standard.id).order_by(StandardHistory.id)
    ).all()
    assert [(r.from_status.value, r.to_status.value) for r in rows] == [
        ("draft", "consultation"), ("consultation", "pilot"), ("pilot", "published"), ("published", "retired"),
    ]  # fmt: skip
    assert {r.actor_id for r in rows} == {admin.id}
    assert rows[2].reason == "Acta del grupo de trabajo: published."
    assert all(r.at is not None for r in rows)


@pytest.mark.parametrize("role", ["facilitator", "applicant", "reviewer"])
def test_only_an_admin_may_change_the_status(app, role):
    person = f.applicant() if role == "applicant" else f.user(role)
    standard = version("GEN", "1.1")  # in consultation: every logged-in person sees it

    with pytest.raises(Forbidden):
        change_status(person, standard.id, "pilot", "Quiero pasar al piloto.")

    db.session.expire_all()
    assert db.session.get(Standard, standard.id).status == StandardStatus.CONSULTATION
    assert db.session.scalar(select(db.func.count(StandardHistory.id))) == 0


def test_a_draft_is_invisible_to_anyone_but_staff(app):
    standard = _draft_version()
    with pytest.raises(NotFound):
        change_status(f.applicant(), standard.id, "consultation", "x")
    with pytest.raises(Forbidden):
        change_status(f.user("facilitator"), standard.id, "consultation", "x")


@pytest.mark.parametrize(
    ("start", "target"),
    [("draft", "pilot"), ("draft", "published"), ("consultation", "published"), ("consultation", "draft")],
)
def test_skipping_or_going_back_a_step_is_refused(app, start, target):
    admin = f.user("admin")
    standard = _draft_version()
    if start == "consultation":
        standard = move_to(standard, "consultation", admin=admin)
    before = db.session.scalar(select(db.func.count(StandardHistory.id)))

    with pytest.raises(StateConflict):
        change_status(admin, standard.id, target, "Saltar un paso.")

    db.session.expire_all()
    assert db.session.get(Standard, standard.id).status.value == start
    assert db.session.scalar(select(db.func.count(StandardHistory.id))) == before


def test_a_retired_version_goes_nowhere(app):
    admin = f.user("admin")
    standard = move_to(version("POV", "1.0"), "retired", admin=admin)
    for target in ("draft", "consultation", "pilot", "published", "retired"):
        with pytest.raises(StateConflict):
            change_status(admin, standard.id, target, "Reabrir.")


@pytest.mark.parametrize(("status", "reason"), [("pilot", ""), ("pilot", "   "), ("nonsense", "ok"), ("", "ok")])
def test_a_missing_reason_or_unknown_status_is_refused_and_nothing_changes(app, status, reason):
    admin = f.user("admin")
    standard = version("GEN", "1.1")

    with pytest.raises(ValidationFailed) as refused:
        change_status(admin, standard.id, status, reason)

    assert set(refused.value.fields) <= {"status", "reason"}
    db.session.expire_all()
    assert db.session.get(Standard, standard.id).status == StandardStatus.CONSULTATION
    assert db.session.scalar(select(db.func.count(StandardHistory.id))) == 0


def test_consultation_cannot_end_while_a_comment_is_open(app):
    admin, facilitator, member = f.user("admin"), f.user("facilitator"), f.applicant()
    standard = version("GEN", "1.1")
    comment = add_comment(member, standard.id, "GEN.C.5", "¿Qué pasa si no hay servicios locales en la zona?")

    with pytest.raises(GuardFailed) as refused:
        change_status(admin, standard.id, "pilot", "Fin de la consulta.")
    assert "1" in refused.value.unmet[0].render()

    resolve_comment(facilitator, comment.id, "answered", "Se acepta un directorio provincial.")
    change_status(admin, standard.id, "pilot", "Fin de la consulta.")
    db.session.expire_all()
    assert db.session.get(Standard, standard.id).status == StandardStatus.PILOT


def test_unknown_standard_is_not_found(app):
    with pytest.raises(NotFound):
        change_status(f.user("admin"), 999_999, "pilot", "x")


def test_applications_stay_pinned_to_their_version_when_a_new_one_is_published(app):
    from certification.applications.models import Application
    from certification.applications.services import create_application

    admin = f.user("admin")
    applicant = f.applicant()
    old = version("GEN", "1.0")
    application = create_application(applicant, old.id)

    move_to(version("GEN", "1.1"), "pilot", "published", admin=admin)
    move_to(old, "retired", admin=admin)

    db.session.expire_all()
    assert db.session.get(Application, application.id).standard_id == old.id
