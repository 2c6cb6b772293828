"""The Spanish and French catalogs: complete, well-formed, in step with the code, and served by the app.

Every text a person reads exists in Spanish, English and French. English is the source (the msgids), so
the catalogs at certification/translations/es and /fr must translate every string the code and the
templates mark (`_()`, `gettext`, `_l`, `lazy_gettext`, `N_`) and every enum value the templates pass to
`_()`. Each catalog test runs once per translated language.
"""

from __future__ import annotations

import ast
import functools
import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, default_directory_filter, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "certification" / "translations"
LOCALES = ("es", "fr")  # English is the msgids themselves
PO_FILE = TRANSLATIONS / "es" / "LC_MESSAGES" / "messages.po"
MO_FILE = PO_FILE.with_suffix(".mo")


def po_file(locale: str) -> Path:
    return TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"


KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
SOURCE_DIRS = {"certification", "workflows", "standards", "templates"}  # what babel.cfg maps

# A printf-style conversion: %(name)s, %d, %5.2f … and the literal %%.
PLACEHOLDER = re.compile(
    r"%(?:\((?P<name>[^)]*)\))?[#0 +-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?(?P<type>[diouxXeEfFgGcrsa%])"
)


def placeholders(text: str) -> list[tuple[str | None, str]]:
    return sorted(((m["name"], m["type"]) for m in PLACEHOLDER.finditer(text)), key=repr)


@pytest.fixture(scope="module", params=LOCALES)
def catalog(request):
    with po_file(request.param).open("rb") as f:
        return read_po(f, locale=request.param)


@pytest.fixture(scope="module")
def msgids(catalog) -> set[str]:
    # A plural entry's id is (singular, plural): ngettext marks both forms.
    return {part for m in catalog if m.id for part in (m.id if isinstance(m.id, tuple) else (m.id,))}


def _in_source_dirs(dirpath: str) -> bool:
    relative = Path(dirpath).resolve().relative_to(ROOT)
    return default_directory_filter(dirpath) and (not relative.parts or relative.parts[0] in SOURCE_DIRS)


@functools.cache
def extracted_messages() -> tuple[tuple[str, int, str], ...]:
    """What `pybabel extract -F babel.cfg` finds now: (file, line, msgid) for each marked literal."""
    with (ROOT / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f, "babel.cfg")
    found = []
    for filename, lineno, message, _comments, _context in extract_from_dir(
        ROOT, method_map, options_map, keywords=KEYWORDS, directory_filter=_in_source_dirs
    ):
        for msgid in message if isinstance(message, tuple) else (message,):
            if msgid:
                found.append((filename, lineno, msgid))
    return tuple(found)


# --- the catalog itself -------------------------------------------------------------------------------


def test_every_entry_is_translated_and_none_is_fuzzy(catalog):
    assert not catalog.fuzzy, "the catalog header is marked fuzzy"
    untranslated = [m.id for m in catalog if m.id and not (all(m.string) if m.pluralizable else m.string)]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert not untranslated, f"untranslated msgids: {untranslated}"
    assert not fuzzy, f"fuzzy entries (review them, then drop the flag): {fuzzy}"


def test_placeholders_are_kept(catalog):
    wrong = []
    for m in catalog:
        if not m.id:
            continue
        ids = m.id if isinstance(m.id, tuple) else (m.id,)
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        wanted = placeholders(ids[0])
        wrong += [(ids[0], s) for s in strings if placeholders(s) != wanted]
    assert not wrong, f"msgstr placeholders differ from the msgid: {wrong}"


def test_babel_checkers_pass(catalog):
    problems = [(m.id, [str(e) for e in errors]) for m, errors in catalog.check()]
    assert not problems, problems


# --- the catalog against the code ---------------------------------------------------------------------


def test_every_marked_string_has_a_translation(msgids):
    found = extracted_messages()
    assert len(found) > 100, "extraction found almost nothing: is babel.cfg still mapping the sources?"
    missing = sorted({f"{file}:{line}: {msgid!r}" for file, line, msgid in found if msgid not in msgids})
    assert not missing, (
        "strings marked for translation but missing from the catalog; run pybabel extract + update "
        "(see babel.cfg) and translate them:\n" + "\n".join(missing)
    )


class _AnyValue(dict):
    def __missing__(self, key):
        return 1


def test_template_strings_survive_jinja_formatting(catalog):
    """Jinja's newstyle gettext always applies `% variables`, so a lone % in a template msgid (or in its
    msgstr) breaks the page: write it %%."""
    broken = []
    for filename, lineno, msgid in extracted_messages():
        if not filename.startswith("templates/"):
            continue
        message = catalog.get(msgid)
        for text in (msgid, message.string if message else ""):
            try:
                text % _AnyValue()
            except (ValueError, TypeError) as exc:
                broken.append(f"{filename}:{lineno}: {text!r} ({exc})")
    assert not broken, "\n".join(broken)


def test_babel_cfg_maps_the_python_sources_and_the_templates():
    with (ROOT / "babel.cfg").open() as f:
        method_map, _options = parse_mapping_cfg(f, "babel.cfg")
    assert ("templates/**.html", "jinja2") in method_map
    for package in ("certification", "workflows", "standards"):
        assert (f"{package}/**.py", "python") in method_map


def _enum_values() -> dict[str, list[str]]:
    from certification.accounts.models import AffiliationKind, Role
    from certification.certificates.models import CertificateStatus
    from certification.notifications.models import MailStatus
    from certification.pilots.models import RoundStatus
    from certification.rescoring.models import RescoreStatus
    from certification.reviews.models import AssignmentStatus
    from certification.seals.models import Area, CommentStatus, StandardStatus
    from workflows.application import EVENTS, State

    enums = (State, AssignmentStatus, CertificateStatus, RoundStatus, Area, StandardStatus, CommentStatus, Role,
             AffiliationKind, MailStatus, RescoreStatus)  # fmt: skip
    values = {e.__name__: [member.value for member in e] for e in enums}
    values["EVENTS"] = [*EVENTS, "create"]  # "create" is the first history entry of every application
    values["EVENTS labels"] = [spec.label for spec in EVENTS.values()]
    return values


@pytest.mark.parametrize("group", list(_enum_values()))
def test_enum_values_shown_by_the_templates_have_msgids(group, msgids):
    missing = [value for value in _enum_values()[group] if value not in msgids]
    assert not missing, f"{group}: add these to certification/i18n_terms.py and translate them: {missing}"


def _validation_field_keys() -> set[str]:
    """Keys of the ValidationFailed dicts the services raise: ui.messages_of shows them via gettext."""
    keys = set()
    for path in (ROOT / "certification").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "ValidationFailed":
                if node.args and isinstance(node.args[0], ast.Dict):
                    keys |= {k.value for k in node.args[0].keys if isinstance(k, ast.Constant)}
            elif isinstance(node, ast.Assign):
                for target in node.targets:
                    if (
                        isinstance(target, ast.Subscript)
                        and getattr(target.value, "id", None) == "errors"
                        and isinstance(target.slice, ast.Constant)
                        and isinstance(target.slice.value, str)
                    ):
                        keys.add(target.slice.value)
    return keys


def test_validation_field_names_have_msgids(msgids):
    keys = _validation_field_keys()
    assert "indicators" in keys, "the scan found no ValidationFailed fields"
    missing = sorted(keys - msgids)
    assert not missing, f"add these field names to certification/i18n_terms.py and translate them: {missing}"


# --- the running app ----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def compiled_catalog():
    """Compile each .po to the .mo Flask-Babel reads (the .mo is not in git), so no Makefile step is needed."""
    for locale in LOCALES:
        po_path = po_file(locale)
        with po_path.open("rb") as f:
            po = read_po(f, locale=locale)
        mo_path = po_path.with_suffix(".mo")
        tmp = mo_path.with_name(f".{mo_path.name}.tmp")
        with tmp.open("wb") as f:
            write_mo(f, po)
        tmp.replace(mo_path)
    return MO_FILE


def _fresh(app):
    """An app context per request: the `app` fixture keeps one pushed for the whole session, and
    Flask-Babel caches the request's locale on `g`, which would otherwise outlive the request."""
    return app.app_context()


def test_home_page_speaks_spanish_by_default_and_english_on_request(app, client, compiled_catalog):
    babel_config = app.extensions["babel"]
    babel_config.instance.domain_instance.cache.clear()  # forget catalogs loaded before the .mo existed

    with _fresh(app):
        default = client.get("/").get_data(as_text=True)
    with _fresh(app):
        spanish = client.get("/", headers={"Accept-Language": "es"}).get_data(as_text=True)
    for page in (default, spanish):
        assert '<html lang="es">' in page
        assert "Iniciar sesión" in page
        assert "Directorio de IMF certificadas" in page
        assert "Log in" not in page

    with _fresh(app):
        switched = client.post("/language", data={"lang": "en"})
    assert switched.status_code == 303
    with _fresh(app):
        english = client.get("/").get_data(as_text=True)
    assert '<html lang="en">' in english
    assert "Log in" in english
    assert "Registry of certified MFIs" in english
    assert "Iniciar sesión" not in english

    with _fresh(app):
        client.post("/language", data={"lang": "es"})
    with _fresh(app):
        back = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Iniciar sesión" in back, "the chosen language outranks the browser's"


def test_service_errors_reach_the_user_in_spanish(app, compiled_catalog):
    """A static message raised by a service is translated on its way to the flash (ui.messages_of)."""
    from certification.errors import NotEditable, ValidationFailed
    from certification.ui import messages_of

    app.extensions["babel"].instance.domain_instance.cache.clear()
    with _fresh(app), app.test_request_context("/", headers={"Accept-Language": "es"}):
        assert messages_of(NotEditable("Evidence is frozen once the application is submitted.")) == [
            "La evidencia queda congelada una vez enviada la solicitud."
        ]
        assert messages_of(ValidationFailed({"file": ["The file is empty."]})) == ["Archivo: El archivo está vacío."]


def test_french_is_offered_and_served_by_query_session_and_a_persons_locale(app, client, compiled_catalog):
    app.extensions["babel"].instance.domain_instance.cache.clear()
    with _fresh(app):
        page = client.get("/?lang=fr").get_data(as_text=True)
    assert '<html lang="fr">' in page
    assert "Se connecter" in page and "Registre des IMF certifiées" in page
    assert "Log in" not in page and "Iniciar sesión" not in page
    with _fresh(app):
        spanish = client.get("/", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert 'value="fr"' in spanish and "Français" in spanish, "the language switch offers French"
    with _fresh(app):
        assert client.post("/language", data={"lang": "fr"}).status_code == 303
    with _fresh(app):
        chosen = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Se connecter" in chosen
    with _fresh(app):
        client.post("/language", data={"lang": "es"})


def test_service_errors_reach_the_user_in_french_with_their_parameters(app, compiled_catalog):
    from certification.errors import ValidationFailed
    from certification.ui import messages_of
    from workflows.messages import N_, Message

    app.extensions["babel"].instance.domain_instance.cache.clear()
    scale = Message(N_("Choose a whole number from %(min)d to %(max)d."), min=1, max=5)
    with _fresh(app), app.test_request_context("/?lang=fr"):
        assert messages_of(ValidationFailed({"rating": [scale]})) == ["Note : Choisissez un nombre entier de 1 à 5."]
