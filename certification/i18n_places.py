"""Countries and languages to choose from, named in the reader's language (from the CLDR data Babel ships)."""

from __future__ import annotations

from babel import Locale
from flask_babel import get_locale


def _locale() -> Locale:
    return get_locale() or Locale.parse("es")


def country_choices(keep=()) -> list[tuple[str, str]]:
    """(ISO 3166 alpha-2 code, name) sorted by name; codes in `keep` stay choosable even if CLDR lacks them."""
    names = {code: name for code, name in _locale().territories.items() if len(code) == 2 and code.isalpha()}
    for code in keep or ():
        names.setdefault(code, code)
    return sorted(names.items(), key=lambda item: item[1])


def language_choices(keep=()) -> list[tuple[str, str]]:
    """(ISO 639-1 code, name) sorted by name, plus any code in `keep` (a reviewer's 3-letter code)."""
    names = {code: name for code, name in _locale().languages.items() if len(code) == 2 and code.isalpha()}
    for code in keep or ():
        names.setdefault(code, code)
    return sorted(names.items(), key=lambda item: item[1])
