"""Input rules shared by the web forms, the API schemas and the services.

The same bad input must get the same answer on every database: SQLite stores a NUL byte that PostgreSQL
refuses, PostgreSQL refuses an integer id that SQLite accepts, and both accept dates no person means.
These bounds are checked before anything reaches the database.
"""

from __future__ import annotations

import re
from datetime import date

from workflows.messages import N_

# C0 control characters and DEL, except tab, line feed and carriage return (multi-line texts keep those).
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Single-line fields (names, codes, e-mails) refuse line breaks and tabs as well.
LINE_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")

# The largest id a 32-bit INTEGER primary key can hold; anything above names no row (404, not a 400 or 500).
MAX_ID = 2**31 - 1

# Dates a certification process can mean: rounds, due dates and affiliations fall in this window.
DATE_MIN = date(2000, 1, 1)
DATE_MAX = date(2099, 12, 31)


def has_control_characters(text: str, *, single_line: bool = False) -> bool:
    """True when `text` holds a character no person types (NUL, escape, …)."""
    pattern = LINE_CONTROL_CHARACTERS if single_line else CONTROL_CHARACTERS
    return bool(pattern.search(text))


def date_in_window(value: date) -> bool:
    return DATE_MIN <= value <= DATE_MAX


# The one message for a date outside [DATE_MIN, DATE_MAX] (web forms and services; tests keep it in step).
DATE_OUT_OF_WINDOW = N_("Give a date between 2000-01-01 and 2099-12-31.")

MAX_SEARCH = 100


def search_pattern(text: str | None) -> str | None:
    """A list's free-text search as a LIKE pattern (wildcards in the text match themselves), or None for no filter."""
    text = LINE_CONTROL_CHARACTERS.sub("", (text or "")).strip()[:MAX_SEARCH]
    if not text:
        return None
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def normalise_email(email: str) -> str:
    """The form an e-mail address is stored and looked up in (accounts are found whatever its case)."""
    return (email or "").strip().lower()
