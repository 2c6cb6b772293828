"""Pages speak the reader's language: the seal content in French for fr, and no English UI text left over
on the main pages rendered in Spanish or French."""

from __future__ import annotations

import html
import re
from functools import cache
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

import certification
from certification.applications.services import create_application
from standards.loader import SEALS_DIR, load_directory, load_translations
from tests import factories as f
from tests.reviewing import assign_and_accept, submitted_application
from tests.seals_support import restored_standards, version  # noqa: F401 - the fixture
from tests.web.helpers import fresh_client

pytestmark = pytest.mark.usefixtures("restored_standards")

SPECS = load_directory(SEALS_DIR)
FRENCH = {(t.code, t.version): t for t in load_translations(SEALS_DIR, SPECS)}
CATALOGS = Path(certification.__file__).parent / "translations"
PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%[sdif]|\{\w*\}")


@cache
def english_texts(locale: str) -> tuple[str, ...]:
    """The English UI texts that must not appear on a page in `locale`: the catalog's msgids of more than
    three words whose translation differs, each cut at its placeholders (the longest literal piece)."""
    path = CATALOGS / locale / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as po:
        catalog = read_po(po)
    texts = set()
    for message in catalog:
        if not message.id or not message.string:
            continue
        msgid = message.id[0] if isinstance(message.id, tuple) else message.id
        msgstr = message.string[0] if isinstance(message.string, tuple) else message.string
        if msgid == msgstr:
            continue
        piece = max((part.strip() for part in PLACEHOLDER.split(msgid)), key=len)
        if len(piece.split()) > 3:
            texts.add(" ".join(piece.split()))
    return tuple(sorted(texts))


def _visible(response) -> str:
    body = response.get_data(as_text=True)
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    return " ".join(html.unescape(body).split())


def _english_left(page: str, locale: str) -> list[str]:
    return [text for text in english_texts(locale) if text in page]


@pytest.fixture
def world(app):
    """An applicant with a submitted application (with a certificate to verify) and a reviewer who has
    accepted its assignment."""
    application, applicant = submitted_application()
    reviewer = f.reviewer("gender")
    facilitator = f.user("facilitator")
    assignment = assign_and_accept(facilitator, application.id, reviewer)
    certificate = f.registry_certificate(application.id)
    return {
        "application": application,
        "applicant": applicant,
        "reviewer": reviewer,
        "assignment": assignment,
        "certificate": certificate,
    }


def _pages(world) -> list[tuple[object, str]]:
    """(who, url) for each main page: None is an anonymous visitor."""
    gender = version("GEN", "1.0")
    return [
        (None, "/"),
        (None, "/standards"),
        (None, f"/standards/{gender.id}"),
        (None, f"/standards/{gender.id}/print"),
        (None, "/registry"),
        (None, "/verify"),
        (None, f"/verify/{world['certificate'].verification_code}"),
        (None, "/login"),
        (world["applicant"], "/dashboard"),
        (world["applicant"], f"/applications/{world['application'].id}"),
        (world["reviewer"], "/assignments"),
        (world["reviewer"], f"/assignments/{world['assignment'].id}"),
    ]


@pytest.mark.parametrize("locale", ["es", "fr"])
def test_the_main_pages_show_no_english_ui_text_in_spanish_or_french(app, world, locale):
    assert len(english_texts(locale)) > 200  # the check has something to find
    leaks = {}
    for who, url in _pages(world):
        client = fresh_client(app, who)
        response = client.get(f"{url}?lang={locale}")
        assert response.status_code == 200, url
        page = _visible(response)
        assert f'lang="{locale}"' in response.get_data(as_text=True), url
        left = _english_left(page, locale)
        if left:
            leaks[url] = left
    assert leaks == {}


def test_the_leak_check_finds_english_on_an_english_page(app, world):
    response = fresh_client(app, world["applicant"]).get(f"/applications/{world['application'].id}?lang=en")
    assert _english_left(_visible(response), "fr")


@pytest.mark.parametrize("spec", [s for s in SPECS if s.status == "published"], ids=lambda s: s.code)
def test_the_french_public_page_shows_the_french_seal_content(app, spec):
    french = FRENCH[(spec.code, spec.version)]
    standard = version(spec.code, spec.version)

    page = _visible(fresh_client(app).get(f"/standards/{standard.id}?lang=fr"))

    assert french.title in page and french.description in page
    for level in spec.settings.levels:
        assert f"{french.levels[level.code]} ≥" in page and f"{level.name.es} ≥" not in page
    for dimension in spec.dimensions:
        assert french.dimensions[dimension.code] in page
    for indicator in spec.indicators():
        translated = french.indicators[indicator.code]
        assert translated.text in page and translated.guidance in page
        assert all(text in page for text in translated.descriptors.values())
        assert indicator.text.es not in page and indicator.text.en not in page
    assert "Procès-verbaux du conseil d'administration" in page or "Plan stratégique" in page


def test_the_french_print_page_application_scoring_and_self_assessment_show_the_french_indicator(app, world):
    gender = version("GEN", "1.0")
    assert world["application"].standard_id == gender.id
    french = FRENCH[("GEN", "1.0")].indicators["GEN.A.1"]

    printed = _visible(fresh_client(app).get(f"/standards/{gender.id}/print?lang=fr"))
    detail = _visible(fresh_client(app, world["applicant"]).get(f"/applications/{world['application'].id}?lang=fr"))
    applicant = f.applicant()
    draft = create_application(applicant, gender.id)
    form = fresh_client(app, applicant).get(f"/applications/{draft.id}/self-assessment/GEN.A.1?lang=fr")

    scoring = _visible(fresh_client(app, world["reviewer"]).get(f"/assignments/{world['assignment'].id}?lang=fr"))

    assert french.text in printed and french.descriptors[5] in printed
    assert french.text in detail
    assert french.text in scoring and french.guidance in scoring and french.descriptors[1] in scoring
    assert form.status_code == 200
    assessed = _visible(form)
    assert french.text in assessed and french.guidance in assessed and french.descriptors[3] in assessed
