"""Application services on the real database: self-assessment, duplicates, history, change requests, scores."""

from __future__ import annotations

from fractions import Fraction

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from certification.applications.models import Application, HistoryEntry, SelfAssessment
from certification.applications.services import create_application, fire_event, save_self_assessment
from certification.certificates.models import Certificate
from certification.errors import (
    ConcurrentUpdate,
    Duplicate,
    Forbidden,
    GuardFailed,
    NotEditable,
    NotFound,
    ValidationFailed,
)
from certification.extensions import db
from certification.reviews.models import ScoreSnapshot
from certification.reviews.queries import latest_snapshot
from certification.reviews.services import moderate, recalculate_score
from certification.seals.models import Dimension, Indicator
from tests import factories as f


@pytest.fixture(autouse=True)
def _session(app, monkeypatch):
    f.fast_password_hashing(monkeypatch)
    yield
    f.release_session()


def history_rows(application_id: int) -> list[HistoryEntry]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(HistoryEntry).where(HistoryEntry.application_id == application_id).order_by(HistoryEntry.id)
        )
    )


# --- self-assessment ------------------------------------------------------------------------------------


INVALID_SELF_ASSESSMENTS = [
    # (rating, explanation, the field named in the refusal)
    (0, "Política aprobada.", "rating"),
    (6, "Política aprobada.", "rating"),
    (-1, "Política aprobada.", "rating"),
    ("3", "Política aprobada.", "rating"),
    (2.5, "Política aprobada.", "rating"),
    (True, "Política aprobada.", "rating"),
    (None, "Política aprobada.", "rating"),  # N/A on an indicator that does not allow it
    (3, "", "explanation"),
    (3, "   \n\t ", "explanation"),
    (3, None, "explanation"),
    (3, "x" * 5001, "explanation"),
]


def test_an_invalid_self_assessment_is_refused_and_changes_nothing():
    walk = f.Walk()
    strict = next(i for i in walk.indicators if not i.allows_na)
    save_self_assessment(walk.applicant, walk.id, strict.code, 4, "Versión aprobada por el directorio.")
    before = f.database_rows()
    for rating, explanation, field in INVALID_SELF_ASSESSMENTS:
        with pytest.raises(ValidationFailed) as caught:
            save_self_assessment(walk.applicant, walk.id, strict.code, rating, explanation)
        assert field in caught.value.fields, (rating, explanation)
        assert f.database_rows() == before, (rating, explanation)


def test_na_is_accepted_only_where_the_indicator_allows_it():
    walk = f.Walk()
    optional = next(i for i in walk.indicators if i.allows_na)
    row = save_self_assessment(walk.applicant, walk.id, optional.code, None, "No ofrecemos este producto.")
    assert row.rating is None
    db.session.expire_all()
    assert db.session.get(SelfAssessment, row.id).rating is None


def test_an_unknown_indicator_code_is_refused_and_changes_nothing():
    walk = f.Walk()
    before = f.database_rows()
    with pytest.raises(ValidationFailed) as caught:
        save_self_assessment(walk.applicant, walk.id, "POV.A.1", 3, "Código de otro sello.")
    assert "indicator" in caught.value.fields
    assert f.database_rows() == before


def test_the_self_assessment_is_frozen_after_submit():
    walk = f.Walk().submit()
    code = walk.indicators[0].code
    before = f.database_rows()
    with pytest.raises(NotEditable):
        save_self_assessment(walk.applicant, walk.id, code, 1, "Cambio tardío.")
    assert f.database_rows() == before


def test_only_the_organisations_staff_may_self_assess():
    walk = f.Walk()
    code = walk.indicators[0].code
    outsider, unassigned = f.applicant(), f.reviewer()
    before = f.database_rows()
    with pytest.raises(NotFound):
        save_self_assessment(outsider, walk.id, code, 3, "Otra institución.")
    with pytest.raises(Forbidden):
        save_self_assessment(walk.facilitator, walk.id, code, 3, "Facilitador.")
    with pytest.raises(NotFound):
        save_self_assessment(unassigned, walk.id, code, 3, "Revisor sin asignación.")
    assert f.database_rows() == before


# --- creating applications ------------------------------------------------------------------------------


def test_a_second_open_application_for_the_same_seal_is_a_duplicate():
    walk = f.Walk()
    colleague = f.applicant(walk.org)
    before = f.database_rows()
    with pytest.raises(Duplicate):
        create_application(walk.applicant, walk.std.id)
    with pytest.raises(Duplicate):
        create_application(colleague, walk.std.id)
    assert f.database_rows() == before
    other_seal = create_application(walk.applicant, f.standard("poverty").id)
    assert other_seal.id != walk.id


def test_after_withdrawal_the_organisation_may_apply_again():
    walk = f.Walk()
    walk.fire(walk.applicant, "withdraw", "Cambio de gerencia.")
    again = create_application(walk.applicant, walk.std.id)
    assert again.id != walk.id and again.state.value == "draft"


def test_only_applicants_may_create_applications():
    std = f.standard()
    for role in ("facilitator", "admin", "reviewer"):
        with pytest.raises(Forbidden):
            create_application(f.user(role) if role != "reviewer" else f.reviewer(), std.id)
    assert db.session.scalar(select(func.count(Application.id))) == 0


# --- events and their history ---------------------------------------------------------------------------


def test_every_fired_event_writes_exactly_one_history_row_with_who_what_and_why():
    walk = f.Walk()
    admin = f.user("admin")
    assert [h.event for h in history_rows(walk.id)] == ["create"]
    walk.submit().assign()
    code = walk.indicators[0].code
    steps = [
        ("return_to_applicant", walk.facilitator, "Falta el acta del directorio.", ()),
        ("resubmit", walk.applicant, "", ()),
        ("request_changes", walk.facilitator, "Detallar la política.", (code,)),
        ("__update__", None, "", ()),
        ("resubmit", walk.applicant, "", ()),
        ("__pilot__", None, "", ()),
        ("complete_pilot", walk.facilitator, "", ()),
        ("reject", walk.facilitator, "Puntaje insuficiente en el comité.", ()),
        ("appeal", walk.applicant, "Nueva evidencia de cartera.", ()),
        ("overturn", admin, "La evidencia nueva cambia el juicio.", ()),
        ("certify", walk.facilitator, "", ()),
        ("suspend", walk.facilitator, "Denuncia en revisión.", ()),
        ("reinstate", walk.facilitator, "Denuncia descartada.", ()),
        ("revoke", walk.facilitator, "Incumplimiento grave comprobado.", ()),
    ]
    for event, who, reason, indicators in steps:
        if event == "__update__":
            save_self_assessment(walk.applicant, walk.id, code, 4, "Política detallada con metas por género.")
            continue
        if event == "__pilot__":
            from certification.pilots.services import change_status

            walk.open_round()
            change_status(walk.facilitator, walk.round_id, "in_progress")
            walk.score()
            continue
        before = history_rows(walk.id)
        from_state = walk.state()
        application = fire_event(who, walk.id, event, reason, indicators)
        after = history_rows(walk.id)
        assert len(after) == len(before) + 1, event
        row = after[-1]
        assert (row.event, row.from_state.value, row.to_state.value) == (event, from_state, application.state.value)
        assert (row.actor_id, row.reason) == (who.id, reason)
        assert walk.state() == row.to_state.value
    assert walk.state() == "revoked"


def test_a_failed_guard_writes_no_history_and_leaves_the_state_unchanged():
    walk = f.Walk()
    before = f.database_rows()
    with pytest.raises(GuardFailed) as caught:
        walk.fire(walk.applicant, "submit")
    assert [u.code for u in caught.value.unmet] == ["self_assessment_incomplete", "essential_evidence_missing"]
    assert f.database_rows() == before
    assert walk.state() == "draft"


def test_a_state_change_and_its_history_row_are_committed_together_or_not_at_all(monkeypatch):
    walk = f.Walk().self_assess().upload_evidence()
    before = f.database_rows()

    def failing_commit():
        db.session.flush()  # both rows reach the database inside the transaction …
        raise IntegrityError("COMMIT", {}, Exception("simulated failure at commit"))  # … which then fails

    monkeypatch.setattr("certification.applications.services.commit", failing_commit)
    with pytest.raises(ConcurrentUpdate):
        walk.fire(walk.applicant, "submit")
    assert f.database_rows() == before
    assert walk.state() == "draft"


def test_request_changes_needs_a_reason_and_known_indicators():
    walk = f.Walk().start_review()
    code = walk.indicators[1].code
    before = f.database_rows()
    with pytest.raises(GuardFailed) as caught:
        walk.fire(walk.facilitator, "request_changes", "", ())
    assert [u.code for u in caught.value.unmet] == ["reason_required", "indicators_required"]
    with pytest.raises(GuardFailed) as caught:
        walk.fire(walk.facilitator, "request_changes", "Detallar metas.", ())
    assert [u.code for u in caught.value.unmet] == ["indicators_required"]
    with pytest.raises(ValidationFailed) as caught:
        walk.fire(walk.facilitator, "request_changes", "Detallar metas.", ("NOPE.1",))
    assert "NOPE.1" in str(caught.value)
    assert f.database_rows() == before
    walk.fire(walk.facilitator, "request_changes", "Detallar metas.", (code, code))
    db.session.expire_all()
    application = db.session.get(Application, walk.id)
    assert application.state.value == "changes_requested"
    assert application.flagged_indicators == [code]
    assert history_rows(walk.id)[-1].details == {"indicators": [code]}


def test_resubmit_needs_every_flagged_indicator_updated_after_the_request():
    walk = f.Walk().start_review()
    first, second = walk.indicators[0].code, walk.indicators[2].code
    walk.fire(walk.facilitator, "request_changes", "Detallar metas.", (first, second))
    with pytest.raises(GuardFailed) as caught:
        walk.fire(walk.applicant, "resubmit")
    assert caught.value.unmet[0].code == "flagged_not_updated"
    assert f"{first}, {second}" in caught.value.unmet[0].render()
    save_self_assessment(walk.applicant, walk.id, first, 3, "Metas por sucursal añadidas.")
    with pytest.raises(GuardFailed) as caught:
        walk.fire(walk.applicant, "resubmit")
    assert caught.value.unmet[0].params == {"codes": second}
    save_self_assessment(walk.applicant, walk.id, second, 3, "Presupuesto asignado.")
    walk.fire(walk.applicant, "resubmit")
    db.session.expire_all()
    application = db.session.get(Application, walk.id)
    assert (application.state.value, application.flagged_indicators) == ("under_review", [])


# --- scores ---------------------------------------------------------------------------------------------


def test_recalculating_twice_keeps_one_snapshot_with_the_same_digest():
    walk = f.Walk().start_review().score(lambda i: 4)
    first = latest_snapshot(walk.id)
    assert first is not None
    first_digest, first_result = first.inputs_digest, first.result
    before = f.database_rows()
    again = recalculate_score(walk.id)
    third = recalculate_score(walk.id)
    assert again.id == first.id == third.id
    assert again.inputs_digest == first.inputs_digest == third.inputs_digest
    assert f.database_rows() == before, "a recalculation with unchanged inputs writes nothing"
    db.session.execute(ScoreSnapshot.__table__.delete().where(ScoreSnapshot.application_id == walk.id))
    db.session.commit()
    rebuilt, rebuilt_again = recalculate_score(walk.id), recalculate_score(walk.id)
    assert rebuilt.id == rebuilt_again.id
    assert (rebuilt.inputs_digest, rebuilt.result) == (first_digest, first_result)
    assert db.session.scalar(select(func.count(ScoreSnapshot.id)).where(ScoreSnapshot.application_id == walk.id)) == 1


def independent_score(std, reviewer_scores: list[dict], moderated: dict) -> dict:
    """The scoring rules computed from the raw rows, without the product's scoring engine."""
    dimensions = list(db.session.scalars(select(Dimension).where(Dimension.standard_id == std.id)))
    indicators = list(db.session.scalars(select(Indicator).where(Indicator.standard_id == std.id)))
    dimension_code = {d.id: d.code for d in dimensions}
    consensus, by_dimension = {}, {d.code: [] for d in dimensions}
    for ind in indicators:
        given = [scores[ind.code] for scores in reviewer_scores if scores[ind.code] is not None]
        value = Fraction(sum(given), len(given)) if given else None
        if ind.code in moderated:
            value = Fraction(moderated[ind.code])
        consensus[ind.code] = value
        if value is not None:
            normalised = (value - ind.scale_min) / (ind.scale_max - ind.scale_min)
            by_dimension[dimension_code[ind.dimension_id]].append((Fraction(ind.weight), normalised))
    dimension_scores = {
        code: 100 * sum(w * v for w, v in pairs) / sum(w for w, _ in pairs) if pairs else None
        for code, pairs in by_dimension.items()
    }
    weighted = [
        (Fraction(d.weight), dimension_scores[d.code]) for d in dimensions if dimension_scores[d.code] is not None
    ]
    overall = sum(w * s for w, s in weighted) / sum(w for w, _ in weighted)
    essential_failures = sorted(
        i.code for i in indicators if i.essential and consensus[i.code] is not None
        and consensus[i.code] < Fraction(std.essential_minimum)
    )  # fmt: skip
    eligible = (
        overall >= Fraction(std.pass_threshold)
        and all(s >= Fraction(std.dimension_minimum) for s in dimension_scores.values() if s is not None)
        and not essential_failures
    )
    passed = [lv for lv in std.levels if Fraction(lv["minimum"]) <= overall]
    level = max(passed, key=lambda lv: lv["minimum"])["code"] if passed else None
    return {"overall": overall, "dimensions": dimension_scores, "eligible": eligible, "level": level,
            "essential_failures": essential_failures}  # fmt: skip


@pytest.mark.parametrize("pattern", ["strong", "weak_essential"])
def test_the_stored_score_equals_an_independent_computation_from_the_raw_scores(pattern):
    walk = f.Walk().start_review()
    optional = next(i.code for i in walk.indicators if i.allows_na)
    essential = walk.essential[0]

    def first(ind):
        if ind.code == optional:
            return None
        if pattern == "weak_essential" and ind.code == essential:
            return 2
        return 5 if ind.position % 2 == 0 else 3

    def second(ind):
        if ind.code == optional:
            return 2
        if pattern == "weak_essential" and ind.code == essential:
            return 3
        return 4

    from certification.reviews.services import save_score, submit_review

    raw = []
    for rev, assignment_id, score_for in zip(walk.reviewers, walk.assignment_ids, (first, second), strict=True):
        for ind in walk.indicators:
            save_score(rev, assignment_id, ind.code, score_for(ind), "Verificado en campo.")
        submit_review(rev, assignment_id)
        raw.append({ind.code: score_for(ind) for ind in walk.indicators})
    moderated_code = walk.indicators[-1].code
    moderate(walk.facilitator, walk.id, moderated_code, 2, "El comité revisó las actas de capacitación.")

    expected = independent_score(walk.std, raw, {moderated_code: 2})
    snapshot = latest_snapshot(walk.id)
    assert snapshot.overall == pytest.approx(float(expected["overall"]), abs=1e-9)
    assert snapshot.eligible is expected["eligible"]
    assert snapshot.level == expected["level"]
    assert snapshot.result["essential_failures"] == expected["essential_failures"]
    for code, value in expected["dimensions"].items():
        assert snapshot.result["dimensions"][code] == pytest.approx(float(value), abs=1e-9), code
    assert snapshot.result["indicators"][optional]["consensus"] == 2
    assert snapshot.result["indicators"][moderated_code]["moderated"] is True
    if pattern == "weak_essential":
        assert expected["essential_failures"] == [essential] and snapshot.eligible is False


# --- renewal --------------------------------------------------------------------------------------------


def test_a_renewal_is_prefilled_from_the_previous_application_and_linked_to_its_certificate():
    walk = f.Walk().certify()
    certificate = db.session.scalar(select(Certificate).where(Certificate.application_id == walk.id))
    assert certificate is not None
    renewal = create_application(walk.applicant, walk.std.id)
    db.session.expire_all()
    renewal = db.session.get(Application, renewal.id)
    assert renewal.previous_certificate_id == certificate.id
    assert renewal.state.value == "draft"

    def answers(application_id):
        rows = db.session.execute(
            select(Indicator.code, SelfAssessment.rating, SelfAssessment.explanation)
            .join(SelfAssessment, SelfAssessment.indicator_id == Indicator.id)
            .where(SelfAssessment.application_id == application_id)
        )
        return {code: (rating, explanation) for code, rating, explanation in rows}

    assert answers(renewal.id) == answers(walk.id)
    assert len(answers(renewal.id)) == len(walk.indicators)
    created = history_rows(renewal.id)[0]
    assert (created.event, created.details) == ("create", {"renewal_of": certificate.number})
