"""Consultation: logged-in people comment on indicators, facilitators resolve, the minutes export it all."""

from __future__ import annotations

import csv
import io

import pytest
from flask_babel import force_locale
from openpyxl import load_workbook
from sqlalchemy import select

from certification.errors import Forbidden, NotEditable, NotFound, ValidationFailed
from certification.extensions import db
from certification.seals import exports
from certification.seals.models import CommentStatus, IndicatorComment
from certification.seals.queries import all_comments, comment_counts, open_comments_by_indicator
from certification.seals.services import add_comment, resolve_comment
from tests import factories as f
from tests.seals_support import move_to, restored_standards, version  # noqa: F401 - the fixture

pytestmark = pytest.mark.usefixtures("restored_standards")


@pytest.mark.parametrize("role", ["applicant", "reviewer", "facilitator", "admin"])
def test_any_logged_in_person_comments_on_an_indicator_with_an_optional_rewording(app, role):
    person = f.applicant() if role == "applicant" else f.user(role)
    standard = version("GEN", "1.1")

    comment = add_comment(person, standard.id, "GEN.B.3", "  La mediana es más justa.  ", "Monto mediano por sexo.")

    db.session.expire_all()
    row = db.session.get(IndicatorComment, comment.id)
    assert (row.author_id, row.body, row.proposed_text, row.status) == (
        person.id, "La mediana es más justa.", "Monto mediano por sexo.", CommentStatus.OPEN,
    )  # fmt: skip
    assert row.indicator_id == next(i.id for i in f.indicators(standard) if i.code == "GEN.B.3")


def test_the_open_comments_are_grouped_per_indicator_and_resolved_ones_leave_the_list(app):
    member, facilitator = f.applicant(), f.user("facilitator")
    standard = version("GEN", "1.1")
    first = add_comment(member, standard.id, "GEN.B.3", "Primera observación.")
    second = add_comment(member, standard.id, "GEN.B.3", "Segunda observación.")
    third = add_comment(member, standard.id, "GEN.C.5", "Tercera observación.")
    by_code = {i.id: i.code for i in f.indicators(standard)}

    grouped = open_comments_by_indicator(standard.id)
    assert {by_code[k]: [c.id for c in v] for k, v in grouped.items()} == {
        "GEN.B.3": [first.id, second.id], "GEN.C.5": [third.id],
    }  # fmt: skip

    resolve_comment(facilitator, second.id, "accepted", "Se incorpora en la versión 1.1.")
    grouped = open_comments_by_indicator(standard.id)
    assert {by_code[k]: [c.id for c in v] for k, v in grouped.items()} == {
        "GEN.B.3": [first.id], "GEN.C.5": [third.id],
    }  # fmt: skip
    assert comment_counts(standard.id) == {"open": 2, "accepted": 1}


@pytest.mark.parametrize("resolution", ["accepted", "rejected", "answered"])
def test_a_facilitator_resolves_a_comment_with_a_response(app, resolution):
    member, facilitator = f.applicant(), f.user("facilitator")
    standard = version("GEN", "1.1")
    comment = add_comment(member, standard.id, "GEN.A.2", "¿Incluye el embarazo?")

    resolve_comment(facilitator, comment.id, resolution, "Sí, la guía lo menciona.")

    db.session.expire_all()
    row = db.session.get(IndicatorComment, comment.id)
    assert row.status.value == resolution
    assert (row.response, row.resolved_by_id) == ("Sí, la guía lo menciona.", facilitator.id)
    assert row.resolved_at is not None


@pytest.mark.parametrize("role", ["applicant", "reviewer"])
def test_only_facilitators_and_admins_resolve_comments(app, role):
    person = f.applicant() if role == "applicant" else f.user(role)
    standard = version("GEN", "1.1")
    comment = add_comment(person, standard.id, "GEN.A.2", "Observación.")

    with pytest.raises(Forbidden):
        resolve_comment(person, comment.id, "accepted", "Me la acepto yo.")

    db.session.expire_all()
    assert db.session.get(IndicatorComment, comment.id).status == CommentStatus.OPEN


@pytest.mark.parametrize(
    ("code", "body", "proposed", "field"),
    [
        ("GEN.B.3", "", "", "comment"),
        ("GEN.B.3", "   ", "", "comment"),
        ("GEN.B.3", "x" * 5001, "", "comment"),
        ("GEN.B.3", "Bien.", "y" * 5001, "proposed_text"),
        ("GEN.Z.9", "Bien.", "", "indicator"),
        ("GEN.D.3", "Este indicador ya no existe en 1.1.", "", "indicator"),
    ],
)
def test_a_bad_comment_is_refused_with_its_field_and_nothing_is_stored(app, code, body, proposed, field):
    with pytest.raises(ValidationFailed) as refused:
        add_comment(f.applicant(), version("GEN", "1.1").id, code, body, proposed)
    assert field in refused.value.fields
    assert db.session.scalar(select(db.func.count(IndicatorComment.id))) == 0


@pytest.mark.parametrize(("resolution", "response"), [("open", "ok"), ("maybe", "ok"), ("accepted", " ")])
def test_a_bad_resolution_is_refused_and_the_comment_stays_open(app, resolution, response):
    standard = version("GEN", "1.1")
    comment = add_comment(f.applicant(), standard.id, "GEN.A.2", "Observación.")
    with pytest.raises(ValidationFailed):
        resolve_comment(f.user("facilitator"), comment.id, resolution, response)
    db.session.expire_all()
    assert db.session.get(IndicatorComment, comment.id).status == CommentStatus.OPEN


def test_comments_are_taken_only_during_consultation(app):
    member, admin = f.applicant(), f.user("admin")
    standard = move_to(version("GEN", "1.1"), "pilot", admin=admin)

    with pytest.raises(NotEditable):
        add_comment(member, standard.id, "GEN.B.3", "Tarde.")
    with pytest.raises(NotEditable):
        add_comment(member, version("GEN", "1.0").id, "GEN.B.3", "Sobre la versión publicada.")
    assert db.session.scalar(select(db.func.count(IndicatorComment.id))) == 0


def test_a_comment_on_an_invisible_or_unknown_version_is_not_found(app):
    with pytest.raises(NotFound):
        add_comment(f.applicant(), 999_999, "GEN.B.3", "¿?")
    with pytest.raises(NotFound):
        resolve_comment(f.user("facilitator"), 999_999, "accepted", "ok")


def _three_resolved_comments():
    member, facilitator = f.applicant(), f.user("facilitator")
    standard = version("GEN", "1.1")
    a = add_comment(member, standard.id, "GEN.C.5", '=HYPERLINK("http://x")', "Derivación; confidencial")
    b = add_comment(member, standard.id, "GEN.A.2", 'Incluir la capacitación, con comas, "comillas" y tildes: ñ.')
    add_comment(member, standard.id, "GEN.B.3", "Pendiente.")
    resolve_comment(facilitator, a.id, "rejected", "No aplica.")
    resolve_comment(facilitator, b.id, "accepted", "Incorporado en la guía.")
    return standard, member, facilitator


def test_the_csv_export_lists_every_comment_with_its_resolution_in_indicator_order(app):
    standard, member, facilitator = _three_resolved_comments()

    with app.test_request_context("/"), force_locale("en"):
        text = exports.to_csv(all_comments(standard.id)).decode("utf-8")

    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][0] == "Indicator" and len(rows[0]) == 10
    body = rows[1:]
    assert [r[0] for r in body] == ["GEN.A.2", "GEN.B.3", "GEN.C.5"]
    assert body[0][4] == 'Incluir la capacitación, con comas, "comillas" y tildes: ñ.'
    assert (body[0][6].lower(), body[0][7], body[0][8]) == ("accepted", "Incorporado en la guía.", facilitator.name)
    assert (body[1][6].lower(), body[1][7], body[1][8]) == ("open", "", "")
    assert body[2][2] == member.name
    assert body[2][4] == '\'=HYPERLINK("http://x")', "a formula is neutralised"


def test_the_xlsx_export_holds_the_same_rows_and_text_stays_text(app):
    standard, _member, _facilitator = _three_resolved_comments()

    with app.test_request_context("/"), force_locale("en"):
        workbook = load_workbook(io.BytesIO(exports.to_xlsx(standard, all_comments(standard.id))))

    sheet = workbook.active
    cells = [list(row) for row in sheet.iter_rows()]
    rows = [[cell.value for cell in row] for row in cells]
    assert sheet.title == "GEN 1.1"
    assert rows[0][0] == "Indicator"
    assert [r[0] for r in rows[1:]] == ["GEN.A.2", "GEN.B.3", "GEN.C.5"]
    assert rows[1][6].lower() == "accepted" and rows[3][6].lower() == "rejected"
    assert rows[3][4] == '=HYPERLINK("http://x")'
    assert cells[3][4].data_type == "s", "stored as text, not as a formula"
    workbook.close()
