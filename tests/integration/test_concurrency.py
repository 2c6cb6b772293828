"""Two people acting on the same row at the same time: exactly one wins.

Each thread has its own application context, hence its own session and connection. A rendezvous holds the
first thread once it has loaded the row until the second one has either loaded it too (SQLite: no row locks,
the version check decides) or is blocked on the row lock the first one holds (PostgreSQL), so the two
transactions really overlap, without sleeping.
"""

from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from certification.accounts.models import User
from certification.applications.models import Application, HistoryEntry
from certification.certificates.models import Certificate
from certification.errors import CapacityFull, ConcurrentUpdate, DomainError, InvalidTransition
from certification.extensions import db
from tests import factories as f

TIMEOUT = 15


@pytest.fixture(autouse=True)
def _session(app, monkeypatch):
    f.fast_password_hashing(monkeypatch)
    yield
    f.release_session()


def blocked_on_a_lock() -> int:
    if db.engine.dialect.name != "postgresql":
        return 0
    with db.engine.connect() as conn:
        return conn.scalar(
            sa.text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        )


class Rendezvous:
    """Holds the first caller until the other thread arrives too, is blocked on a lock, or has finished."""

    def __init__(self):
        self.arrived = 0
        self.finished = 0
        self.condition = threading.Condition()

    def _ready(self) -> bool:
        return self.arrived >= 2 or self.finished >= 1

    def meet(self) -> None:
        with self.condition:
            self.arrived += 1
            self.condition.notify_all()
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            with self.condition:
                if self._ready():
                    return
                self.condition.wait(0.01)
            if blocked_on_a_lock():
                return
        raise AssertionError("the other transaction never overlapped this one")

    def done(self) -> None:
        with self.condition:
            self.finished += 1
            self.condition.notify_all()


def hold_at(monkeypatch, module: str, name: str, rendezvous: Rendezvous) -> None:
    """Make `module.name` wait at the rendezvous first: called after the row was loaded (with its lock)."""
    real = getattr(__import__(module, fromlist=[name]), name)

    def held(*args, **kwargs):
        rendezvous.meet()
        return real(*args, **kwargs)

    monkeypatch.setattr(f"{module}.{name}", held)


def race(app, rendezvous: Rendezvous, actions) -> list:
    """Run each action (given its own session's copy of nothing: it loads what it needs) in its own thread."""
    outcomes: list = [None] * len(actions)

    def run(index, action):
        with app.app_context():
            try:
                outcomes[index] = action()
            except BaseException as exc:  # noqa: BLE001 - the outcome is what the test checks
                outcomes[index] = exc
            finally:
                db.session.rollback()
                rendezvous.done()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT * 2)
        assert not thread.is_alive(), "a thread is stuck"
    return outcomes


def fire_as(user_id: int, application_id: int, event: str, reason: str = ""):
    from certification.applications.services import fire_event

    def action():
        return fire_event(db.session.get(User, user_id), application_id, event, reason).state.value

    return action


@pytest.mark.parametrize("event", ["start_review", "certify"])
def test_two_facilitators_firing_the_same_event_at_once_one_wins_and_one_history_row_is_written(
    app, monkeypatch, event
):
    walk = f.Walk().submit().assign() if event == "start_review" else f.Walk().pilot()
    people = (walk.facilitator.id, f.user("facilitator").id)
    f.release_session()
    rendezvous = Rendezvous()
    hold_at(monkeypatch, "certification.applications.queries", "facts_for", rendezvous)
    outcomes = race(app, rendezvous, [fire_as(person, walk.id, event) for person in people])
    winners = [o for o in outcomes if isinstance(o, str)]
    losers = [o for o in outcomes if isinstance(o, BaseException)]
    assert len(winners) == 1 and len(losers) == 1, outcomes
    assert isinstance(losers[0], InvalidTransition | ConcurrentUpdate), repr(losers[0])
    rows = db.session.scalar(
        select(func.count(HistoryEntry.id)).where(HistoryEntry.application_id == walk.id, HistoryEntry.event == event)
    )
    assert rows == 1
    expected = "under_review" if event == "start_review" else "certified"
    assert db.session.get(Application, walk.id).state.value == winners[0] == expected
    certificates = db.session.scalar(select(func.count(Certificate.id)).where(Certificate.application_id == walk.id))
    assert certificates == (1 if event == "certify" else 0)


def test_the_applicant_withdrawing_while_the_facilitator_starts_review_leaves_a_serial_history(app, monkeypatch):
    walk = f.Walk().submit().assign()
    facilitator_id, applicant_id = walk.facilitator.id, walk.applicant.id
    f.release_session()
    rendezvous = Rendezvous()
    hold_at(monkeypatch, "certification.applications.queries", "facts_for", rendezvous)
    outcomes = race(app, rendezvous, [fire_as(facilitator_id, walk.id, "start_review"),
                                      fire_as(applicant_id, walk.id, "withdraw", "Cambio de gerencia.")])  # fmt: skip
    succeeded = [o for o in outcomes if isinstance(o, str)]
    assert succeeded, outcomes
    assert all(isinstance(o, DomainError) for o in outcomes if not isinstance(o, str)), outcomes
    history = list(db.session.scalars(select(HistoryEntry).where(HistoryEntry.application_id == walk.id)
                                      .order_by(HistoryEntry.id)))  # fmt: skip
    # Whatever the interleaving, the history reads as one event after the other.
    assert len(history) == 2 + len(succeeded)
    for previous, entry in zip(history, history[1:], strict=False):
        assert entry.from_state == previous.to_state
    assert db.session.get(Application, walk.id).state == history[-1].to_state


def test_two_enrolments_for_the_last_seat_of_a_round_one_gets_capacity_full(app, monkeypatch):
    first = f.Walk()
    first.open_round(capacity=2)  # one seat taken by `first`, one left
    second, third = f.Walk(facilitator=first.facilitator), f.Walk(facilitator=first.facilitator)
    round_id, facilitator_id, ids = first.round_id, first.facilitator.id, (second.id, third.id)
    f.release_session()
    rendezvous = Rendezvous()
    hold_at(monkeypatch, "certification.applications.queries", "get_visible", rendezvous)

    def enrol(application_id):
        from certification.pilots.services import enrol as enrol_service

        return lambda: enrol_service(db.session.get(User, facilitator_id), round_id, application_id).id

    outcomes = race(app, rendezvous, [enrol(application_id) for application_id in ids])
    winners = [o for o in outcomes if isinstance(o, int)]
    losers = [o for o in outcomes if isinstance(o, BaseException)]
    assert len(winners) == 1 and len(losers) == 1, outcomes
    assert isinstance(losers[0], CapacityFull), repr(losers[0])
    enrolled = db.session.scalar(select(func.count(Application.id)).where(Application.pilot_round_id == round_id))
    assert enrolled == 2


@pytest.mark.postgres_only  # SQLite has one writer at a time; row-level concurrency is PostgreSQL's
def test_transitions_on_two_applications_at_once_do_not_wait_for_each_other_and_keep_valid_chains(app, monkeypatch):
    from certification import record_checks
    from certification.applications import services as application_services

    first, second = f.Walk().submit().assign(), f.Walk().submit().assign()
    facilitator_ids, ids = (first.facilitator.id, second.facilitator.id), (first.id, second.id)
    f.release_session()
    # Both transactions must have written their history row (chain read included) before either commits:
    # had the chains one shared lock, the second would wait for the first and the barrier would break.
    barrier = threading.Barrier(2, timeout=TIMEOUT)
    real_commit = application_services.commit

    def commit_after_both_flushed():
        db.session.flush()
        barrier.wait()
        real_commit()

    monkeypatch.setattr(application_services, "commit", commit_after_both_flushed)
    rendezvous = Rendezvous()
    outcomes = race(app, rendezvous, [fire_as(p, i, "start_review") for p, i in zip(facilitator_ids, ids, strict=True)])
    assert outcomes == ["under_review", "under_review"]
    result = record_checks.verify(db.session)
    assert result.intact, result.breaks


def test_two_moderations_of_one_application_at_once_both_kept_in_one_unbroken_chain(app, monkeypatch):
    from certification import record_checks
    from certification.reviews.models import Moderation
    from certification.reviews.services import moderate

    walk = f.Walk().start_review()
    people, code = (walk.facilitator.id, f.user("facilitator").id), walk.indicators[0].code
    f.release_session()
    rendezvous = Rendezvous()
    hold_at(monkeypatch, "certification.reviews.queries", "involved_reviewer_ids", rendezvous)

    def moderate_as(user_id, score):
        return lambda: moderate(db.session.get(User, user_id), walk.id, code, score, "Moderado en paralelo.").score

    outcomes = race(app, rendezvous, [moderate_as(people[0], 2), moderate_as(people[1], 4)])
    kept = [o for o in outcomes if isinstance(o, float)]
    if db.engine.dialect.name == "postgresql":
        assert sorted(kept) == [2.0, 4.0], outcomes  # the application's row lock puts one after the other
    else:  # no row locks: the chain's unique (application, prev_hash) refuses the fork instead
        assert len(kept) >= 1 and all(isinstance(o, ConcurrentUpdate) for o in outcomes if o not in kept), outcomes
    rows = db.session.scalars(select(Moderation).where(Moderation.application_id == walk.id).order_by(Moderation.id))
    rows = rows.all()
    assert len(rows) == len(kept)
    assert [r.prev_hash for r in rows] == ["", *(r.hash for r in rows[:-1])]
    assert record_checks.verify(db.session).intact
