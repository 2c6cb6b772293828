"""Bounds on what a message repeats back of a person's input.

A message that names what was wrong (unknown indicator codes, a field's value) ends up in a flash (a session
cookie) or an API error body: it never grows with the input. At most LIST_LIMIT items are named, then "and N
more"; each echoed value is cut to VALUE_LIMIT characters.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import nullcontext

import flask_babel
from flask import has_request_context, request

from certification.api.errors import api_locale

LIST_LIMIT = 5
VALUE_LIMIT = 80


def shorten(value, limit: int = VALUE_LIMIT) -> str:
    """`value` as text of at most `limit` characters (an ellipsis marks the cut)."""
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _in_locale():
    """The API answers in its own language (?lang=, the token holder's, Accept-Language); pages in the UI's."""
    if request.blueprint == "api":
        return flask_babel.force_locale(api_locale())
    return nullcontext()


def say(message: str, **params) -> str:
    """`message` (an English msgid, marked with N_ where it is written) translated now for the current request,
    with `params` filled in; plain English outside a request (CLI, services called from tests)."""
    if not has_request_context():
        return message % params if params else message
    with _in_locale():
        return flask_babel.gettext(message, **params)


def _more(items: str, rest: int) -> str:
    if not has_request_context():
        return f"{items} and {rest} more"
    with _in_locale():
        return flask_babel.ngettext("%(items)s and %(num)d more", "%(items)s and %(num)d more", rest, items=items)


def listing(values: Iterable, limit: int = LIST_LIMIT) -> str:
    """ "A, B, C, D, E and 39995 more": the first `limit` values (each shortened), then how many are left out."""
    values = list(values)
    shown = ", ".join(shorten(v) for v in values[:limit])
    rest = len(values) - limit
    return _more(shown, rest) if rest > 0 else shown
