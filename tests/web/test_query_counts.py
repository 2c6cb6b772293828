"""List pages issue a fixed number of SQL statements, whatever the number of rows."""

from __future__ import annotations

import pytest

from certification.extensions import db
from certification.pilots.services import enrol
from certification.reviews.services import assign_reviewer
from tests import factories as f
from tests.web.helpers import QueryCounter, fresh_client


@pytest.fixture(autouse=True)
def _session(app, monkeypatch):
    f.fast_password_hashing(monkeypatch)
    yield
    f.release_session()


class Rows:
    """Applications (enrolled in one round, each with a registry certificate) and assignments, grown on demand."""

    def __init__(self):
        self.facilitator = f.user("facilitator")
        self.admin = f.user("admin")
        self.reviewed = f.Walk(facilitator=self.facilitator).submit()
        self.reviewed.open_round(capacity=100)
        self.round_id = self.reviewed.round_id
        self.applications = 0
        self.assignments = 0
        self.admin = f.user("admin")
        # Invited to the reviewed application: the other reviewers' invitations grow around it.
        self.reviewer = f.reviewer("gender", capacity=5)
        assign_reviewer(self.facilitator, self.reviewed.id, self.reviewer.id)

    def grow_to(self, n: int) -> None:
        while self.applications < n:
            walk = f.Walk(facilitator=self.facilitator)
            enrol(self.facilitator, self.round_id, walk.id)
            f.registry_certificate(walk.id)
            self.applications += 1
        while self.assignments < n:
            assign_reviewer(self.facilitator, self.reviewed.id, f.reviewer("gender", capacity=5).id)
            self.assignments += 1


def statements(app, person, url: str) -> int:
    client = fresh_client(app, person)
    assert client.get(url).status_code == 200, url  # warm-up: the same work on both sides of the comparison
    with QueryCounter(db.engine) as counter:
        response = client.get(url)
    assert response.status_code == 200, url
    return counter.count


def test_list_pages_issue_the_same_number_of_queries_with_3_and_30_rows(app):
    rows = Rows()
    member = rows.reviewed.applicant
    pages = {
        "applications list": (rows.facilitator, "/applications"),
        "applications list (applicant)": (member, "/applications"),
        "dashboard": (rows.facilitator, "/dashboard"),
        "dashboard (applicant)": (member, "/dashboard"),
        "dashboard (reviewer)": (rows.reviewer, "/dashboard"),
        "dashboard (admin)": (rows.admin, "/dashboard"),
        "registry": (None, "/registry"),
        "assignments list": (rows.facilitator, "/assignments"),
        "pilot round page": (rows.facilitator, f"/pilot-rounds/{rows.round_id}"),
        # text search and filters add conditions to the same queries, never a query per row
        "applications searched": (rows.facilitator, "/applications?q=Financiera&state=submitted"),
        "assignments searched": (rows.facilitator, "/assignments?q=Reviewer&status=invited"),
        "registry searched": (None, "/registry?q=Financiera&area=gender"),
        "people list": (rows.admin, "/people"),
        "reviewers searched": (rows.facilitator, "/reviewers?q=Reviewer"),
        "people searched": (rows.admin, "/people?q=e&role=applicant"),
        "organisations list": (rows.facilitator, "/organizations"),
        "organisations searched": (rows.facilitator, "/organizations?q=a&country=PE"),
    }
    rows.grow_to(3)
    few = {name: statements(app, person, url) for name, (person, url) in pages.items()}
    rows.grow_to(30)
    many = {name: statements(app, person, url) for name, (person, url) in pages.items()}
    grown = {name: (few[name], many[name]) for name in pages if few[name] != many[name]}
    assert not grown, f"queries with 3 rows vs 30 rows: {grown}"
    assert all(count > 0 for count in few.values())  # the listener really counted


def test_the_application_page_takes_at_most_10_statements_for_the_applicant_and_the_facilitator(app):
    """One read model (applications.queries.ApplicationView): the page's tree, self-assessments and evidence
    are what the guards read too, and only the guards of the actions this person may take are judged."""
    draft = f.Walk()
    draft.self_assess()
    certified = f.Walk().certify()
    pages = {
        "draft (applicant)": (draft.applicant, draft.id),
        "draft (facilitator)": (draft.facilitator, draft.id),
        "certified (applicant)": (certified.applicant, certified.id),
        "certified (facilitator)": (certified.facilitator, certified.id),
    }
    clients = {name: (fresh_client(app, person), application_id) for name, (person, application_id) in pages.items()}
    counts = {}
    for name, (client, application_id) in clients.items():
        url = f"/applications/{application_id}"
        assert client.get(url).status_code == 200, name
        f.release_session()  # like a real request: nothing already in the session's identity map
        with QueryCounter(db.engine) as counter:
            response = client.get(url)
        assert response.status_code == 200, name
        counts[name] = counter.count
    assert all(count <= 10 for count in counts.values()), counts
