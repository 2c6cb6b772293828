"""API test helpers: a token-carrying client, and applications brought to a state through the services."""

from __future__ import annotations

from datetime import date, timedelta

from certification.applications import services as applications
from certification.evidence import services as evidence
from certification.extensions import db
from certification.pilots import services as pilots
from certification.reviews import services as reviews
from certification.reviews.models import Assignment
from tests import factories as f

PREFIX = "/api/v1"


class Api:
    """The test client speaking JSON to /api/v1 with one bearer token (or none)."""

    def __init__(self, client, token: str | None = None):
        self.client, self.token = client, token

    def headers(self, extra=None) -> dict:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        headers.update(extra or {})
        return headers

    def call(self, method: str, path: str, json=None, headers=None, **kwargs):
        return self.client.open(PREFIX + path, method=method, json=json, headers=self.headers(headers), **kwargs)

    def get(self, path, **kwargs):
        return self.call("GET", path, **kwargs)

    def post(self, path, json=None, **kwargs):
        return self.call("POST", path, json=json, **kwargs)

    def put(self, path, json=None, **kwargs):
        return self.call("PUT", path, json=json, **kwargs)

    def delete(self, path, **kwargs):
        return self.call("DELETE", path, **kwargs)


def token_for(client, user) -> str:
    response = client.post(PREFIX + "/auth/tokens", json={"email": user.email, "password": f.PASSWORD})
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()["token"]


def as_user(client, user) -> Api:
    return Api(client, token_for(client, user))


def error_of(response) -> dict:
    """The `error` member of an error answer, after checking the contract's shape."""
    body = response.get_json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "details"}, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"], body
    return body["error"]


# --- applications in a given state, through the services (the API walk is test_lifecycle_walk) -------------


class Case:
    """One application and the people around it."""

    def __init__(self, area: str = "gender", country: str = "PE"):
        self.standard = f.standard(area)
        self.indicators = f.indicators(self.standard)
        self.org = f.organization(country=country)
        self.applicant = f.applicant(self.org)
        self.facilitator = f.user("facilitator")
        self.reviewers = [f.reviewer(area), f.reviewer(area)]
        self.application = applications.create_application(self.applicant, self.standard.id)
        self.id = self.application.id
        self.round = None

    @property
    def essential(self) -> list[str]:
        return [i.code for i in self.indicators if i.essential]

    def self_assess(self, rating=lambda i: i.scale_max) -> Case:
        for ind in self.indicators:
            applications.save_self_assessment(self.applicant, self.id, ind.code, rating(ind), "Política aprobada.")
        return self

    def upload(self, codes=None):
        return evidence.upload(self.applicant, self.id, f.pdf_stream(), "politica.pdf", codes or self.essential)

    def submit(self) -> Case:
        self.self_assess()
        self.upload()
        applications.fire_event(self.applicant, self.id, "submit")
        return self

    def assign(self) -> list[Assignment]:
        due = date.today() + timedelta(days=14)
        return [reviews.assign_reviewer(self.facilitator, self.id, r.id, due) for r in self.reviewers]

    def enrol(self, status: str = "open") -> Case:
        self.round = pilots.create_round(self.facilitator, name=f"Piloto {self.id}", country=self.org.country,
                                         area=self.standard.area.value, opens_on=date(2026, 1, 1),
                                         closes_on=date(2026, 12, 31), capacity=5)  # fmt: skip
        pilots.change_status(self.facilitator, self.round.id, "open")
        pilots.enrol(self.facilitator, self.round.id, self.id)
        if status == "in_progress":
            pilots.change_status(self.facilitator, self.round.id, "in_progress")
        return self

    def under_review(self) -> Case:
        self.submit()
        self.assignments = self.assign()
        for reviewer, assignment in zip(self.reviewers, self.assignments, strict=True):
            reviews.accept_assignment(reviewer, assignment.id, True)
        self.enrol("in_progress")
        applications.fire_event(self.facilitator, self.id, "start_review")
        return self

    def reviewed(self, score=lambda i: i.scale_max) -> Case:
        self.under_review()
        for reviewer, assignment in zip(self.reviewers, self.assignments, strict=True):
            for ind in self.indicators:
                reviews.save_score(reviewer, assignment.id, ind.code, score(ind), "Verificado en actas.")
            reviews.submit_review(reviewer, assignment.id)
        return self

    def piloted(self) -> Case:
        self.reviewed()
        applications.fire_event(self.facilitator, self.id, "complete_pilot")
        return self

    def certified(self) -> Case:
        self.piloted()
        applications.fire_event(self.facilitator, self.id, "certify")
        return self

    def refresh(self):
        db.session.expire_all()
        return self
