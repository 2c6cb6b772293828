"""Staff exports of applications and of their scores, as CSV and XLSX, streamed.

Memory does not grow with the number of rows: rows are read in chunks (`CHUNK` applications at a time), CSV is
written to the response as it is produced, and XLSX rows go through openpyxl's write-only workbook (which keeps
them in a temporary file) and the finished file is sent in pieces. Names and texts are typed by people, so every
text cell is neutralised against formula injection: a quote prefix in CSV, a text cell in XLSX.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterable, Iterator

from flask_babel import gettext as _
from openpyxl import Workbook
from sqlalchemy import func, select

from certification.accounts.models import User
from certification.applications.models import Application, SelfAssessment
from certification.applications.policies import visible_filter
from certification.extensions import db
from certification.organizations.models import Organization
from certification.pagination import keyset_chunks
from certification.reviews.models import Assignment, AssignmentStatus, Moderation, ReviewScore, ScoreSnapshot
from certification.seals.exports import XLSX as XLSX  # the views send it with the workbook
from certification.seals.exports import _csv_safe, xlsx_cell
from certification.seals.models import Indicator, Standard
from workflows.application import State

CHUNK = 500


def _filters(user, state: str | None, area: str | None) -> list:
    where = [visible_filter(user)]
    if state:
        where.append(Application.state == State(state))
    if area:
        where.append(Standard.area == area)
    return where


def _application_chunks(user, state, area) -> Iterator[list]:
    """The applications of the list's filters, ordered by id, `CHUNK` at a time (keyset: no growing offset)."""
    latest = (
        select(ScoreSnapshot.application_id, func.max(ScoreSnapshot.id).label("snapshot_id"))
        .group_by(ScoreSnapshot.application_id)
        .subquery()
    )
    query = (
        select(Application.id, Application.reference, Organization.name, Organization.country, Standard.code,
               Standard.version, Application.state, Application.pilot_round_id, Application.created_at,
               Application.decided_at, ScoreSnapshot.overall, ScoreSnapshot.level, ScoreSnapshot.eligible)
        .join(Organization, Application.organization_id == Organization.id)
        .join(Standard, Application.standard_id == Standard.id)
        .outerjoin(latest, latest.c.application_id == Application.id)
        .outerjoin(ScoreSnapshot, ScoreSnapshot.id == latest.c.snapshot_id)
        .where(*_filters(user, state, area))
    )  # fmt: skip
    return keyset_chunks(query, Application.id, CHUNK)


def _iso(value) -> str:
    return value.isoformat(timespec="minutes") if value else ""


def application_header() -> list[str]:
    return [_("Application"), _("Reference"), _("Organisation"), _("Country"), _("Seal"), _("Version"), _("State"),
            _("Pilot round"), _("Created"), _("Decided"), _("Overall score"), _("Level"), _("Eligible")]  # fmt: skip


def application_rows(user, state=None, area=None) -> Iterator[list]:
    """One row per application the staff member may see, with its latest score."""
    for chunk in _application_chunks(user, state, area):
        for r in chunk:
            yield [r.id, r.reference or "", r.name, r.country, r.code, r.version, r.state.value,
                   r.pilot_round_id or "", _iso(r.created_at), _iso(r.decided_at),
                   None if r.overall is None else round(r.overall, 2), r.level or "",
                   "" if r.eligible is None else (_("yes") if r.eligible else _("no"))]  # fmt: skip


def score_header() -> list[str]:
    return [_("Application"), _("Reference"), _("Organisation"), _("Indicator"), _("Source"), _("Reviewer"),
            _("Value")]  # fmt: skip


def score_rows(user, state=None, area=None) -> Iterator[list]:
    """One row per application × indicator × source: the self-rating, each submitted reviewer's score (named:
    these exports are for staff only), the consensus and the moderated score. Three queries per chunk."""
    for chunk in _application_chunks(user, state, area):
        ids = [r.id for r in chunk]
        own: dict[tuple[int, str], int | None] = {
            (a, code): rating
            for a, code, rating in db.session.execute(
                select(SelfAssessment.application_id, Indicator.code, SelfAssessment.rating)
                .join(Indicator, SelfAssessment.indicator_id == Indicator.id)
                .where(SelfAssessment.application_id.in_(ids))
            )
        }
        reviews: dict[tuple[int, str], list[tuple[str, int | None]]] = {}
        for a, code, name, score in db.session.execute(
            select(Assignment.application_id, Indicator.code, User.name, ReviewScore.score)
            .join(ReviewScore, ReviewScore.assignment_id == Assignment.id)
            .join(Indicator, ReviewScore.indicator_id == Indicator.id)
            .join(User, Assignment.reviewer_id == User.id)
            .where(Assignment.application_id.in_(ids), Assignment.status == AssignmentStatus.SUBMITTED)
            .order_by(Assignment.application_id, Indicator.code, User.name)
        ):
            reviews.setdefault((a, code), []).append((name, score))
        moderated = {
            (a, code): score
            for a, code, score in db.session.execute(
                select(Moderation.application_id, Indicator.code, Moderation.score)
                .join(Indicator, Moderation.indicator_id == Indicator.id)
                .where(Moderation.application_id.in_(ids))
            )
        }
        keys = sorted(set(own) | set(reviews) | set(moderated))
        names = {r.id: (r.reference or "", r.name) for r in chunk}
        for a, code in keys:
            reference, organization = names[a]
            start = [a, reference, organization, code]
            if (a, code) in own:
                yield [*start, _("self-assessment"), "", own[(a, code)]]
            scores = reviews.get((a, code), [])
            for name, score in scores:
                yield [*start, _("reviewer"), name, score]
            present = [s for _n, s in scores if s is not None]
            if present:
                yield [*start, _("consensus"), "", round(sum(present) / len(present), 2)]
            if (a, code) in moderated:
                yield [*start, _("moderated"), "", moderated[(a, code)]]


def review_header() -> list[str]:
    return [_("Reference"), _("Organisation"), _("Indicator"), _("Reviewer"), _("Score"), _("Comment"),
            _("Submitted")]  # fmt: skip


def review_rows(user, state=None, area=None) -> Iterator[list]:
    """One row per submitted reviewer × indicator, with the reviewer named and the comment (staff only). One
    query per chunk of applications."""
    for chunk in _application_chunks(user, state, area):
        names = {r.id: (r.reference or "", r.name) for r in chunk}
        for a, code, name, score, comment, submitted_at in db.session.execute(
            select(Assignment.application_id, Indicator.code, User.name, ReviewScore.score, ReviewScore.comment,
                   Assignment.submitted_at)
            .join(ReviewScore, ReviewScore.assignment_id == Assignment.id)
            .join(Indicator, ReviewScore.indicator_id == Indicator.id)
            .join(User, Assignment.reviewer_id == User.id)
            .where(Assignment.application_id.in_(list(names)), Assignment.status == AssignmentStatus.SUBMITTED)
            .order_by(Assignment.application_id, Indicator.code, User.name, Assignment.id)
        ):  # fmt: skip
            reference, organization = names[a]
            yield [reference, organization, code, name, score, comment or "", _iso(submitted_at)]


def csv_stream(header: list[str], rows: Iterable[list]) -> Iterator[bytes]:
    """UTF-8 CSV with a BOM (spreadsheets open the accents right), one encoded line at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(values) -> bytes:
        writer.writerow([_csv_safe(v) if isinstance(v, str) else ("" if v is None else v) for v in values])
        data = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return data.encode("utf-8")

    yield "\ufeff".encode() + line(header)
    for values in rows:
        yield line(values)


def xlsx_stream(title: str, header: list[str], rows: Iterable[list]) -> Iterator[bytes]:
    """A write-only workbook built in a temporary file, then sent in 64 KiB pieces."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.append([xlsx_cell(sheet, value) for value in header])
    for values in rows:
        sheet.append([xlsx_cell(sheet, value) for value in values])
    with tempfile.TemporaryFile() as handle:
        workbook.save(handle)
        handle.seek(0)
        while chunk := handle.read(64 * 1024):
            yield chunk
