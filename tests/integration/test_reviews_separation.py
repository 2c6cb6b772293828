"""Separation of duties in the service layer: a reviewer of an application never moderates it,
decides it or judges its appeal — even after becoming a facilitator, and even if they declined."""

from __future__ import annotations

from datetime import date

import pytest

from certification.accounts.models import Role
from certification.applications.services import fire_event
from certification.errors import Forbidden
from certification.extensions import db
from certification.pilots import services as pilots
from certification.reviews import services
from tests import factories as f
from tests.reviewing import score_all, submitted_application, under_review


def _promote(user):
    user.role = Role.FACILITATOR
    db.session.commit()
    return user


def _piloted_application():
    std = f.standard("gender")
    application, applicant = submitted_application(std)
    facilitator = f.user("facilitator")
    pilot_round = pilots.create_round(
        facilitator,
        name="Piloto",
        country="PE",
        area="gender",
        opens_on=date(2026, 1, 1),
        closes_on=date(2026, 12, 31),
        capacity=3,
    )
    pilots.change_status(facilitator, pilot_round.id, "open")
    pilots.enrol(facilitator, pilot_round.id, application.id)
    reviewers = [f.reviewer("gender"), f.reviewer("gender")]
    assignments = under_review(facilitator, application.id, reviewers)
    pilots.change_status(facilitator, pilot_round.id, "in_progress")
    for reviewer, assignment in zip(reviewers, assignments, strict=True):
        score_all(reviewer, assignment.id, f.indicators(std), lambda i: i.scale_max)
    return application, applicant, facilitator, reviewers, std


def test_a_reviewer_promoted_to_facilitator_can_neither_moderate_nor_decide_nor_judge_the_appeal(app):
    application, applicant, facilitator, (reviewer, _other), std = _piloted_application()
    former_reviewer = _promote(reviewer)
    code = f.indicators(std)[0].code

    with pytest.raises(Forbidden, match="cannot moderate"):
        services.moderate(former_reviewer, application.id, code, 3, "Quiero ajustar.")
    assert services.moderate(facilitator, application.id, code, 4, "Verificado en campo.").score == 4.0

    fire_event(facilitator, application.id, "complete_pilot")
    for event in ("certify", "reject"):
        with pytest.raises(Forbidden, match="cannot take its decision"):
            fire_event(former_reviewer, application.id, event, "Decido yo.")
    db.session.expire_all()
    assert fire_event(facilitator, application.id, "reject", "Falta evidencia de campo.").state.value == "rejected"
    fire_event(applicant, application.id, "appeal", "La evidencia estaba en el anexo 3.")
    for event in ("uphold", "overturn"):
        with pytest.raises(Forbidden, match="cannot take its decision"):
            fire_event(former_reviewer, application.id, event, "Juzgo yo.")
        with pytest.raises(Forbidden, match="cannot judge its appeal"):
            fire_event(facilitator, application.id, event, "Juzgo yo también.")
    judge = f.user("admin")
    assert fire_event(judge, application.id, "overturn", "El anexo 3 lo demuestra.").state.value == "piloted"


def test_a_reviewer_who_declined_or_was_withdrawn_cannot_moderate_or_decide_either(app):
    application, _applicant, facilitator, _reviewers, std = _piloted_application()
    declined = f.reviewer("gender")
    invitation = services.assign_reviewer(facilitator, application.id, declined.id)
    services.decline_assignment(declined, invitation.id, "Sin tiempo este mes.")
    withdrawn = f.reviewer("gender")
    invitation = services.assign_reviewer(facilitator, application.id, withdrawn.id)
    services.withdraw_assignment(facilitator, invitation.id, "Ya hay dos revisores.")
    fire_event(facilitator, application.id, "complete_pilot")
    code = f.indicators(std)[0].code
    for person in (_promote(declined), _promote(withdrawn)):
        with pytest.raises(Forbidden):
            services.moderate(person, application.id, code, 3, "Ajuste.")
        with pytest.raises(Forbidden):
            fire_event(person, application.id, "certify")


def test_a_reviewer_cannot_moderate_or_fire_decisions_as_a_reviewer(app):
    application, _applicant, facilitator, (reviewer, _other), std = _piloted_application()
    with pytest.raises(Forbidden):
        services.moderate(reviewer, application.id, f.indicators(std)[0].code, 3, "Ajuste.")
    fire_event(facilitator, application.id, "complete_pilot")
    with pytest.raises(Forbidden):
        fire_event(reviewer, application.id, "certify")
