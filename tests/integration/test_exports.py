"""Staff exports of applications and scores: CSV and XLSX with the list's filters, streamed in chunks,
formula-safe, reviewers named only for staff (the only ones who may export)."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from certification.applications import exports
from certification.reviews.services import moderate
from tests import factories as f
from tests.web.helpers import fresh_client


@pytest.fixture(autouse=True)
def _session(app, monkeypatch):
    f.fast_password_hashing(monkeypatch)
    yield
    f.release_session()


def read_csv(response) -> list[list[str]]:
    text = b"".join(response.response).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_staff_export_every_application_in_chunks_with_the_lists_filters(app, monkeypatch):
    monkeypatch.setattr(exports, "CHUNK", 2)  # several chunks: none lost or repeated at their edges
    facilitator = f.user("facilitator")
    drafts = [f.Walk("gender", facilitator=facilitator) for _ in range(3)]
    submitted = f.Walk("poverty", facilitator=facilitator).submit()
    client = fresh_client(app, facilitator)
    response = client.get("/applications/export/applications.csv")
    assert response.status_code == 200 and response.is_streamed
    assert response.headers["Content-Disposition"].startswith("attachment;")
    rows = read_csv(response)
    assert rows[0][:3] == ["Solicitud", "Referencia", "Organización"]  # the facilitator's language
    assert [int(r[0]) for r in rows[1:]] == sorted(w.id for w in [*drafts, submitted])
    only_submitted = read_csv(client.get("/applications/export/applications.csv?state=submitted"))
    assert [int(r[0]) for r in only_submitted[1:]] == [submitted.id]
    only_gender = read_csv(client.get("/applications/export/applications.csv?area=gender"))
    assert [int(r[0]) for r in only_gender[1:]] == [w.id for w in drafts]
    assert client.get("/applications/export/applications.csv?state=bogus").status_code == 400


def test_a_name_starting_with_a_formula_is_neutralised_in_csv_and_text_in_xlsx(app):
    facilitator = f.user("facilitator")
    hostile = f.organization(name='=HYPERLINK("http://x.example","clic")')
    f.Walk("gender", org=hostile, facilitator=facilitator)
    client = fresh_client(app, facilitator)
    rows = read_csv(client.get("/applications/export/applications.csv"))
    assert rows[1][2] == "'" + hostile.name
    data = b"".join(client.get("/applications/export/applications.xlsx").response)
    cell = load_workbook(io.BytesIO(data)).worksheets[0]["C2"]
    assert cell.value == hostile.name and cell.data_type == "s"


def test_the_scores_export_lists_self_each_named_reviewer_consensus_and_moderation(app):
    walk = f.Walk("gender").pilot(lambda i: i.scale_max)
    code = walk.indicators[0].code
    moderate(walk.facilitator, walk.id, code, 3, "Acta revisada con la red.")
    client = fresh_client(app, walk.facilitator)
    data = b"".join(client.get("/applications/export/scores.xlsx").response)
    rows = list(load_workbook(io.BytesIO(data), read_only=True).worksheets[0].iter_rows(values_only=True))[1:]
    mine = [r for r in rows if r[0] == walk.id and r[3] == code]
    sources = [r[4] for r in mine]
    assert sources == ["autoevaluación", "revisor/a", "revisor/a", "consenso", "moderado"]
    assert sorted(r[5] for r in mine if r[5]) == sorted(rev.name for rev in walk.reviewers)
    assert mine[-1][6] == 3 and mine[-2][6] == walk.indicators[0].scale_max


def test_only_staff_may_export(app):
    walk = f.Walk("gender")
    url = "/applications/export/scores.csv"
    assert fresh_client(app, walk.applicant).get(url).status_code == 403
    assert fresh_client(app, f.reviewer()).get(url).status_code == 403
    assert fresh_client(app).get(url).status_code == 302


def test_the_reviews_export_has_one_row_per_reviewer_and_indicator_with_name_score_and_comment(app, monkeypatch):
    monkeypatch.setattr(exports, "CHUNK", 1)  # two applications: two chunks
    facilitator = f.user("facilitator")
    walks = [f.Walk("gender", facilitator=facilitator).pilot(lambda i: i.scale_max) for _ in range(2)]
    client = fresh_client(app, facilitator)
    response = client.get("/applications/export/reviews.csv")
    assert response.status_code == 200 and response.is_streamed
    rows = read_csv(response)
    assert rows[0] == ["Referencia", "Organización", "Indicador", "Revisor/a", "Puntaje", "Comentario", "Enviada"]
    assert len(rows) - 1 == sum(len(w.reviewers) * len(w.indicators) for w in walks)
    code = walks[0].indicators[0].code
    mine = [r for r in rows[1:] if r[1] == walks[0].org.name and r[2] == code]
    assert sorted(r[3] for r in mine) == sorted(rev.name for rev in walks[0].reviewers)
    assert {r[5] for r in mine} == {f"Verificado {code} en actas."}
    assert all(r[4] == str(walks[0].indicators[0].scale_max) and r[6] for r in mine)
    only_poverty = read_csv(client.get("/applications/export/reviews.csv?area=poverty"))
    assert only_poverty[1:] == [], "the list's filters apply"


def test_a_reviewers_comment_starting_with_a_formula_is_neutralised(app):
    from certification.reviews.services import save_score, submit_review

    walk = f.Walk("gender").start_review()
    hostile = "=cmd|' /C calc'!A0"
    for reviewer, assignment_id in zip(walk.reviewers, walk.assignment_ids, strict=True):
        for indicator in walk.indicators:
            save_score(reviewer, assignment_id, indicator.code, indicator.scale_max, hostile)
        submit_review(reviewer, assignment_id)
    client = fresh_client(app, walk.facilitator)
    rows = read_csv(client.get("/applications/export/reviews.csv"))
    assert {r[5] for r in rows[1:]} == {"'" + hostile}
    data = b"".join(client.get("/applications/export/reviews.xlsx").response)
    cell = load_workbook(io.BytesIO(data)).worksheets[0]["F2"]
    assert cell.value == hostile and cell.data_type == "s"


def test_only_staff_may_export_reviews_with_reviewer_names(app):
    walk = f.Walk("gender").certify()
    url = "/applications/export/reviews.xlsx"
    assert fresh_client(app, walk.applicant).get(url).status_code == 403
    assert fresh_client(app, walk.reviewers[0]).get(url).status_code == 403
    assert fresh_client(app).get(url).status_code == 302


def test_anyone_downloads_the_registry_with_its_filters_and_formulas_neutralised(app, monkeypatch):
    from certification.certificates import exports as registry_exports
    from certification.certificates.queries import of_application

    monkeypatch.setattr(registry_exports, "CHUNK", 1)
    hostile = f.organization(name="@SUM(1+1)*cmd")
    gender = [f.Walk("gender").certify(), f.Walk("gender", org=hostile).certify()]
    poverty = f.Walk("poverty").certify()
    f.Walk("gender").submit()  # no certificate: not in the registry
    client = fresh_client(app)
    page = client.get("/registry").get_data(as_text=True)
    assert "/registry.csv" in page and "/registry.xlsx" in page
    response = client.get("/registry.csv?lang=es")
    assert response.status_code == 200 and response.is_streamed
    rows = read_csv(response)
    assert rows[0][:3] == ["Número de certificado", "Organización", "País"]
    numbers = [of_application(w.id).number for w in [*gender, poverty]]
    assert [r[0] for r in rows[1:]] == numbers
    assert rows[2][1] == "'" + hostile.name and rows[2][7] == "vigente"
    only_gender = read_csv(client.get("/registry.csv?area=gender&lang=es"))
    assert [r[0] for r in only_gender[1:]] == numbers[:2]
    searched = read_csv(client.get(f"/registry.csv?q={numbers[2]}&lang=es"))
    assert [r[0] for r in searched[1:]] == [numbers[2]]
    data = b"".join(client.get("/registry.xlsx?area=gender").response)
    cell = load_workbook(io.BytesIO(data)).worksheets[0]["B3"]
    assert cell.value == hostile.name and cell.data_type == "s"
    assert client.get("/registry.csv?area=bogus").status_code == 400


def test_xlsx_text_that_looks_like_a_formula_or_an_error_stays_text_and_numbers_stay_numbers():
    from openpyxl import Workbook

    from certification.seals.exports import xlsx_cell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("x")
    sheet.append([xlsx_cell(sheet, v) for v in ("=1+1", "#N/A", "+1", "Ana", 4, 2.5)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    cells = list(load_workbook(buffer).worksheets[0].iter_rows())[0]
    assert [c.value for c in cells] == ["=1+1", "#N/A", "+1", "Ana", 4, 2.5]
    assert [c.data_type for c in cells[:5]] == ["s", "s", "s", "s", "n"]
