"""Scoring through the service layer: random reviews, N/A and moderations give exactly the figures of the scoring rules,
computed here independently, and the certification decision follows them.

Also: the scoring rules of the scoring screen (comment required, N/A only where allowed, whole numbers in
the scale, submit refused with the list of what is missing) and idempotent recalculation.
"""

from __future__ import annotations

import random
from datetime import date
from fractions import Fraction

import pytest
from sqlalchemy import select

from certification.applications.services import fire_event
from certification.errors import GuardFailed, NotEditable, NotFound, ValidationFailed
from certification.extensions import db
from certification.pilots import services as pilots
from certification.reviews import services
from certification.reviews.models import ScoreSnapshot
from certification.seals.models import Dimension, Standard
from tests import factories as f
from tests.reviewing import score_all, submitted_application, under_review


def independent_score(standard: Standard, indicators, reviews: list[dict], moderated: dict, self_ratings: dict):
    """The scoring rules written out again from the standard's rows, with fractions; N/A is None."""
    dimensions = {d.id: d for d in db.session.scalars(select(Dimension).where(Dimension.standard_id == standard.id))}
    out = {"indicators": {}, "dimensions": {}, "essential_failures": []}
    values: dict[int, list] = {}
    for ind in indicators:
        given = [r[ind.code] for r in reviews if r.get(ind.code) is not None]
        disagreement = len(given) >= 2 and max(given) - min(given) >= standard.disagreement_gap
        if ind.code in moderated:
            consensus = Fraction(moderated[ind.code]).limit_denominator(1000)
        elif given:
            consensus = Fraction(sum(given), len(given))
        else:
            consensus = None
        out["indicators"][ind.code] = (consensus, disagreement)
        if consensus is not None:
            value = (consensus - ind.scale_min) / (ind.scale_max - ind.scale_min)
            values.setdefault(ind.dimension_id, []).append((Fraction(ind.weight), value))
            if ind.essential and consensus < Fraction(standard.essential_minimum):
                out["essential_failures"].append(ind.code)
    total = weight_sum = Fraction(0)
    for dimension_id, dimension in dimensions.items():
        pairs = values.get(dimension_id)
        if not pairs:
            out["dimensions"][dimension.code] = None
            continue
        score = 100 * sum(w * v for w, v in pairs) / sum(w for w, _v in pairs)
        out["dimensions"][dimension.code] = score
        total += Fraction(dimension.weight) * score
        weight_sum += Fraction(dimension.weight)
    overall = total / weight_sum if weight_sum else None
    out["overall"] = overall
    out["eligible"] = (
        overall is not None
        and overall >= Fraction(standard.pass_threshold)
        and all(s >= Fraction(standard.dimension_minimum) for s in out["dimensions"].values() if s is not None)
        and not out["essential_failures"]
    )
    reached = [lv for lv in standard.levels if overall is not None and Fraction(lv["minimum"]) <= overall]
    out["level"] = max(reached, key=lambda lv: lv["minimum"])["code"] if reached else None
    # The self-assessment with the same formula: each indicator's consensus is the MFI's own rating.
    self_values: dict[int, list] = {}
    for ind in indicators:
        rating = self_ratings.get(ind.code)
        if rating is not None:
            self_values.setdefault(ind.dimension_id, []).append(
                (Fraction(ind.weight), Fraction(rating - ind.scale_min, ind.scale_max - ind.scale_min))
            )
    s_total = s_weights = Fraction(0)
    for dimension_id, dimension in dimensions.items():
        pairs = self_values.get(dimension_id)
        if pairs:
            s_total += Fraction(dimension.weight) * 100 * sum(w * v for w, v in pairs) / sum(w for w, _ in pairs)
            s_weights += Fraction(dimension.weight)
    out["self_overall"] = s_total / s_weights if s_weights else None
    return out


def _close(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(float(a) - float(b)) < 1e-9


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_random_reviews_and_moderations_give_the_independent_section_4_figures_and_decision(app, seed):
    rng = random.Random(seed)
    std = f.standard(rng.choice(["gender", "poverty", "rural"]))
    indicators = f.indicators(std)
    self_ratings = {i.code: rng.randint(i.scale_min, i.scale_max) for i in indicators}
    application, _applicant = submitted_application(std, rating=lambda i: self_ratings[i.code])
    facilitator = f.user("facilitator")
    pilot_round = pilots.create_round(
        facilitator,
        name=f"Piloto {seed}",
        country="PE",
        area=std.area.value,
        opens_on=date(2026, 1, 1),
        closes_on=date(2026, 12, 31),
        capacity=3,
    )
    pilots.change_status(facilitator, pilot_round.id, "open")
    pilots.enrol(facilitator, pilot_round.id, application.id)
    reviewers = [f.reviewer(std.area.value) for _ in range(max(std.min_reviewers, rng.choice([2, 3])))]
    assignments = under_review(facilitator, application.id, reviewers)
    pilots.change_status(facilitator, pilot_round.id, "in_progress")

    # Mostly high scores so that both outcomes (eligible or not) come up across the seeds.
    floor = rng.choice([1, 2, 3])
    reviews = []
    for reviewer, assignment in zip(reviewers, assignments, strict=True):
        review = {}
        for ind in indicators:
            na = ind.allows_na and rng.random() < 0.25
            review[ind.code] = None if na else rng.randint(max(ind.scale_min, floor), ind.scale_max)
        score_all(reviewer, assignment.id, indicators, lambda i, r=review: r[i.code])
        reviews.append(review)
    moderated = {}
    for ind in rng.sample(indicators, rng.randint(0, 3)):
        moderated[ind.code] = rng.choice([x / 2 for x in range(2 * ind.scale_min, 2 * ind.scale_max + 1)])
        services.moderate(facilitator, application.id, ind.code, moderated[ind.code], "Revisé las actas in situ.")

    snapshot = services.recalculate_score(application.id)
    expected = independent_score(std, indicators, reviews, moderated, self_ratings)
    result = snapshot.result
    assert _close(snapshot.overall, expected["overall"])
    for code, score in expected["dimensions"].items():
        assert _close(result["dimensions"][code], score), code
    for code, (consensus, disagreement) in expected["indicators"].items():
        got = result["indicators"][code]
        assert _close(got["consensus"], consensus), code
        assert got["disagreement"] is disagreement, code
        assert got["moderated"] is (code in moderated), code
    assert result["essential_failures"] == expected["essential_failures"]
    assert snapshot.eligible is expected["eligible"]
    assert snapshot.level == expected["level"]
    assert _close(snapshot.self_result["overall"], expected["self_overall"])

    fire_event(facilitator, application.id, "complete_pilot")
    if expected["eligible"]:
        certified = fire_event(facilitator, application.id, "certify")
        assert certified.state.value == "certified"
    else:
        with pytest.raises(GuardFailed) as refused:
            fire_event(facilitator, application.id, "certify")
        assert "not_eligible" in {u.code for u in refused.value.unmet}


def test_recalculating_twice_gives_the_same_snapshot(app):
    std = f.standard("gender")
    application, _ = submitted_application(std)
    facilitator = f.user("facilitator")
    reviewers = [f.reviewer("gender"), f.reviewer("gender")]
    assignments = under_review(facilitator, application.id, reviewers)
    for reviewer, assignment in zip(reviewers, assignments, strict=True):
        score_all(reviewer, assignment.id, f.indicators(std), lambda i: i.scale_max)
    first = services.recalculate_score(application.id)
    again = services.recalculate_score(application.id)
    assert first.id == again.id and first.result == again.result
    assert db.session.scalar(select(db.func.count(ScoreSnapshot.id))) >= 1
    assert services.recalculate_score(10**9) is None


def test_the_scoring_rules_of_the_screen_are_enforced_by_the_service(app):
    std = f.standard("gender")
    indicators = f.indicators(std)
    application, _ = submitted_application(std)
    facilitator = f.user("facilitator")
    reviewer, other = f.reviewer("gender"), f.reviewer("gender")
    assignment, _second = under_review(facilitator, application.id, [reviewer, other])
    first = indicators[0]
    with pytest.raises(ValidationFailed) as refused:
        services.save_score(reviewer, assignment.id, first.code, first.scale_max, "   ")
    assert "comment" in refused.value.fields
    with pytest.raises(ValidationFailed) as refused:
        services.save_score(reviewer, assignment.id, first.code, first.scale_max + 1, "Ok.")
    assert "score" in refused.value.fields
    no_na = next(i for i in indicators if not i.allows_na)
    with pytest.raises(ValidationFailed) as refused:
        services.save_score(reviewer, assignment.id, no_na.code, None, "No aplica.")
    assert "score" in refused.value.fields
    with_na = next(i for i in indicators if i.allows_na)
    assert services.save_score(reviewer, assignment.id, with_na.code, None, "No ofrece crédito rural.").score is None
    with pytest.raises(ValidationFailed):
        services.save_score(reviewer, assignment.id, "NOPE", 3, "Ok.")
    with pytest.raises(ValidationFailed) as refused:
        services.save_score(reviewer, assignment.id, first.code, 3, "Ok.", evidence_ids=[10**9])
    assert "evidence_ids" in refused.value.fields

    services.save_score(reviewer, assignment.id, first.code, first.scale_min, "Primera lectura.")
    services.save_score(reviewer, assignment.id, first.code, first.scale_max, "Corregido tras ver actas.")
    with pytest.raises(GuardFailed) as refused:
        services.submit_review(reviewer, assignment.id)
    message = refused.value.unmet[0].render()
    missing = [i.code for i in indicators if i.code not in (first.code, with_na.code)]
    assert all(code in message for code in missing) and first.code not in message.split(":")[-1].split(", ")
    score_all(reviewer, assignment.id, indicators, lambda i: i.scale_max)
    with pytest.raises(NotEditable):
        services.save_score(reviewer, assignment.id, first.code, first.scale_min, "Demasiado tarde.")
    with pytest.raises(NotFound):
        services.save_score(other, assignment.id, first.code, 2, "No es mi revisión.")


def test_agreement_report_of_a_standard_counts_only_submitted_reviews_per_indicator(app):
    from certification.reviews.agreement import krippendorff_alpha
    from certification.reviews.queries import agreement_report
    from tests.reviewing import reviewed_application

    # Application A: reviewers agree everywhere. Application B: the second reviewer is one level lower on
    # every indicator. Per indicator: 2 pairs, 1 identical -> 50 %, mean |difference| 0.5.
    reviewed_application([lambda i: i.scale_max, lambda i: i.scale_max])
    _app_b, _applicant, _facilitator, _people, std = reviewed_application(
        [lambda i: i.scale_max, lambda i: i.scale_max - 1]
    )
    report = agreement_report(std.id)
    assert report.applications == 2
    indicator, figures = report.rows[0]
    top = indicator.scale_max
    assert (figures.units, figures.pairs) == (2, 2)
    assert figures.exact_agreement == 0.5 and figures.mean_absolute_difference == 0.5
    assert figures.alpha == krippendorff_alpha([[top, top], [top, top - 1]])
    assert report.overall.pairs == 2 * len(report.rows)
