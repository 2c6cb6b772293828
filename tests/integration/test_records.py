"""Decision records are append-only in the database and hash-chained.

Tampering is done the way an intruder with database access would: directly in SQL, with the triggers
dropped first (they refuse it otherwise), then `flask --app app history verify` must name the row.
"""

from __future__ import annotations

import contextlib
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from certification import records
from certification.applications.models import HistoryEntry
from certification.certificates.models import Certificate, CertificateStatusChange
from certification.extensions import db
from certification.notifications.models import MailMessage, Notification
from certification.record_checks import verify
from certification.records import content_hash, hashed_fields
from certification.reviews.models import Moderation
from certification.reviews.services import moderate
from certification.seals.models import Calibration, StandardHistory
from certification.types import utcnow
from tests import factories as f


@pytest.fixture(autouse=True)
def _fast(app, monkeypatch):
    f.fast_password_hashing(monkeypatch)


@contextlib.contextmanager
def triggers_dropped():
    """What someone behind Sello's back would do first; the triggers are back afterwards."""
    db.session.rollback()
    with db.engine.begin() as conn:
        records.drop_triggers(conn)
    try:
        yield
    finally:
        db.session.rollback()
        with db.engine.begin() as conn:
            records.create_triggers(conn)


def sql(statement: str, **params) -> None:
    with db.engine.begin() as conn:
        conn.execute(sa.text(statement), params)


def history_ids(application_id: int) -> list[int]:
    return list(
        db.session.scalars(
            select(HistoryEntry.id).where(HistoryEntry.application_id == application_id).order_by(HistoryEntry.id)
        )
    )


def verify_output(runner) -> tuple[int, str]:
    result = runner.invoke(args=["history", "verify"])
    return result.exit_code, result.output


def broken_rows() -> set[tuple[str, int]]:
    db.session.rollback()
    return {(b.table, b.row_id) for b in verify(db.session).breaks}


# --- the chain -------------------------------------------------------------------------------------------------


def test_every_history_row_links_to_the_previous_one_and_hashes_its_own_content(app):
    walk = f.Walk().submit()
    rows = list(
        db.session.scalars(select(HistoryEntry).where(HistoryEntry.application_id == walk.id).order_by(HistoryEntry.id))
    )
    assert [r.event for r in rows] == ["create", "submit"]
    assert rows[0].prev_hash == ""
    assert rows[1].prev_hash == rows[0].hash
    for row in rows:
        assert len(row.hash) == 64
        assert row.hash == content_hash(hashed_fields(row))


def test_chains_are_per_application_so_each_starts_from_genesis(app):
    first, second = f.Walk(), f.Walk()
    starts = db.session.scalars(
        select(HistoryEntry.prev_hash).where(HistoryEntry.application_id.in_([first.id, second.id]))
    ).all()
    assert starts == ["", ""]


def test_verify_says_intact_and_exits_zero_on_untouched_records(app, runner):
    walk = f.Walk().certify()
    walk.fire(walk.facilitator, "suspend", "Incumplimiento de reporte.")
    code, output = verify_output(runner)
    assert code == 0, output
    assert "intact" in output


def test_the_certificate_pins_the_hash_of_the_history_row_that_issued_it(app):
    walk = f.Walk().certify()
    certificate = db.session.scalar(select(Certificate).where(Certificate.application_id == walk.id))
    certify_row = db.session.scalar(
        select(HistoryEntry).where(HistoryEntry.application_id == walk.id, HistoryEntry.event == "certify")
    )
    assert certificate.decision_hash == certify_row.hash


def test_certificate_status_changes_are_a_chain_of_their_own(app):
    walk = f.Walk().certify()
    walk.fire(walk.facilitator, "suspend", "Incumplimiento de reporte.")
    walk.fire(walk.facilitator, "reinstate", "Reporte entregado.")
    rows = db.session.scalars(select(CertificateStatusChange).order_by(CertificateStatusChange.id)).all()
    assert [(r.event, r.from_status and r.from_status.value, r.to_status.value) for r in rows] == [
        ("issue", None, "valid"),
        ("suspend", "valid", "suspended"),
        ("reinstate", "suspended", "valid"),
    ]
    assert [r.prev_hash for r in rows[1:]] == [r.hash for r in rows[:-1]]


def test_a_second_moderation_adds_a_row_and_becomes_the_current_one(app):
    from certification.reviews.queries import score_inputs

    walk = f.Walk().start_review()
    code = walk.indicators[0].code
    moderate(walk.facilitator, walk.id, code, 2, "Evidencia parcial.")
    moderate(walk.facilitator, walk.id, code, 4, "Se recibió el acta firmada.")
    rows = db.session.scalars(select(Moderation).where(Moderation.application_id == walk.id).order_by(Moderation.id))
    rows = rows.all()
    assert [r.score for r in rows] == [2.0, 4.0]
    assert rows[1].prev_hash == rows[0].hash
    assert score_inputs(walk.application)["moderated"][code] == 4.0


# --- the database refuses changes ------------------------------------------------------------------------


@pytest.mark.parametrize("statement", ["UPDATE {t} SET prev_hash = prev_hash", "DELETE FROM {t}"])
@pytest.mark.parametrize(
    "table",
    ["application_history", "moderations", "standard_history", "standard_calibrations", "certificate_status_changes"],
)
def test_the_database_refuses_to_update_or_delete_a_record(app, table, statement):
    walk = f.Walk().pilot()
    moderate(f.user("facilitator"), walk.id, walk.indicators[0].code, 5, "Moderado.")
    walk.fire(walk.facilitator, "certify")
    db.session.add(StandardHistory(standard_id=walk.std.id, from_status="published", to_status="published",
                                   actor_id=walk.facilitator.id, reason="Prueba"))  # fmt: skip
    db.session.add(Calibration(standard_id=walk.std.id, actor_id=walk.facilitator.id, reason="Prueba", changes=[]))
    db.session.commit()
    with pytest.raises(DBAPIError, match="append-only"):
        sql(statement.format(t=table))
    db.session.rollback()
    assert db.session.scalar(select(sa.func.count()).select_from(sa.table(table))) > 0


def test_the_orm_cannot_change_a_history_row_either(app):
    walk = f.Walk()
    entry = db.session.scalar(select(HistoryEntry).where(HistoryEntry.application_id == walk.id))
    entry.reason = "reescrito"
    with pytest.raises(DBAPIError, match="append-only"):
        db.session.commit()
    db.session.rollback()


# --- tampering behind Sello's back -----------------------------------------------------------------------


def test_an_edited_row_is_named_by_verify(app, runner):
    walk = f.Walk().submit()
    create_id, submit_id = history_ids(walk.id)
    with triggers_dropped():
        sql("UPDATE application_history SET reason = 'nada que ver' WHERE id = :id", id=submit_id)
    code, output = verify_output(runner)
    assert code == 1
    assert f"application_history chain {walk.id}: row {submit_id} altered" in output
    assert broken_rows() == {("application_history", submit_id)}


def test_a_deleted_row_breaks_the_link_of_the_next_one(app, runner):
    walk = f.Walk().submit()
    walk.fire(walk.applicant, "withdraw", "Cambio de gerencia.")
    create_id, submit_id, withdraw_id = history_ids(walk.id)
    with triggers_dropped():
        sql("DELETE FROM application_history WHERE id = :id", id=submit_id)
    code, output = verify_output(runner)
    assert code == 1
    assert f"row {withdraw_id} unlinked" in output


def test_reordered_rows_are_named_by_verify(app, runner):
    walk = f.Walk().submit()
    walk.fire(walk.applicant, "withdraw", "Cambio de gerencia.")
    create_id, submit_id, withdraw_id = history_ids(walk.id)
    with triggers_dropped():
        # Swap the whole content (hashes included) of the last two rows: each row is still self-consistent.
        columns = ("event", "from_state", "to_state", "actor_id", "reason", "details", "at", "prev_hash", "hash")
        rows = {
            r.id: r
            for r in db.session.execute(
                select(HistoryEntry.__table__).where(HistoryEntry.id.in_([submit_id, withdraw_id]))
            )
        }
        db.session.rollback()
        with db.engine.begin() as conn:
            table = HistoryEntry.__table__
            # The chain's unique (application, prev_hash) is dodged through a temporary value.
            conn.execute(table.update().where(table.c.id == submit_id).values(prev_hash="x"))
            for target, source in ((withdraw_id, submit_id), (submit_id, withdraw_id)):
                values = {c: getattr(rows[source], c) for c in columns}
                conn.execute(table.update().where(table.c.id == target).values(**values))
    assert broken_rows() == {("application_history", submit_id)}
    code, output = verify_output(runner)
    assert code == 1 and f"row {submit_id} unlinked" in output


def _forged(walk, prev_hash: str) -> dict:
    return {
        "application_id": walk.id, "event": "certify", "from_state": "piloted", "to_state": "certified",
        "actor_id": walk.applicant.id, "reason": "", "details": {}, "at": utcnow() + timedelta(seconds=1),
        "prev_hash": prev_hash,
    }  # fmt: skip


def test_a_forged_row_inserted_with_a_hash_that_is_not_its_contents_is_named_by_verify(app, runner):
    walk = f.Walk().submit()
    last = db.session.get(HistoryEntry, history_ids(walk.id)[-1])
    forged = _forged(walk, last.hash)
    with triggers_dropped(), db.engine.begin() as conn:
        # Linked to the last row, with a hash made up (one not computed over this content).
        forged_id = conn.execute(HistoryEntry.__table__.insert().values(**forged, hash="e" * 64)).inserted_primary_key[
            0
        ]
    assert broken_rows() == {("application_history", forged_id)}
    code, output = verify_output(runner)
    assert code == 1 and f"row {forged_id} altered" in output


def test_a_forged_row_inserted_in_the_middle_of_a_chain_is_named_by_verify(app, runner):
    walk = f.Walk().submit()
    walk.fire(walk.applicant, "withdraw", "Cambio de gerencia.")
    create_id, submit_id, withdraw_id = history_ids(walk.id)
    with triggers_dropped():
        # Make room between the first two rows, then put a correctly hashed row there.
        table = HistoryEntry.__table__
        moved = {
            c.name: v
            for c, v in zip(
                table.c, db.session.execute(select(table).where(table.c.id == withdraw_id)).one(), strict=True
            )
        }
        submitted = {
            c.name: v
            for c, v in zip(
                table.c, db.session.execute(select(table).where(table.c.id == submit_id)).one(), strict=True
            )
        }
        db.session.rollback()
        with db.engine.begin() as conn:
            conn.execute(table.delete().where(table.c.id.in_([submit_id, withdraw_id])))
            conn.execute(table.insert().values(**{**submitted, "id": withdraw_id + 10}))
            conn.execute(table.insert().values(**{**moved, "id": withdraw_id + 11}))
            forged = _forged(walk, "f" * 64)
            conn.execute(table.insert().values(**forged, hash=content_hash(forged), id=submit_id))
    assert broken_rows() == {("application_history", submit_id)}
    code, output = verify_output(runner)
    assert code == 1 and f"row {submit_id} unlinked" in output


def test_every_broken_chain_is_named_not_only_the_first(app, runner):
    first, second = f.Walk(), f.Walk()
    with triggers_dropped():
        sql("UPDATE application_history SET reason = 'x' WHERE application_id IN (:a, :b)", a=first.id, b=second.id)
    assert broken_rows() == {("application_history", history_ids(first.id)[0]),
                             ("application_history", history_ids(second.id)[0])}  # fmt: skip


def test_a_certificate_whose_decision_row_was_rewritten_is_named(app, runner):
    walk = f.Walk().certify()
    certificate = db.session.scalar(select(Certificate).where(Certificate.application_id == walk.id))
    with triggers_dropped():
        sql("UPDATE certificates SET decision_hash = :h WHERE id = :id", h="0" * 64, id=certificate.id)
    assert broken_rows() == {("certificates", certificate.id)}


def test_the_daily_check_alerts_every_admin_in_app_and_by_mail(app):
    admin = f.user("admin")
    walk = f.Walk()
    with triggers_dropped():
        sql("UPDATE application_history SET reason = 'x' WHERE application_id = :a", a=walk.id)
    from worker.tasks import verify_records

    assert verify_records() == 1
    notification = db.session.scalar(select(Notification).where(Notification.user_id == admin.id))
    assert notification.kind == "records_broken"
    assert notification.params["count"] == 1
    mail = db.session.scalar(select(MailMessage).where(MailMessage.user_id == admin.id))
    assert mail is not None and "history verify" in mail.body_text


def test_the_daily_check_writes_nothing_when_records_are_intact(app):
    f.user("admin")
    f.Walk()
    from worker.tasks import verify_records

    assert verify_records() == 0
    assert db.session.scalar(select(sa.func.count(Notification.id))) == 0
