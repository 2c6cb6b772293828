"""A pilot round's summary: its figures equal an independent computation from the scores the test itself
entered on seeded random rounds; it is frozen when the round closes; its pages, exports and consultation step;
its pages read a constant number of SQL statements as rows grow."""

from __future__ import annotations

import io
import random
from collections import Counter
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select

from certification.extensions import db
from certification.pilots import services as pilots
from certification.pilots.models import PilotRound
from certification.pilots.summary import compute, summary_of
from certification.reviews.agreement import krippendorff_alpha
from certification.reviews.queries import latest_snapshot
from certification.reviews.services import moderate, save_score, submit_review
from certification.seals.models import IndicatorComment, Standard
from certification.seals.services import add_comment
from tests import factories as f
from tests.web.helpers import QueryCounter, fresh_client


@pytest.fixture(autouse=True)
def _session(app, monkeypatch):
    f.fast_password_hashing(monkeypatch)
    yield
    f.release_session()


class RandomRound:
    """A gender round in Peru of `size` applications, scored at random by two reviewers each: every value the
    test entered is kept, to compute the summary again without the product's code."""

    def __init__(self, seed: int, size: int = 4):
        self.rng = random.Random(seed)
        self.facilitator = f.user("facilitator")
        self.walks = [f.Walk("gender", facilitator=self.facilitator) for _ in range(size)]
        today = date.today()
        self.round = pilots.create_round(
            self.facilitator, name=f"Piloto {seed}", country="PE", area="gender",
            opens_on=today, closes_on=today + timedelta(days=60), capacity=size,
        )  # fmt: skip
        pilots.change_status(self.facilitator, self.round.id, "open")
        self.std = self.walks[0].std
        self.indicators = self.walks[0].indicators
        self.self_ratings: dict[int, dict[str, int | None]] = {}
        self.reviews: dict[int, dict[str, list[int | None]]] = {}
        self.moderated: dict[int, dict[str, float]] = {}
        for walk in self.walks:
            ratings = {i.code: self._value(i) for i in self.indicators}
            self.self_ratings[walk.id] = ratings
            walk.self_assess(lambda i, ratings=ratings: ratings[i.code]).upload_evidence()
            walk.fire(walk.applicant, "submit")
            walk.assign()
            walk.fire(self.facilitator, "start_review")
            pilots.enrol(self.facilitator, self.round.id, walk.id)
        pilots.change_status(self.facilitator, self.round.id, "in_progress")
        for walk in self.walks[:-1]:  # the last one stays unscored: it must count in no indicator
            scores: dict[str, list] = {i.code: [] for i in self.indicators}
            for reviewer, assignment_id in zip(walk.reviewers, walk.assignment_ids, strict=True):
                for ind in self.indicators:
                    value = self._value(ind)
                    scores[ind.code].append(value)
                    save_score(reviewer, assignment_id, ind.code, value, f"Revisado {ind.code}.")
                submit_review(reviewer, assignment_id)
            self.reviews[walk.id] = scores
        first = self.walks[0]
        code = self.indicators[1].code
        moderate(self.facilitator, first.id, code, 2, "Acta revisada con la red.")
        self.moderated[first.id] = {code: 2.0}
        first.fire(self.facilitator, "complete_pilot")

    def _value(self, indicator):
        if indicator.allows_na and self.rng.random() < 0.2:
            return None
        return self.rng.randint(indicator.scale_min, indicator.scale_max)

    def expected_indicator(self, code: str) -> dict:
        gap = self.std.disagreement_gap
        consensus, disagreements = {}, 0
        for app_id, scores in self.reviews.items():
            present = [s for s in scores[code] if s is not None]
            if present:
                consensus[app_id] = sum(present) / len(present)
                disagreements += max(present) - min(present) >= gap
            if code in self.moderated.get(app_id, {}):
                consensus[app_id] = self.moderated[app_id][code]
        own = {a: r[code] for a, r in self.self_ratings.items() if r[code] is not None}
        gaps = [own[a] - c for a, c in consensus.items() if a in own]
        alpha = krippendorff_alpha([scores[code] for scores in self.reviews.values()], "ordinal")
        return {
            "code": code, "applications": len(consensus),
            "mean_self": sum(own.values()) / len(own) if own else None,
            "mean_consensus": sum(consensus.values()) / len(consensus) if consensus else None,
            "mean_gap": sum(gaps) / len(gaps) if gaps else None, "disagreements": disagreements,
            "alpha": alpha, "flagged": alpha is not None and alpha < 0.667, "comments": 0,
        }  # fmt: skip


def assert_same(actual: dict, expected: dict) -> None:
    assert actual.keys() == expected.keys()
    for key, value in expected.items():
        if isinstance(value, float):
            assert actual[key] == pytest.approx(value), key
        else:
            assert actual[key] == value, key


@pytest.mark.parametrize("seed", [7, 2026])
def test_the_summary_figures_equal_an_independent_computation_on_a_random_round(app, seed):
    world = RandomRound(seed)
    figures = compute(db.session.get(PilotRound, world.round.id))
    assert [row["code"] for row in figures["indicators"]] == [i.code for i in world.indicators]
    for row in figures["indicators"]:
        assert_same(row, world.expected_indicator(row["code"]))
    states = Counter(walk.state() for walk in world.walks)
    assert figures["outcomes"]["by_state"] == dict(states) and figures["applications"] == len(world.walks)
    levels = Counter((latest_snapshot(w.id).level or "none") for w in world.walks if latest_snapshot(w.id))
    assert figures["outcomes"]["by_level"] == dict(levels)
    assert "by_country" not in figures["outcomes"]  # one country


def test_closing_freezes_the_summary_and_later_changes_do_not_alter_it(app, client):
    world = RandomRound(11, size=3)
    pilots.change_status(world.facilitator, world.round.id, "closed")
    pilot_round = db.session.get(PilotRound, world.round.id)
    frozen = pilot_round.summary
    assert frozen["status"] == "closed" and frozen["closed_at"] is not None
    # Later: a consultation comment on an indicator, and a moderation that changes a consensus.
    consultation = db.session.scalar(
        select(Standard).where(Standard.status == "consultation", Standard.area == "gender")
    )
    code = world.indicators[0].code
    add_comment(world.walks[0].applicant, consultation.id, code, "El indicador es ambiguo.")
    moderate(world.facilitator, world.walks[1].id, code, 1, "Reconsiderado tras el cierre.")
    db.session.expire_all()
    pilot_round = db.session.get(PilotRound, world.round.id)
    assert compute(pilot_round)["indicators"] != frozen["indicators"]  # the changes do show in a live computation
    assert summary_of(pilot_round) == frozen
    from tests.api.helpers import as_user

    body = as_user(client, world.facilitator).get(f"/pilot-rounds/{world.round.id}/summary").get_json()
    assert body["status"] == "closed" and body["closed_at"].startswith(frozen["closed_at"][:19])
    assert [row["mean_consensus"] for row in body["indicators"]] == [r["mean_consensus"] for r in frozen["indicators"]]
    assert [row["comments"] for row in body["indicators"]] == [r["comments"] for r in frozen["indicators"]]


def test_the_summary_api_answers_the_contracts_shape_live_and_only_to_staff(app, client):
    from tests.api.helpers import as_user, error_of

    world = RandomRound(3, size=2)
    staff = as_user(client, world.facilitator)
    response = staff.get(f"/pilot-rounds/{world.round.id}/summary")
    assert response.status_code == 200
    body = response.get_json()
    assert {"round_id", "status", "closed_at", "outcomes", "indicators"} <= set(body)
    assert body["round_id"] == world.round.id and body["status"] == "in_progress" and body["closed_at"] is None
    assert set(body["outcomes"]) >= {"by_state", "by_level"}
    assert {"code", "applications", "mean_self", "mean_consensus", "mean_gap", "disagreements", "alpha"} <= set(
        body["indicators"][0]
    )
    applicant = as_user(client, world.walks[0].applicant)
    assert error_of(applicant.get(f"/pilot-rounds/{world.round.id}/summary"))["code"] == "not_found"
    assert staff.get("/pilot-rounds/999999/summary").status_code == 404


def test_the_summary_downloads_as_xlsx_and_pdf_with_its_figures(app):
    world = RandomRound(5, size=2)
    client = fresh_client(app, world.facilitator)
    page = client.get(f"/pilot-rounds/{world.round.id}/summary")
    assert page.status_code == 200 and "<svg" in page.get_data(as_text=True)
    xlsx = client.get(f"/pilot-rounds/{world.round.id}/summary.xlsx")
    assert xlsx.status_code == 200 and xlsx.headers["Content-Disposition"].startswith("attachment;")
    book = load_workbook(io.BytesIO(xlsx.data), read_only=True)
    rows = list(book.worksheets[1].iter_rows(values_only=True))
    figures = compute(db.session.get(PilotRound, world.round.id))
    assert [r[0] for r in rows[1:]] == [i["code"] for i in figures["indicators"]]
    assert rows[1][1] == figures["indicators"][0]["applications"]
    pdf = client.get(f"/pilot-rounds/{world.round.id}/summary.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
    assert world.round.name in text and figures["indicators"][0]["code"] in text
    assert (
        fresh_client(app, world.walks[0].applicant).get(f"/pilot-rounds/{world.round.id}/summary.xlsx").status_code
        == 404
    )


def test_a_round_name_starting_with_a_formula_is_text_in_the_xlsx(app):
    facilitator = f.user("facilitator")
    today = date.today()
    hostile = pilots.create_round(facilitator, name='=HYPERLINK("http://x.example","clic")', country="PE",
                                  area="gender", opens_on=today, closes_on=today, capacity=1)  # fmt: skip
    data = fresh_client(app, facilitator).get(f"/pilot-rounds/{hostile.id}/summary.xlsx").data
    cell = load_workbook(io.BytesIO(data)).worksheets[0]["B1"]
    assert cell.value == hostile.name and cell.data_type == "s"


def test_flagged_indicators_open_consultation_comments_on_the_next_version_in_one_step(app):
    world = RandomRound(7)
    pilots.change_status(world.facilitator, world.round.id, "closed")
    frozen = db.session.get(PilotRound, world.round.id).summary
    flagged = [row["code"] for row in frozen["indicators"] if row["flagged"]]
    if not flagged:  # make one: the step needs a flagged indicator
        frozen["indicators"][0]["flagged"] = True
        flagged = [frozen["indicators"][0]["code"]]
        pilot_round = db.session.get(PilotRound, world.round.id)
        pilot_round.summary = {**frozen}
        db.session.commit()
    consultation = db.session.scalar(
        select(Standard).where(Standard.status == "consultation", Standard.area == "gender")
    )
    in_next = {i.code for i in f.indicators(consultation)}
    dropped = [code for code in flagged if code not in in_next]  # e.g. an indicator the next version removed
    flagged = [code for code in flagged if code in in_next]
    client = fresh_client(app, world.facilitator)
    page = client.get(f"/pilot-rounds/{world.round.id}/summary").get_data(as_text=True)
    assert f'name="indicators" value="{flagged[0]}" checked' in page
    assert all(f'value="{code}"' not in page for code in dropped)
    url = f"/pilot-rounds/{world.round.id}/summary/consultation"
    if dropped:  # asked for anyway: refused whole, nothing written
        client.post(url, data={"indicators": flagged + dropped[:1]})
        assert db.session.scalar(select(db.func.count(IndicatorComment.id))) == 0
    response = client.post(url, data={"indicators": flagged})
    assert response.status_code == 303
    comments = db.session.scalars(select(IndicatorComment).order_by(IndicatorComment.id)).all()
    assert len(comments) == len(flagged) and {c.standard_id for c in comments} == {consultation.id}
    assert all(f"/pilot-rounds/{world.round.id}/summary" in c.body and world.round.name in c.body for c in comments)
    client.post(url, data={"indicators": flagged})  # a second click adds nothing
    assert db.session.scalar(select(db.func.count(IndicatorComment.id))) == len(flagged)
    not_flagged = [row["code"] for row in frozen["indicators"] if not row["flagged"]]
    client.post(url, data={"indicators": not_flagged[:1]})
    assert db.session.scalar(select(db.func.count(IndicatorComment.id))) == len(flagged)  # refused


def test_the_round_page_shows_progress_per_application(app):
    world = RandomRound(13, size=2)
    overdue = world.walks[1]
    from certification.reviews.models import Assignment

    db.session.get(Assignment, overdue.assignment_ids[0]).due_on = date.today() - timedelta(days=2)
    db.session.commit()
    page = fresh_client(app, world.facilitator).get(f"/pilot-rounds/{world.round.id}").get_data(as_text=True)
    scored = latest_snapshot(world.walks[0].id)
    assert f"{scored.overall:.2f}" in page
    assert '<strong class="overdue">1</strong>' in page
    assert 'aria-labelledby="by-state-title by-state-desc"' in page and "<desc" in page


def test_round_pages_read_a_constant_number_of_sql_statements_as_rows_grow(app):
    facilitator = f.user("facilitator")
    today = date.today()
    pilot_round = pilots.create_round(facilitator, name="Piloto grande", country="PE", area="gender",
                                      opens_on=today, closes_on=today + timedelta(days=30), capacity=100)  # fmt: skip
    pilots.change_status(facilitator, pilot_round.id, "open")
    enrolled = 0

    def grow_to(n):
        nonlocal enrolled
        while enrolled < n:
            walk = f.Walk("gender", facilitator=facilitator).submit().assign()
            pilots.enrol(facilitator, pilot_round.id, walk.id)
            enrolled += 1

    def count(url):
        client = fresh_client(app, facilitator)
        assert client.get(url).status_code == 200
        with QueryCounter(db.engine) as counter:
            assert client.get(url).status_code == 200
        return counter.count

    urls = [f"/pilot-rounds/{pilot_round.id}", f"/pilot-rounds/{pilot_round.id}/summary"]
    grow_to(2)
    few = [count(u) for u in urls]
    grow_to(6)
    assert [count(u) for u in urls] == few


def test_the_round_page_charts_outcomes_by_level_and_reviewer_load_with_their_numbers(app):
    from certification.accounts.models import User
    from certification.applications.models import Application
    from certification.reviews.models import Assignment

    world = RandomRound(29, size=3)
    page = fresh_client(app, world.facilitator).get(f"/pilot-rounds/{world.round.id}?lang=es").get_data(as_text=True)
    assert 'aria-labelledby="levels-title levels-desc"' in page and 'aria-labelledby="load-title load-desc"' in page
    # Counted here from the rows themselves, not through the page's queries.
    snapshots = [latest_snapshot(walk.id) for walk in world.walks]
    levels = Counter(s.level for s in snapshots if s is not None and s.overall is not None)
    assert levels, "the random round scores its applications"
    for code, n in levels.items():
        name = world.std.level_name(code, "es") if code else "sin nivel alcanzado"
        assert f'<th scope="row">{name}</th><td>{n}</td>' in page, (name, n)
    held = Counter(
        db.session.scalars(
            select(User.name)
            .join(Assignment, Assignment.reviewer_id == User.id)
            .join(Application, Assignment.application_id == Application.id)
            .where(Application.pilot_round_id == world.round.id)
        )
    )
    assert held
    for name, n in held.items():
        assert f'<th scope="row">{name}</th><td>{n}</td>' in page, (name, n)
