"""One scoring pipeline (SQLite and PostgreSQL): one application and a whole standard get the same
snapshots, a chunk costs a constant number of statements with ONE snapshot INSERT, and a calibration is
one transaction with its audit row."""

from __future__ import annotations

import pytest
from sqlalchemy import event, func, select, update

from bench.data import reviewed_applications
from certification.applications.models import Application
from certification.extensions import db
from certification.outbox import services as outbox_services
from certification.rescoring import services as rescoring_services
from certification.rescoring.models import RescoreJob
from certification.reviews.models import Assignment, ReviewScore, ScoreSnapshot
from certification.reviews.queries import latest_snapshot, score_inputs
from certification.reviews.services import recalculate_score
from certification.scoring.pipeline import Batch, rescore_applications
from certification.seals import services as seals_services
from certification.seals.models import Calibration, Indicator, Standard
from certification.seals.queries import scoring_rules, standard_tree
from certification.seals.services import calibrate, current_proposal, parse_calibration, rules_token
from standards.scoring import compute_score, compute_self_assessment
from tests import factories as f
from tests.seals_support import move_to, restored_standards, version  # noqa: F401 - fixture


@pytest.fixture(autouse=True)
def _session(app, monkeypatch):
    f.fast_password_hashing(monkeypatch)
    yield
    f.release_session()


class Statements:
    """SQL statements sent while the block runs (an INSERT of many rows in one statement counts once)."""

    def __init__(self):
        self.sent: list[str] = []

    def __enter__(self):
        event.listen(db.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *exc):
        event.remove(db.engine, "before_cursor_execute", self._count)

    def _count(self, conn, cursor, statement, parameters, context, executemany):
        self.sent.append(" ".join(statement.split()))

    def inserts_into(self, table: str) -> int:
        return sum(1 for s in self.sent if s.upper().startswith(f"INSERT INTO {table.upper()} "))


def _mixed_applications(standard: Standard, count: int, prefix: str) -> list[int]:
    """`count` applications: a third reviewed, a third reviewed at the bottom of every scale (no level), a
    third never reviewed (no overall, no level): rows with None and non-None levels in one batch."""
    third = max(1, count // 3)
    reviewed = reviewed_applications(standard.id, third, prefix=f"{prefix}r")
    lowest = reviewed_applications(standard.id, third, prefix=f"{prefix}l")
    unreviewed = reviewed_applications(standard.id, count - 2 * third, prefix=f"{prefix}u", reviewers_per_application=0)
    assignment_ids = select(Assignment.id).where(Assignment.application_id.in_(lowest))
    lowest_scale = select(Indicator.scale_min).where(Indicator.id == ReviewScore.indicator_id).scalar_subquery()
    db.session.execute(
        update(ReviewScore).where(ReviewScore.assignment_id.in_(assignment_ids)).values(score=lowest_scale)
        .execution_options(synchronize_session=False)
    )  # fmt: skip
    db.session.commit()
    return reviewed + lowest + unreviewed


def _rescore(ids: list[int], standard: Standard) -> Statements:
    batch = Batch(scoring_rules(db.session.get(Standard, standard.id)))
    with Statements() as statements:
        rescore_applications(ids, batch)
    db.session.commit()
    return statements


def test_rescoring_a_chunk_costs_the_same_statements_for_3_and_30_applications_with_one_snapshot_insert():
    standard = f.standard("gender")
    small = _mixed_applications(standard, 3, "s")
    large = _mixed_applications(standard, 30, "l")

    few, many = _rescore(small, standard), _rescore(large, standard)

    assert len(few.sent) == len(many.sent) == 3  # inputs, latest snapshots, the INSERT
    assert few.inserts_into("score_snapshots") == many.inserts_into("score_snapshots") == 1
    levels = set(db.session.scalars(select(ScoreSnapshot.level).where(ScoreSnapshot.application_id.in_(large))))
    assert None in levels and levels - {None}, "the batch mixes rows with and without a level"
    assert db.session.scalar(select(func.count()).select_from(ScoreSnapshot)) == 33
    # Nothing changed: a second pass reads and writes nothing.
    again = _rescore(large, standard)
    assert len(again.sent) == 2 and again.inserts_into("score_snapshots") == 0


def test_snapshots_written_by_the_pipeline_hold_exactly_the_reference_results():
    standard = f.standard("gender")
    ids = _mixed_applications(standard, 9, "r")
    _rescore(ids, standard)
    rules = scoring_rules(db.session.get(Standard, standard.id))
    db.session.expire_all()
    for application_id in ids:
        snapshot = latest_snapshot(application_id)
        inputs = score_inputs(db.session.get(Application, application_id))
        expected = compute_score(rules, inputs["reviewer_scores"], inputs["moderated"])
        assert snapshot.inputs == inputs and snapshot.rules == rules.to_dict()
        assert snapshot.result == expected.to_dict()
        assert snapshot.self_result == compute_self_assessment(rules, inputs["self_ratings"]).to_dict()
        assert (snapshot.overall, snapshot.level, snapshot.eligible) == (
            expected.overall, expected.level, expected.eligible
        )  # fmt: skip
        open_ = [i for i in expected.to_dict()["indicators"].values() if i["disagreement"] and not i["moderated"]]
        assert snapshot.open_disagreements == len(open_)
    assert any(latest_snapshot(i).open_disagreements for i in ids), "some reviewers disagree in the data"


def test_one_application_and_the_bulk_job_write_the_same_snapshot():
    standard = f.standard("gender")
    ids = _mixed_applications(standard, 6, "same")
    job = rescoring_services.start_rescore(standard.id, requested_by_id=None, reason="bulk")  # runs in process
    assert db.session.get(RescoreJob, job.id).finished
    columns = ("inputs_digest", "inputs", "rules", "result", "self_result", "overall", "level", "eligible")
    for application_id in ids:
        db.session.expire_all()
        bulk = latest_snapshot(application_id)
        written_in_bulk = {column: getattr(bulk, column) for column in columns}
        assert recalculate_score(application_id).id == bulk.id  # same digest: nothing new to write
        db.session.delete(bulk)
        db.session.commit()

        alone = recalculate_score(application_id)

        assert {column: getattr(alone, column) for column in columns} == written_in_bulk


def _pilot_with_scored_applications():
    admin = f.user("admin")
    standard = move_to(version("GEN", "1.1"), "pilot", admin=admin)
    reviewed_applications(standard.id, 4, prefix="cal")
    facilitator = f.user("facilitator")
    form = current_proposal(standard_tree(standard.id)).as_form()
    form["pass"] = "65"
    return standard, facilitator, parse_calibration(standard_tree(standard.id), form)


@pytest.mark.usefixtures("restored_standards")
def test_a_calibration_commits_once_with_its_audit_row_job_and_outbox_message(monkeypatch):
    standard, facilitator, proposal = _pilot_with_scored_applications()
    monkeypatch.setattr(outbox_services, "dispatch_many", lambda ids: 0)  # the job itself runs later
    commits = []
    session = db.session()

    def counted(session):
        commits.append(session)

    event.listen(session, "after_commit", counted)
    try:
        calibration = calibrate(facilitator, standard.id, proposal, "Piloto: subir la exigencia.",
                                rules_token(standard_tree(standard.id)))  # fmt: skip
    finally:
        event.remove(session, "after_commit", counted)

    assert len(commits) == 1
    db.session.expire_all()
    assert db.session.get(Standard, standard.id).pass_threshold == 65
    assert db.session.get(Calibration, calibration.id).rescore_job_id is not None
    assert db.session.get(RescoreJob, calibration.rescore_job_id).total == 4


@pytest.mark.usefixtures("restored_standards")
def test_a_calibration_that_fails_half_way_leaves_no_weight_no_audit_row_and_no_job(monkeypatch):
    standard, facilitator, proposal = _pilot_with_scored_applications()
    token = rules_token(standard_tree(standard.id))
    jobs_before = db.session.scalar(select(func.count()).select_from(RescoreJob))
    original = rescoring_services.queue_rescore

    def queue_then_fail(*args, **kwargs):
        original(*args, **kwargs)  # the new rules and the job are flushed...
        raise RuntimeError("worker queue unavailable")  # ...and then something breaks

    monkeypatch.setattr(seals_services, "queue_rescore", queue_then_fail)  # the name calibrate calls
    with pytest.raises(RuntimeError):
        calibrate(facilitator, standard.id, proposal, "Piloto: subir la exigencia.", token)

    db.session.expire_all()
    assert db.session.get(Standard, standard.id).pass_threshold == 60
    assert db.session.scalar(select(func.count()).select_from(Calibration)) == 0
    assert db.session.scalar(select(func.count()).select_from(RescoreJob)) == jobs_before
