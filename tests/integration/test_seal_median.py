"""After its decision, an MFI compares its dimension scores with the median of its seal's decided applications,
only when enough organisations are in the comparison for none of them to be guessed."""

from __future__ import annotations

from statistics import median

import pytest

from certification.extensions import db
from certification.reviews.queries import COMPARISON_MINIMUM, latest_snapshot, seal_comparison
from tests import factories as f
from tests.web.helpers import QueryCounter, fresh_client


@pytest.fixture(autouse=True)
def _session(app, monkeypatch):
    f.fast_password_hashing(monkeypatch)
    yield
    f.release_session()


def decided(step: int) -> f.Walk:
    """A gender application of a new organisation, every indicator scored `step` below its maximum, rejected."""
    walk = f.Walk("gender").pilot(lambda i: max(i.scale_min, i.scale_max - step))
    walk.fire(walk.facilitator, "reject", "Por debajo del umbral.")
    return walk


def result_page(app, walk) -> str:
    return fresh_client(app, walk.applicant).get(f"/applications/{walk.id}/result?lang=en").get_data(as_text=True)


def test_with_four_organisations_the_page_says_there_are_too_few_to_compare(app):
    assert COMPARISON_MINIMUM == 5
    walks = [decided(step) for step in range(4)]
    f.Walk("gender").submit()  # undecided: never in the comparison
    page = result_page(app, walks[0])
    assert "Too few organisations have a decision on this seal" in page
    assert "seal median" not in page
    assert seal_comparison(walks[0].std.code).organizations == 4


def test_with_five_organisations_the_page_shows_each_dimensions_median_and_names_nobody(app):
    walks = [decided(step) for step in (0, 2, 1, 3, 1)]
    expected = {
        code: median(latest_snapshot(w.id).result["dimensions"][code] for w in walks)
        for code in latest_snapshot(walks[0].id).result["dimensions"]
    }
    comparison = seal_comparison(walks[0].std.code)
    assert comparison.organizations == 5 and comparison.medians == pytest.approx(expected)
    page = result_page(app, walks[0])
    assert "Too few organisations" not in page
    for value in expected.values():
        assert f"seal median: {value:.2f}" in page
    assert all(w.org.name not in page for w in walks[1:]), "no other organisation is named"


def test_the_comparison_reads_one_statement_however_many_applications(app):
    walks = [decided(step) for step in range(5)]
    with QueryCounter(db.engine) as few:
        seal_comparison(walks[0].std.code)
    walks += [decided(step) for step in range(3)]
    with QueryCounter(db.engine) as more:
        seal_comparison(walks[0].std.code)
    assert few.count == more.count
    assert sum("score_snapshots" in statement for statement in more.statements) == 1
