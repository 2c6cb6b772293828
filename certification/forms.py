"""The base of every web form: what no field of any form may hold, checked once for all of them.

`FlaskForm` here replaces Flask-WTF's in every forms module, so that each field of each form, present and
future, refuses the same bad input with an inline field error before anything reaches a service or the
database, and SQLite and PostgreSQL never see it:

- control characters (NUL, escape, …) in any text; single-line fields refuse tabs and line breaks too;
- an id (an IntegerField named `…_id`) outside 1..MAX_ID;
- a date outside [DATE_MIN, DATE_MAX].

The error messages WTForms writes may repeat the input (an invalid choice names the values): they are cut to
a bounded length, since they end up in a flash message.
"""

from __future__ import annotations

import flask_wtf
from flask_babel import lazy_gettext as _l
from wtforms import DateField, IntegerField, TextAreaField

from certification.echo import shorten
from certification.validation import (
    CONTROL_CHARACTERS,
    DATE_OUT_OF_WINDOW,
    LINE_CONTROL_CHARACTERS,
    MAX_ID,
    date_in_window,
    has_control_characters,
)

HAS_CONTROL_CHARACTERS = _l("Remove the control characters (such as NUL) from this field.")
UNKNOWN_ID = _l("Choose one of the listed items.")
ERROR_LIMIT = 200


def field_problem(field):
    """The one error a field's value gets from the shared bounds, or None."""
    single_line = not isinstance(field, TextAreaField)
    for raw in field.raw_data or ():
        if isinstance(raw, str) and has_control_characters(raw, single_line=single_line):
            return HAS_CONTROL_CHARACTERS
    is_id = isinstance(field, IntegerField) and field.name.endswith("_id")
    if is_id and field.data is not None and not 1 <= field.data <= MAX_ID:
        return UNKNOWN_ID
    if isinstance(field, DateField) and field.data is not None and not date_in_window(field.data):
        return _l(DATE_OUT_OF_WINDOW)
    return None


class FlaskForm(flask_wtf.FlaskForm):
    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for field in self:
            problem = field_problem(field)
            if problem is not None:
                field.errors = [problem]  # instead of messages that would repeat the bad value
                if problem is HAS_CONTROL_CHARACTERS and isinstance(field.data, str):
                    # the form shown again holds what the person typed, without what they could not have
                    pattern = CONTROL_CHARACTERS if isinstance(field, TextAreaField) else LINE_CONTROL_CHARACTERS
                    field.data = pattern.sub("", field.data)
                valid = False
            elif field.errors:
                field.errors = [shorten(message, ERROR_LIMIT) for message in field.errors]
        self._errors = None  # `form.errors` is cached: rebuild it from the fields
        return valid
