"""Every list is paginated ({items, page, per_page, total}, per_page ≤ 100) with a constant number of queries."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import event

from certification.applications.models import Application, HistoryEntry
from certification.certificates.models import Certificate, CertificateStatus
from certification.evidence.models import Evidence
from certification.extensions import db
from certification.reviews.models import Assignment
from certification.types import utcnow
from tests import factories as f
from tests.api.helpers import as_user, error_of
from workflows.application import State


class QueryCount:
    def __init__(self):
        self.count = 0

    def __enter__(self):
        event.listen(db.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *exc):
        event.remove(db.engine, "before_cursor_execute", self._count)

    def _count(self, *args, **kwargs):
        self.count += 1


class Rows:
    """Rows of every listed kind, inserted directly (only their number matters here), grown on demand."""

    def __init__(self):
        self.std = f.standard("gender")
        self.indicators = f.indicators(self.std)
        self.facilitator = f.user("facilitator")
        self.org = f.organization()
        self.applicant = f.applicant(self.org)
        self.reviewer = f.reviewer()
        self.target = self._application(self.org.id)
        self.n = 0

    def _application(self, org_id: int) -> Application:
        row = Application(organization_id=org_id, standard_id=self.std.id, created_by_id=self.applicant.id,
                          state=State.CERTIFIED)  # fmt: skip
        db.session.add(row)
        db.session.flush()
        return row

    def grow_to(self, n: int) -> None:
        today = date.today()
        while self.n < n:
            self.n += 1
            org = f.organization()
            other = self._application(org.id)
            db.session.add(Certificate(
                application_id=other.id, organization_id=org.id, standard_id=self.std.id, number=f"GEN-PE-X-{self.n}",
                verification_code=f"code-{self.n}", level="gold", overall=90.0, issued_on=today,
                expires_on=today + timedelta(days=365), status=CertificateStatus.VALID))  # fmt: skip
            db.session.add(HistoryEntry(application_id=self.target.id, event="submit", from_state=State.DRAFT,
                                        to_state=State.SUBMITTED, actor_id=self.applicant.id))  # fmt: skip
            db.session.add(Evidence(application_id=self.target.id, storage_key=f"k{self.n}", filename="a.pdf", size=1,
                                    sha256="0" * 64, content_type="application/pdf", uploaded_by_id=self.applicant.id,
                                    indicators=self.indicators[:2], uploaded_at=utcnow()))  # fmt: skip
            db.session.add(Assignment(application_id=other.id, reviewer_id=self.reviewer.id,
                                      assigned_by_id=self.facilitator.id))  # fmt: skip
        db.session.commit()


def _statements(api, path: str) -> int:
    assert api.get(path).status_code == 200, path  # warm-up, so both sides do the same work
    with QueryCount() as counter:
        response = api.get(path)
    assert response.status_code == 200, path
    return counter.count


def test_every_list_issues_the_same_number_of_queries_with_3_and_12_rows(app, client):
    rows = Rows()
    staff, reviewer = as_user(client, rows.facilitator), as_user(client, rows.reviewer)
    lists = {
        "/applications": staff, "/standards": staff, f"/applications/{rows.target.id}/evidence": staff,
        f"/applications/{rows.target.id}/history": staff, "/assignments": staff, "/registry": staff,
        "/assignments?status=invited": reviewer,
    }  # fmt: skip
    counts = {}
    for n in (3, 12):
        rows.grow_to(n)
        counts[n] = {path: _statements(api, path + ("&" if "?" in path else "?") + "per_page=100")
                     for path, api in lists.items()}  # fmt: skip
    assert counts[3] == counts[12]
    assert max(counts[12].values()) <= 5


def test_a_page_says_where_it_is(app, client):
    rows = Rows()
    rows.grow_to(5)
    api = as_user(client, rows.facilitator)
    body = api.get(f"/applications/{rows.target.id}/history?page=2&per_page=2").get_json()
    assert (body["page"], body["per_page"], body["total"], len(body["items"])) == (2, 2, 5, 2)
    assert api.get(f"/applications/{rows.target.id}/history?page=4&per_page=2").get_json()["items"] == []


@pytest.mark.parametrize("query", ["per_page=101", "per_page=0", "page=0"])
def test_per_page_is_at_most_100_and_pages_start_at_1(app, client, query):
    response = as_user(client, f.user("admin")).get(f"/applications?{query}")
    assert response.status_code == 422 and error_of(response)["code"] == "validation_error"
