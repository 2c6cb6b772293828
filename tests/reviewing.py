"""Building blocks for the reviewing tests, all through the service layer."""

from __future__ import annotations

from sqlalchemy import select

from certification.applications.services import create_application, fire_event, save_self_assessment
from certification.evidence.services import upload
from certification.extensions import db
from certification.reviews import services as reviews
from certification.reviews.models import Assignment
from tests import factories as f


def submitted_application(std=None, org=None, *, country: str = "PE", rating=lambda i: i.scale_max):
    """A submitted application (self-assessed, essential evidence uploaded) and its applicant."""
    std = std or f.standard("gender")
    org = org or f.organization(country=country)
    applicant = f.applicant(org)
    application = create_application(applicant, std.id)
    indicators = f.indicators(std)
    for indicator in indicators:
        save_self_assessment(
            applicant, application.id, indicator.code, rating(indicator), f"Explicación de {indicator.code}."
        )
    essential = [i.code for i in indicators if i.essential]
    upload(applicant, application.id, f.pdf_stream(), "politica.pdf", essential)
    fire_event(applicant, application.id, "submit")
    return application, applicant


def assign_and_accept(facilitator, application_id: int, reviewer) -> Assignment:
    assignment = reviews.assign_reviewer(facilitator, application_id, reviewer.id)
    return reviews.accept_assignment(reviewer, assignment.id, True)


def under_review(facilitator, application_id: int, reviewers_) -> list[Assignment]:
    """Assign and accept every reviewer, then start the review."""
    assignments = [assign_and_accept(facilitator, application_id, r) for r in reviewers_]
    fire_event(facilitator, application_id, "start_review")
    return assignments


def score_all(reviewer, assignment_id: int, indicators, score_for, *, submit: bool = True) -> None:
    for indicator in indicators:
        reviews.save_score(reviewer, assignment_id, indicator.code, score_for(indicator), f"Visto: {indicator.code}.")
    if submit:
        reviews.submit_review(reviewer, assignment_id)


def assignment_of(reviewer, application_id: int) -> Assignment:
    return db.session.scalar(
        select(Assignment)
        .where(Assignment.reviewer_id == reviewer.id, Assignment.application_id == application_id)
        .order_by(Assignment.id.desc())
    )


def reviewed_application(score_fors, *, area: str = "gender", pilot: bool = False):
    """An application under review whose reviewers (one per `score_fors` entry) submitted their scores.

    With `pilot=True` it is enrolled in a pilot round in progress and completed (state piloted).
    Returns (application, applicant, facilitator, reviewers, standard).
    """
    from datetime import date

    from certification.pilots import services as pilots

    std = f.standard(area)
    application, applicant = submitted_application(std)
    facilitator = f.user("facilitator")
    pilot_round = None
    if pilot:
        pilot_round = pilots.create_round(
            facilitator,
            name="Piloto",
            country="PE",
            area=area,
            opens_on=date(2026, 1, 1),
            closes_on=date(2026, 12, 31),
            capacity=5,
        )
        pilots.change_status(facilitator, pilot_round.id, "open")
        pilots.enrol(facilitator, pilot_round.id, application.id)
    people = [f.reviewer(area) for _ in score_fors]
    assignments = under_review(facilitator, application.id, people)
    for reviewer, assignment, score_for in zip(people, assignments, score_fors, strict=True):
        score_all(reviewer, assignment.id, f.indicators(std), score_for)
    if pilot:
        pilots.change_status(facilitator, pilot_round.id, "in_progress")
        fire_event(facilitator, application.id, "complete_pilot")
    return application, applicant, facilitator, people, std


def english(*people) -> None:
    """Show the UI in English to these users (the default is Spanish), so that tests read the msgids."""
    for person in people:
        person.locale = "en"
    db.session.commit()
