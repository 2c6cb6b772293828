"""French (overlay) translations of the seals: validated against their version, stored outside the frozen
content, shown for the fr locale, and required before a version is published."""

from __future__ import annotations

import re
import shutil

import pytest
import yaml
from flask_babel import force_locale, gettext
from sqlalchemy import select

from certification.errors import GuardFailed, NotEditable
from certification.extensions import db
from certification.seals.models import Dimension, Indicator, Standard, StandardStatus
from certification.seals.services import _digest, change_status, load_standards, missing_translations
from standards.loader import SEALS_DIR, StandardFileError, load_directory, load_translations
from tests import factories as f
from tests.seals_support import move_to, restored_standards, version  # noqa: F401 - the fixture

pytestmark = pytest.mark.usefixtures("restored_standards")

SPECS = load_directory(SEALS_DIR)


def _copy_seals(tmp_path):
    """The shipped seal files and their overlays in a folder a test may break."""
    for spec in SPECS:
        shutil.copy(SEALS_DIR / spec.source, tmp_path / spec.source)
    shutil.copytree(SEALS_DIR / "translations", tmp_path / "translations")
    return tmp_path / "translations" / "fr"


def _edit(path, change) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _texts(spec) -> int:
    """How many texts one language of a version holds (title, description, level names, dimension titles,
    and per indicator its text, guidance and descriptors)."""
    count = 2 + len(spec.settings.levels) + len(spec.dimensions)
    return count + sum(2 + len(indicator.descriptors) for indicator in spec.indicators())


def test_every_shipped_version_has_its_texts_in_spanish_english_and_french(app):
    translations = {(t.code, t.version): t for t in load_translations(SEALS_DIR, SPECS)}

    assert set(translations) == {(spec.code, spec.version) for spec in SPECS}
    for spec in SPECS:
        translation = translations[(spec.code, spec.version)]
        french = [translation.title, translation.description, *translation.levels.values(),
                  *translation.dimensions.values()]  # fmt: skip
        for code, indicator in translation.indicators.items():
            french += [indicator.text, indicator.guidance, *indicator.descriptors.values()]
            assert set(indicator.descriptors) == set(spec.indicator(code).descriptors)
        assert len(french) == _texts(spec) and all(text.strip() for text in french)
        standard = version(spec.code, spec.version)
        assert missing_translations(standard) == {}
        assert standard.title("fr") != standard.title("es") and standard.title("en") == spec.title.en


_NUMBER = re.compile(r"\d+(?:,\d+)?")
_CODES = re.compile(r"[A-Z]{3}\.[A-Z](?:\.\d)?|PAR>30|4A")


def _numbers(text: str) -> list[str]:
    return sorted(_NUMBER.findall(_CODES.sub(" ", text)))


def test_the_french_texts_keep_the_numbers_codes_and_percentages_of_the_version(app):
    translations = {(t.code, t.version): t for t in load_translations(SEALS_DIR, SPECS)}
    for spec in SPECS:
        translation = translations[(spec.code, spec.version)]
        for indicator in spec.indicators():
            french = translation.indicators[indicator.code]
            pairs = [(indicator.text, french.text), (indicator.guidance, french.guidance)]
            pairs += [(indicator.descriptors[level], french.descriptors[level]) for level in indicator.descriptors]
            for original, translated in pairs:
                # Written like the Spanish text: the same figures, with the decimal comma (0,80).
                assert _numbers(translated) == _numbers(original.es), (indicator.code, translated)
                percents = translated.count("%")
                assert percents in (original.es.count("%"), original.en.count("%")), (indicator.code, translated)
                for code in _CODES.findall(original.en):
                    assert code in translated, (indicator.code, code)


def test_the_stored_french_text_is_shown_for_fr_and_spanish_stays_the_fallback(app):
    indicator = db.session.scalar(
        select(Indicator).where(Indicator.standard_id == version("POV", "1.0").id, Indicator.code == "POV.A.1")
    )
    assert indicator.text("fr").startswith("La mission et le plan stratégique")
    assert indicator.text("fr_FR") == indicator.text("fr")
    assert indicator.descriptor(1, "fr") == "La mission et la stratégie ne mentionnent pas la pauvreté."
    assert indicator.text("pt") == indicator.text_es  # a language without an overlay falls back to Spanish
    assert version("POV", "1.0").level_name("silver", "fr") == "Argent"


def test_a_translation_missing_one_text_refuses_the_whole_load_and_changes_nothing(app, tmp_path):
    folder = _copy_seals(tmp_path)
    # A valid correction in one overlay, sorted before the broken one: it must not be stored either.
    _edit(folder / "GEN-1.0.yaml", lambda data: data.update(title="Sceau de l'équité entre les femmes et les hommes"))
    _edit(folder / "POV-1.0.yaml", lambda data: data["indicators"]["POV.B.2"]["levels"].pop(4))
    before = version("GEN", "1.0").title("fr")

    with pytest.raises(StandardFileError) as refused:
        load_standards(tmp_path)

    problems = [str(problem) for problem in refused.value.problems]
    assert problems == ["translations/fr/POV-1.0.yaml: indicators.POV.B.2.levels.4: translation is missing"]
    db.session.expire_all()
    assert version("GEN", "1.0").title("fr") == before


@pytest.mark.parametrize(
    ("change", "where", "message"),
    [
        (lambda d: d["indicators"].update({"POV.Z.9": d["indicators"]["POV.A.1"]}), "indicators.POV.Z.9",
         "unknown code"),
        (lambda d: d["dimensions"].update({"POV.Z": "Une dimension de trop"}), "dimensions.POV.Z", "unknown code"),
        (lambda d: d["indicators"]["POV.A.1"].update(note="hors format"), "indicators.POV.A.1.note", "unknown key"),
        (lambda d: d["indicators"]["POV.A.1"]["levels"].update({6: "Au-delà de l'échelle"}),
         "indicators.POV.A.1.levels.6", "unknown code"),
        (lambda d: d["indicators"]["POV.A.1"].update(text="  "), "indicators.POV.A.1.text", "non-empty"),
        (lambda d: d.pop("description"), "description", "required key is missing"),
        (lambda d: d["levels"].pop("gold"), "levels.gold", "translation is missing"),
        (lambda d: d.update(version="2.0"), "version", "translates version 1.0"),
    ],
)  # fmt: skip
def test_an_overlay_that_does_not_match_its_version_is_refused(app, tmp_path, change, where, message):
    folder = _copy_seals(tmp_path)
    _edit(folder / "POV-1.0.yaml", change)

    with pytest.raises(StandardFileError) as refused:
        load_standards(tmp_path)

    assert any(
        p.file == "translations/fr/POV-1.0.yaml" and p.path == where and message in p.message
        for p in refused.value.problems
    ), [str(p) for p in refused.value.problems]


def test_an_overlay_for_an_undeclared_version_or_language_is_refused(app, tmp_path):
    folder = _copy_seals(tmp_path)
    shutil.copy(folder / "RUR-1.0.yaml", folder / "RUR-3.0.yaml")
    (tmp_path / "translations" / "de").mkdir()
    shutil.copy(folder / "RUR-1.0.yaml", tmp_path / "translations" / "de" / "RUR-1.0.yaml")

    with pytest.raises(StandardFileError) as refused:
        load_standards(tmp_path)

    files = {p.file: p.message for p in refused.value.problems}
    assert "no standard version RUR-3.0" in files["translations/fr/RUR-3.0.yaml"]
    assert "unknown translation language 'de'" in files["translations/de/RUR-1.0.yaml"]


def test_a_translation_reaches_a_published_version_without_touching_its_digest(app, tmp_path):
    folder = _copy_seals(tmp_path)
    corrected = "Sceau de l'équité entre les femmes et les hommes"
    _edit(folder / "GEN-1.0.yaml", lambda data: data.update(title=corrected))
    standard = version("GEN", "1.0")
    digest = standard.source_sha256
    spec = next(s for s in SPECS if (s.code, s.version) == ("GEN", "1.0"))

    report = load_standards(tmp_path)

    assert report.translated == ["GEN 1.0 fr"] and "GEN 1.0" in report.unchanged
    db.session.expire_all()
    standard = version("GEN", "1.0")
    assert standard.status == StandardStatus.PUBLISHED
    assert standard.title("fr") == corrected and standard.source_sha256 == digest == _digest(spec)
    assert load_standards(tmp_path).translated == []  # loading twice changes nothing


@pytest.mark.parametrize(
    ("model", "column", "value"),
    [(Indicator, "text_es", "Otro texto."), (Indicator, "descriptors", {}), (Dimension, "title_en", "Other")],
)
def test_the_normative_content_of_a_translated_published_version_is_still_frozen(app, model, column, value):
    row = db.session.scalar(select(model).where(model.standard_id == version("GEN", "1.0").id).limit(1))
    assert row.translations["fr"]

    setattr(row, column, value)
    with pytest.raises(NotEditable):
        db.session.flush()
    db.session.rollback()


def _pilot_without_french(codes: tuple[str, ...]) -> Standard:
    """GEN 1.1 in pilot, its French removed for the indicators `codes` (as if the overlay lacked them)."""
    standard = move_to(version("GEN", "1.1"), "pilot")
    db.session.execute(
        Indicator.__table__.update()
        .where(Indicator.standard_id == standard.id, Indicator.code.in_(codes))
        .values(translations=None)
    )
    db.session.commit()
    db.session.expire_all()
    return db.session.get(Standard, standard.id)


def test_publishing_without_the_complete_french_is_refused_naming_what_is_missing(app):
    standard = _pilot_without_french(("GEN.A.2", "GEN.C.5"))
    admin = f.user("admin")

    with pytest.raises(GuardFailed) as refused:
        change_status(admin, standard.id, "published", "Acta del grupo de trabajo: publicar.")

    (unmet,) = refused.value.unmet
    assert unmet.code == "translation_fr" and unmet.params["codes"] == "GEN.A.2, GEN.C.5"
    assert "GEN.A.2, GEN.C.5 (2 in all)" in unmet.render() and "GEN-1.1.yaml" in unmet.render()
    with force_locale("fr"):
        french = unmet.render(gettext)
    assert french.startswith("La traduction française manque pour GEN.A.2, GEN.C.5 (2 au total)")
    db.session.rollback()
    db.session.expire_all()
    assert db.session.get(Standard, standard.id).status == StandardStatus.PILOT


def test_a_version_with_its_french_is_published(app):
    standard = move_to(version("GEN", "1.1"), "pilot", "published")
    assert standard.status == StandardStatus.PUBLISHED


def test_the_load_command_reports_stored_translations_and_refuses_a_bad_overlay(app, tmp_path):
    folder = _copy_seals(tmp_path)
    _edit(folder / "RUR-1.0.yaml", lambda data: data.update(title="Sceau du développement rural"))
    runner = app.test_cli_runner()

    stored = runner.invoke(args=["standards", "load", "--dir", str(tmp_path)])

    assert stored.exit_code == 0, stored.output
    assert "translated RUR 1.0 fr" in stored.output and "1 translation(s) stored." in stored.output
    _edit(folder / "RUR-1.0.yaml", lambda data: data["dimensions"].pop("RUR.B"))
    refused = runner.invoke(args=["standards", "load", "--dir", str(tmp_path)])
    assert refused.exit_code == 1
    assert "translations/fr/RUR-1.0.yaml: dimensions.RUR.B: translation is missing" in refused.output
