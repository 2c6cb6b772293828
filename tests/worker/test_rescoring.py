"""Bulk re-scoring in process (SQLite and PostgreSQL): equals a full recompute, reports changed outcomes,
is idempotent, and continues where an interrupted run stopped."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bench.data import reviewed_applications
from certification.errors import NotFound
from certification.extensions import db
from certification.outbox.models import OutboxMessage
from certification.rescoring.models import RescoreItem, RescoreJob, RescoreStatus
from certification.rescoring.queries import job as load_job
from certification.rescoring.services import run_job, start_rescore
from certification.reviews.models import ScoreSnapshot
from certification.reviews.queries import score_inputs
from certification.seals.models import Standard
from certification.seals.queries import scoring_rules
from standards.scoring import compute_score
from tests import factories as f
from tests.seals_support import restored_standards  # noqa: F401 - fixture


@pytest.fixture(autouse=True)
def _session(app, monkeypatch):
    f.fast_password_hashing(monkeypatch)
    yield
    f.release_session()


def full_recompute(application_id: int) -> dict:
    """The score from scratch, without the re-scoring code."""
    from certification.applications.models import Application

    application = db.session.get(Application, application_id)
    standard = db.session.get(Standard, application.standard_id)
    inputs = score_inputs(application)
    return compute_score(scoring_rules(standard), inputs["reviewer_scores"], inputs["moderated"]).to_dict()


def latest_results(application_ids) -> dict[int, dict]:
    db.session.expire_all()
    latest = select(func.max(ScoreSnapshot.id)).group_by(ScoreSnapshot.application_id)
    rows = db.session.execute(
        select(ScoreSnapshot.application_id, ScoreSnapshot.result).where(ScoreSnapshot.id.in_(latest))
    )
    return {a: r for a, r in rows if a in set(application_ids)}


def snapshot_count() -> int:
    return db.session.scalar(select(func.count()).select_from(ScoreSnapshot))


def test_a_bulk_rescore_gives_every_application_the_score_of_a_full_recompute():
    std = f.standard("gender")
    ids = reviewed_applications(std.id, 30)
    job = start_rescore(std.id, requested_by_id=None, reason="test")  # no broker: runs in process after commit
    job = load_job(job.id)
    db.session.refresh(job)
    assert (job.status, job.done, job.total) == (RescoreStatus.DONE, 30, 30)
    results = latest_results(ids)
    assert set(results) == set(ids)
    for application_id in ids:
        assert results[application_id] == full_recompute(application_id)
    outbox = db.session.scalars(select(OutboxMessage).where(OutboxMessage.task == "rescore_standard")).one()
    assert outbox.done_at is not None and outbox.attempts == 1


def test_rescoring_again_with_unchanged_inputs_adds_no_snapshot():
    std = f.standard("gender")
    reviewed_applications(std.id, 12)
    start_rescore(std.id, requested_by_id=None)
    before = snapshot_count()
    assert before == 12
    second = start_rescore(std.id, requested_by_id=None)
    assert snapshot_count() == before
    assert load_job(second.id).report["changed_count"] == 0


@pytest.mark.usefixtures("restored_standards")
def test_the_report_lists_the_applications_whose_eligibility_or_level_changed_after_a_calibration():
    std = f.standard("gender")
    ids = reviewed_applications(std.id, 25)
    start_rescore(std.id, requested_by_id=None)
    eligible_before = {a for a, r in latest_results(ids).items() if r["eligible"]}
    assert eligible_before, "the generated scores make some applications eligible"
    # A calibration nobody passes (Core, as the calibration service does on a pilot version).
    db.session.execute(Standard.__table__.update().where(Standard.id == std.id).values(pass_threshold=100.0))
    job = start_rescore(std.id, requested_by_id=None, reason="threshold to 100")  # commits the change with the job
    report = load_job(job.id).report
    assert {row["application_id"] for row in report["changed"]} == eligible_before
    assert report["changed_count"] == len(eligible_before)
    assert all(row["before"]["eligible"] and not row["after"]["eligible"] for row in report["changed"])
    assert not any(r["eligible"] for r in latest_results(ids).values())


def test_an_interrupted_job_continues_with_what_is_not_done_and_scores_each_application_once(app, monkeypatch):
    std = f.standard("gender")
    ids = reviewed_applications(std.id, 20)
    monkeypatch.setitem(app.config, "RESCORE_CHUNK_SIZE", 6)
    monkeypatch.setattr("certification.rescoring.services.run_job", lambda job_id, **kw: None)  # queue it only
    job_id = start_rescore(std.id, requested_by_id=None).id
    monkeypatch.undo()
    monkeypatch.setitem(app.config, "RESCORE_CHUNK_SIZE", 6)

    class WorkerKilled(Exception):
        pass

    def die_after_two_chunks(job):
        if job.done >= 12:
            raise WorkerKilled

    with pytest.raises(WorkerKilled):
        run_job(job_id, on_chunk=die_after_two_chunks)
    db.session.rollback()
    half = db.session.get(RescoreJob, job_id)
    assert (half.status, half.done) == (RescoreStatus.RUNNING, 12)
    assert snapshot_count() == 12
    done = run_job(job_id)
    assert (done.status, done.done) == (RescoreStatus.DONE, 20)
    assert snapshot_count() == 20, "the 12 done before the crash were not scored again"
    assert db.session.scalar(select(func.count()).select_from(RescoreItem).where(RescoreItem.done_at.is_(None))) == 0
    results = latest_results(ids)
    assert all(results[a] == full_recompute(a) for a in ids)
    assert run_job(job_id).status == RescoreStatus.DONE  # a late second delivery changes nothing
    assert snapshot_count() == 20


def test_rescoring_an_unknown_standard_is_refused_and_writes_nothing():
    with pytest.raises(NotFound):
        start_rescore(999999, requested_by_id=None)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(RescoreJob)) == 0
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_the_requester_is_notified_when_the_job_is_done():
    from certification.notifications.models import Notification

    std = f.standard("gender")
    reviewed_applications(std.id, 3)
    facilitator = f.user("facilitator")
    job = start_rescore(std.id, requested_by_id=facilitator.id)
    note = db.session.scalars(select(Notification).where(Notification.user_id == facilitator.id)).one()
    assert (note.kind, note.link, note.params["total"]) == ("rescore_finished", f"/rescoring/{job.id}", 3)
