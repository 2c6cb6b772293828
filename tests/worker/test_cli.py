"""`flask --app app reminders sweep` and `flask --app app scores recalculate --standard ID`."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bench.data import reviewed_applications
from certification.extensions import db
from certification.reminders.models import SentReminder
from certification.rescoring.models import RescoreJob, RescoreStatus
from certification.reviews.models import Assignment, ScoreSnapshot
from certification.types import utcnow
from tests import factories as f


@pytest.fixture(autouse=True)
def _session(app, monkeypatch):
    f.fast_password_hashing(monkeypatch)
    yield
    f.release_session()


def test_the_sweep_command_sends_due_reminders_once_and_says_how_many(runner):
    walk = f.Walk().submit().assign(count=2, accept=False)
    db.session.execute(Assignment.__table__.update().where(Assignment.application_id == walk.id)
                       .values(invited_at=utcnow() - timedelta(days=4)))  # fmt: skip
    db.session.commit()
    first = runner.invoke(args=["reminders", "sweep"])
    assert first.exit_code == 0 and first.output.startswith("2 reminder(s) sent (2 due)"), first.output
    again = runner.invoke(args=["reminders", "sweep"])
    assert again.output.startswith("0 reminder(s) sent (2 due)"), again.output
    assert db.session.scalar(select(func.count()).select_from(SentReminder)) == 2


def test_the_recalculate_command_rescores_a_standard_with_progress_and_refuses_an_unknown_one(runner):
    std = f.standard("gender")
    reviewed_applications(std.id, 7)
    result = runner.invoke(args=["scores", "recalculate", "--standard", str(std.id)])
    assert result.exit_code == 0, result.output
    job = db.session.scalars(select(RescoreJob)).one()
    assert job.status == RescoreStatus.DONE
    assert result.output.strip().endswith(f"7 application(s) recalculated (job {job.id}), 0 changed outcome.")
    assert "[7/7]" in result.output
    assert db.session.scalar(select(func.count()).select_from(ScoreSnapshot)) == 7
    unknown = runner.invoke(args=["scores", "recalculate", "--standard", "999999"])
    assert unknown.exit_code == 1 and "No standard with id 999999." in unknown.output
    assert db.session.scalar(select(func.count()).select_from(RescoreJob)) == 1
