"""The seal pages through the web: public reading in both languages, printing, diff, lifecycle, consultation,
exports and pilot calibration."""

from __future__ import annotations

import csv
import io

import pytest
from flask import g
from sqlalchemy import select

from certification.extensions import db
from certification.rescoring.models import RescoreJob
from certification.seals.models import Calibration, IndicatorComment, Standard, StandardHistory, StandardStatus
from standards.loader import SEALS_DIR, load_directory
from tests import factories as f
from tests.seals_support import move_to, restored_standards, scored_application, version  # noqa: F401
from tests.web.helpers import login

pytestmark = pytest.mark.usefixtures("restored_standards")


def _fresh() -> None:
    """Forget what the previous request cached on `g`: the tests share one app context for the whole
    session, so Flask reuses it for every request (in production each request gets its own)."""
    g.pop("_login_user", None)
    g.pop("_flask_babel", None)


def _get(client, url, **kwargs):
    _fresh()
    return client.get(url, **kwargs)


def _post(client, url, **kwargs):
    _fresh()
    return client.post(url, **kwargs)


@pytest.fixture(autouse=True)
def _forget_the_previous_and_this_tests_user_and_language(app):
    _fresh()
    yield
    _fresh()


PUBLISHED = [spec for spec in load_directory(SEALS_DIR) if spec.status == "published"]


@pytest.mark.parametrize("spec", PUBLISHED, ids=lambda s: s.code)
@pytest.mark.parametrize("lang", ["es", "en"])
def test_each_published_seal_has_a_public_page_in_spanish_and_english(app, client, spec, lang):
    standard = version(spec.code, spec.version)

    page = _get(client, f"/standards/{standard.id}?lang={lang}")

    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f'<html lang="{lang}">' in html
    other = "en" if lang == "es" else "es"
    first = next(spec.indicators())
    assert getattr(spec.title, lang) in html
    assert getattr(first.text, lang).replace('"', "&#34;").split("&#34;")[0] in html
    assert getattr(first.text, other) not in html
    for indicator in spec.indicators():
        assert indicator.code in html and indicator.framework.split("(")[0].strip() in html
        assert getattr(indicator.descriptor(indicator.scale_max), lang)[:40].replace("'", "&#39;") in html


def test_the_language_switch_turns_the_public_page_english(app, client):
    standard = version("POV", "1.0")
    _post(client, "/language", data={"lang": "en"})
    html = _get(client, f"/standards/{standard.id}").get_data(as_text=True)
    assert standard.title_en in html and standard.title_es not in html


def test_the_index_lists_the_published_seals_to_anyone(app, client):
    html = _get(client, "/standards?lang=en").get_data(as_text=True)
    for code, number in (("GEN", "1.0"), ("POV", "1.0"), ("RUR", "1.0")):
        assert f'href="/standards/{version(code, number).id}?lang=en"' in html
    assert f"/standards/{version('GEN', '1.1').id}" not in html, "consultation is for logged-in people"


@pytest.mark.parametrize("lang", ["es", "en"])
def test_the_printable_version_has_no_navigation_and_a_print_stylesheet(app, client, lang):
    standard = version("RUR", "1.0")
    html = _get(client, f"/standards/{standard.id}/print?lang={lang}").get_data(as_text=True)
    assert "<nav" not in html and "<form" not in html
    assert "seals_print.css" in html
    assert (standard.title_en if lang == "en" else standard.title_es) in html
    assert all(i.code in html for i in f.indicators(standard))
    with _get(client, "/static/seals_print.css") as response:
        assert "@media print" in response.get_data(as_text=True)


def test_who_sees_which_version(app, client):
    consultation = version("GEN", "1.1")
    assert _get(client, f"/standards/{consultation.id}").status_code == 404
    assert _get(client, f"/standards/{consultation.id}/print").status_code == 404
    assert _get(client, "/standards/999999").status_code == 404
    login(client, f.applicant())
    assert _get(client, f"/standards/{consultation.id}").status_code == 200
    db.session.execute(Standard.__table__.update().where(Standard.id == consultation.id).values(status="draft"))
    db.session.commit()
    assert _get(client, f"/standards/{consultation.id}").status_code == 404, "a draft is for staff only"
    login(client, f.user("facilitator"))
    assert _get(client, f"/standards/{consultation.id}").status_code == 200


def test_the_diff_page_shows_the_versions_side_by_side(app, client):
    login(client, f.applicant())
    old, new = version("GEN", "1.0"), version("GEN", "1.1")

    html = _get(client, f"/standards/diff?left={old.id}&right={new.id}&lang=en").get_data(as_text=True)

    assert 'id="diff-GEN.C.5"' in html and 'id="diff-GEN.D.3"' in html
    row_b3 = html.split('id="diff-GEN.B.3"')[1].split("</tr>")[0]
    assert "reworded" in row_b3 and "Median loan size" in row_b3 and "Average loan size" in row_b3
    row_b1 = html.split('id="diff-GEN.B.1"')[1].split("</tr>")[0]
    assert "reweighted" in row_b1 and "1.5" in row_b1


def test_the_diff_page_refuses_bad_or_hidden_versions(app, client):
    old, new, other = version("GEN", "1.0"), version("GEN", "1.1"), version("POV", "1.0")
    assert _get(client, f"/standards/diff?left={old.id}&right={new.id}").status_code == 404  # 1.1 is not public
    assert _get(client, "/standards/diff?left=abc&right=1").status_code == 303
    assert _get(client, "/standards/diff").status_code == 303
    assert _get(client, f"/standards/diff?left={old.id}&right={other.id}").status_code == 303
    assert _get(client, f"/standards/diff?left={old.id}&right=99999999999999").status_code == 303


def test_an_admin_changes_the_status_from_the_page_and_a_facilitator_may_not(app, client):
    standard = version("GEN", "1.1")
    login(client, f.user("facilitator"))
    assert _post(client, f"/standards/{standard.id}/status", data={"status": "pilot", "reason": "x"}).status_code == 403
    login(client, f.user("admin"))
    page = _get(client, f"/standards/{standard.id}").get_data(as_text=True)
    assert 'name="status" value="pilot"' in page

    r = _post(client, f"/standards/{standard.id}/status", data={"status": "pilot", "reason": "Fin de la consulta."})

    assert r.status_code == 303
    db.session.expire_all()
    assert db.session.get(Standard, standard.id).status == StandardStatus.PILOT
    assert db.session.scalar(select(StandardHistory.reason)) == "Fin de la consulta."
    assert "Fin de la consulta." in _get(client, f"/standards/{standard.id}").get_data(as_text=True)


def test_a_status_change_without_reason_is_flashed_and_changes_nothing(app, client):
    standard = version("GEN", "1.1")
    login(client, f.user("admin"))
    r = _post(client, f"/standards/{standard.id}/status", data={"status": "pilot", "reason": ""}, follow_redirects=True)
    assert r.status_code == 200 and "flash error" in r.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Standard, standard.id).status == StandardStatus.CONSULTATION


def test_consultation_through_the_page(app, client):
    standard = version("GEN", "1.1")
    member, facilitator = f.applicant(), f.user("facilitator")
    assert (
        _post(client, f"/standards/{standard.id}/indicators/GEN.B.3/comments", data={"comment": "x"}).status_code == 302
    )

    login(client, member)
    data = {"comment": "Usar la mediana también en GEN.B.4.", "proposed_text": "Monto mediano."}
    r = _post(client, f"/standards/{standard.id}/indicators/GEN.B.3/comments", data=data)
    assert r.status_code == 303
    comment = db.session.scalar(select(IndicatorComment))
    page = _get(client, f"/standards/{standard.id}").get_data(as_text=True)
    block = page.split('id="indicator-GEN.B.3"')[1].split("</article>")[0]
    assert "Usar la mediana también en GEN.B.4." in block and "Monto mediano." in block
    assert _post(client, f"/standards/comments/{comment.id}/resolution",
                       data={"resolution": "accepted", "response": "Sí"}).status_code == 403  # fmt: skip

    login(client, facilitator)
    r = _post(client, f"/standards/comments/{comment.id}/resolution",
                    data={"resolution": "accepted", "response": "Se incorpora."})  # fmt: skip
    assert r.status_code == 303
    db.session.expire_all()
    assert db.session.get(IndicatorComment, comment.id).status.value == "accepted"
    page = _get(client, f"/standards/{standard.id}").get_data(as_text=True)
    assert "Usar la mediana también en GEN.B.4." not in page, "only open comments are listed per indicator"


def test_the_exports_are_for_staff(app, client):
    standard = version("GEN", "1.1")
    member = f.applicant()
    login(client, member)
    _post(client, f"/standards/{standard.id}/indicators/GEN.C.5/comments", data={"comment": "Observación ñandú."})
    assert _get(client, f"/standards/{standard.id}/comments.csv").status_code == 403
    assert _get(client, f"/standards/{standard.id}/comments.xlsx").status_code == 403

    login(client, f.user("facilitator"))
    r = _get(client, f"/standards/{standard.id}/comments.csv?lang=en")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert 'filename="consultation-GEN-1.1.csv"' in r.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(r.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[1][0] == "GEN.C.5" and rows[1][4] == "Observación ñandú." and rows[1][2] == member.name
    r = _get(client, f"/standards/{standard.id}/comments.xlsx")
    assert r.status_code == 200 and r.data[:2] == b"PK"

    _post(client, "/logout")
    assert _get(client, f"/standards/{standard.id}/comments.csv").status_code == 302


def test_calibration_through_the_pages_previews_then_saves_and_shows_the_rescoring(app, client):
    standard = move_to(version("GEN", "1.1"), "pilot")
    facilitator = f.user("facilitator")
    n = len(f.indicators(standard))
    silver = scored_application(standard, facilitator, [(4, 4)] * n)
    login(client, facilitator)

    form_page = _get(client, f"/standards/{standard.id}/calibration")
    assert form_page.status_code == 200 and 'name="indicator-GEN.C.5"' in form_page.get_data(as_text=True)
    preview = _post(client, f"/standards/{standard.id}/calibration/preview", data={"level-silver": "76"})
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200
    row = html.split(f'data-application="{silver.id}"')[1].split("</tr>")[0]
    assert 'class="changed"' in html.split(f'data-application="{silver.id}"')[0][-40:]
    assert "75.00" in row
    token = html.split('name="token" value="')[1].split('"')[0]
    assert db.session.scalar(select(db.func.count(Calibration.id))) == 0

    no_reason = _post(client, f"/standards/{standard.id}/calibration",
                            data={"level-silver": "76", "token": token, "reason": ""})  # fmt: skip
    assert no_reason.status_code == 422
    saved = _post(client, f"/standards/{standard.id}/calibration",
                        data={"level-silver": "76", "token": token, "reason": "Piloto Perú."})  # fmt: skip

    assert saved.status_code == 303
    job = db.session.scalar(select(RescoreJob))
    assert saved.headers["Location"].endswith(f"/rescoring/{job.id}")
    db.session.expire_all()
    assert [lv["minimum"] for lv in db.session.get(Standard, standard.id).levels] == [60, 76, 80]


def test_calibration_pages_refuse_the_wrong_people_and_the_wrong_status(app, client):
    pilot = move_to(version("GEN", "1.1"), "pilot")
    published = version("GEN", "1.0")
    login(client, f.applicant())
    assert _get(client, f"/standards/{pilot.id}/calibration").status_code == 403
    assert _post(client, f"/standards/{pilot.id}/calibration/preview", data={}).status_code == 403
    assert _post(client, f"/standards/{pilot.id}/calibration", data={}).status_code == 403
    login(client, f.user("facilitator"))
    assert _get(client, f"/standards/{published.id}/calibration").status_code == 303
    assert _post(client, f"/standards/{published.id}/calibration", data={"pass": "70"}).status_code == 303
    bad = _post(client, f"/standards/{pilot.id}/calibration/preview", data={"indicator-GEN.A.1": "-1", "pass": "abc"})
    assert bad.status_code == 422 and bad.get_data(as_text=True).count('class="field-error"') == 2
    db.session.expire_all()
    assert db.session.get(Standard, published.id).pass_threshold == 60


@pytest.mark.parametrize(
    "url",
    ["/standards/99999999999999999999", "/standards/99999999999999999999/print",
     "/standards/99999999999999999999/calibration", "/standards/99999999999999999999/comments.csv"],
)  # fmt: skip
def test_an_id_beyond_the_database_range_is_simply_not_found(app, client, url):
    login(client, f.user("admin"))
    assert _get(client, url).status_code == 404


def test_resolving_a_comment_beyond_the_database_range_is_not_found(app, client):
    login(client, f.user("facilitator"))
    r = _post(client, "/standards/comments/99999999999999999999/resolution", data={"resolution": "accepted"})
    assert r.status_code == 404


def test_a_consultation_page_opens_with_contents_linking_each_indicator_and_its_comment_form(app, client):
    standard = version("GEN", "1.1")
    member = f.applicant()
    login(client, member)
    _post(client, f"/standards/{standard.id}/indicators/GEN.B.3/comments", data={"comment": "Precisar la mediana."})
    html = _get(client, f"/standards/{standard.id}?lang=en").get_data(as_text=True)
    contents = html.split('id="contents"')[1].split("</nav>")[0]
    first_indicator = html.index('class="indicator"')
    assert html.index('id="contents"') < first_indicator, "the contents come before the first indicator"
    for dimension in standard.dimensions:
        assert f'href="#dimension-{dimension.code}"' in contents and f'id="dimension-{dimension.code}"' in html
        for indicator in dimension.indicators:
            assert f'href="#indicator-{indicator.code}"' in contents
            assert f'href="#comment-on-{indicator.code}"' in contents, "each indicator's comment form is one click"
            assert f'id="comment-on-{indicator.code}"' in html
    gen_b3 = contents.split('href="#indicator-GEN.B.3"')[1].split("</li>")[0]
    assert "1 open comment(s)" in gen_b3


def test_the_rubric_is_a_table_of_level_and_descriptor_and_anonymous_readers_get_no_comment_links(app, client):
    standard = version(PUBLISHED[0].code, PUBLISHED[0].version)
    from certification.seals.queries import indicators_of

    indicator = indicators_of(standard.id)[0]
    html = _get(client, f"/standards/{standard.id}?lang=en").get_data(as_text=True)
    rubric = html.split(f'id="indicator-{indicator.code}"')[1].split("</table>")[0]
    assert '<th scope="col">Level</th><th scope="col">Descriptor</th>' in rubric
    for level in indicator.scale():
        assert f'<tr><th scope="row">{level}</th>' in rubric
    assert 'href="#comment-on-' not in html, "no comment link for someone who may not comment"
    assert 'href="#indicator-' in html
