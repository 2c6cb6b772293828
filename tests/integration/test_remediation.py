"""The review loop closes: after a change request and the MFI's resubmission, the reviewers' scores of the
flagged indicators reopen (the rest stay), the score is out of date until they submit again, and the
history shows it. While editable, the MFI can remove or replace the evidence files it uploaded."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from certification.applications.models import Application, HistoryEntry
from certification.applications.queries import facts_for
from certification.errors import GuardFailed, NotEditable, NotFound
from certification.evidence import queries as evidence_queries
from certification.evidence import services as evidence
from certification.evidence.models import Evidence
from certification.extensions import db
from certification.notifications.models import Notification
from certification.pilots.services import change_status
from certification.reviews import queries as review_queries
from certification.reviews import services as reviews
from certification.reviews.models import Assignment, AssignmentStatus, ReviewScore
from certification.types import utcnow
from tests import factories as f


@pytest.fixture(autouse=True)
def _session(app, monkeypatch):
    f.fast_password_hashing(monkeypatch)
    yield
    f.release_session()


def scores_of(assignment_id: int) -> dict[str, tuple]:
    rows = db.session.execute(
        select(ReviewScore.indicator_id, ReviewScore.score, ReviewScore.reopened_at).where(
            ReviewScore.assignment_id == assignment_id
        )
    )
    return {i: (s, r is not None) for i, s, r in rows}


def in_progress_walk() -> f.Walk:
    walk = f.Walk().start_review().open_round()
    change_status(walk.facilitator, walk.round_id, "in_progress")
    walk.score(lambda i: i.scale_min)
    return walk


def test_the_remediation_loop_from_change_request_to_a_fresh_score():
    walk = in_progress_walk()
    flagged, kept = walk.indicators[0], walk.indicators[1]
    walk.fire(walk.facilitator, "request_changes", "Falta la política firmada.", [flagged.code])
    with pytest.raises(GuardFailed):
        walk.fire(walk.applicant, "resubmit")  # the flagged indicator is not updated yet
    # New evidence linked to the flagged indicator counts as updating it.
    evidence.upload(walk.applicant, walk.id, f.pdf_stream(), "politica-firmada.pdf", [flagged.code])
    walk.fire(walk.applicant, "resubmit")

    db.session.expire_all()
    for assignment_id in walk.assignment_ids:
        assignment = db.session.get(Assignment, assignment_id)
        assert assignment.status == AssignmentStatus.ACCEPTED, "the review is open again"
        scores = scores_of(assignment_id)
        assert scores[flagged.id] == (flagged.scale_min, True), "the flagged indicator is reopened"
        assert scores[kept.id] == (kept.scale_min, False), "the others stay as scored"
    application = db.session.get(Application, walk.id)
    facts = facts_for(application, utcnow())
    assert not facts.score_up_to_date and facts.pending_reviews == len(walk.reviewers)
    with pytest.raises(GuardFailed):
        walk.fire(walk.facilitator, "complete_pilot")
    told = db.session.execute(select(Notification.user_id, Notification.params).where(
        Notification.kind == "rescore_requested")).all()  # fmt: skip
    assert sorted(u for u, _p in told) == sorted(r.id for r in walk.reviewers)
    assert all(p["indicators"] == flagged.code for _u, p in told)
    resubmit = db.session.scalars(select(HistoryEntry).where(HistoryEntry.event == "resubmit")).one()
    assert resubmit.details["reopened"] == {"indicators": [flagged.code], "reviewers": len(walk.reviewers)}

    reviewer, assignment_id = walk.reviewers[0], walk.assignment_ids[0]
    with pytest.raises(NotEditable):  # the indicators the MFI did not change keep their scores
        reviews.save_score(reviewer, assignment_id, kept.code, kept.scale_max, "Otra opinión.")
    with pytest.raises(GuardFailed):  # not until the reopened indicator is scored again
        reviews.submit_review(reviewer, assignment_id)
    for reviewer, assignment_id in zip(walk.reviewers, walk.assignment_ids, strict=True):
        reviews.save_score(reviewer, assignment_id, flagged.code, flagged.scale_max, "La política ya está firmada.")
        reviews.submit_review(reviewer, assignment_id)

    db.session.expire_all()
    assert review_queries.reopened_scores(walk.id) == 0
    assert db.session.scalar(select(func.count()).select_from(HistoryEntry).where(
        HistoryEntry.event == "review_resubmitted")) == len(walk.reviewers)  # fmt: skip
    snapshot = review_queries.latest_snapshot(walk.id)
    assert snapshot.inputs["reviewer_scores"][flagged.code] == [flagged.scale_max] * len(walk.reviewers)
    assert snapshot.inputs["reviewer_scores"][kept.code] == [kept.scale_min] * len(walk.reviewers)
    walk.fire(walk.facilitator, "complete_pilot")  # the fresh score is up to date
    assert walk.state() == "piloted"


def test_the_mfi_removes_an_evidence_file_while_editable_freeing_its_quota_with_a_history_row():
    walk = f.Walk().upload_evidence()
    used = db.session.scalar(select(func.sum(Evidence.size)).where(Evidence.application_id == walk.id))
    assert used > 0
    stored = db.session.get(Evidence, walk.evidence_id).storage_key
    evidence.delete_evidence(walk.applicant, walk.evidence_id)
    db.session.expire_all()
    assert db.session.get(Evidence, walk.evidence_id) is None
    assert db.session.scalar(select(func.coalesce(func.sum(Evidence.size), 0)).where(
        Evidence.application_id == walk.id)) == 0  # fmt: skip
    entry = db.session.scalars(select(HistoryEntry).where(HistoryEntry.event == "evidence_deleted")).one()
    assert entry.actor_id == walk.applicant.id and entry.details["filename"] == "politica.pdf"
    assert entry.details["indicators"] == sorted(walk.essential)
    from certification.evidence.storage import storage

    with pytest.raises(FileNotFoundError):
        storage().open(stored)


def test_the_mfi_replaces_an_evidence_file_linked_to_the_same_indicators():
    walk = f.Walk().upload_evidence()
    old_key = db.session.get(Evidence, walk.evidence_id).storage_key
    new = evidence.replace_evidence(walk.applicant, walk.evidence_id, f.pdf_stream(), "acta-2026.pdf")
    db.session.expire_all()
    assert db.session.scalar(select(Evidence.id).where(Evidence.storage_key == old_key)) is None
    rows = evidence_queries.evidence_of(walk.id)
    assert [r.id for r in rows] == [new.id] and rows[0].filename == "acta-2026.pdf"
    assert sorted(i.code for i in rows[0].indicators) == sorted(walk.essential)
    assert db.session.scalars(select(HistoryEntry.event).where(HistoryEntry.application_id == walk.id)).all()[-1] == (
        "evidence_replaced"
    )


def test_a_refused_replacement_changes_nothing():
    walk = f.Walk().upload_evidence()
    import io

    from certification.errors import UnsupportedType

    with pytest.raises(UnsupportedType):
        evidence.replace_evidence(walk.applicant, walk.evidence_id, io.BytesIO(b"MZ\x90\x00 not a document"), "x.exe")
    db.session.expire_all()
    assert db.session.get(Evidence, walk.evidence_id) is not None
    assert db.session.scalar(select(func.count()).select_from(HistoryEntry).where(
        HistoryEntry.event == "evidence_replaced")) == 0  # fmt: skip


def test_evidence_cannot_be_removed_once_submitted_nor_by_another_organisation():
    walk = f.Walk().submit()
    with pytest.raises(NotEditable):
        evidence.delete_evidence(walk.applicant, walk.evidence_id)
    db.session.rollback()
    with pytest.raises(NotFound):
        evidence.delete_evidence(f.applicant(), walk.evidence_id)
    db.session.rollback()
    assert db.session.get(Evidence, walk.evidence_id) is not None
