"""Reusable field types: each rule is checked by pydantic AND stated in the document.

pydantic parses every request with these types and the OpenAPI document is generated from them, so what the
server refuses is exactly what the document says it refuses (schemathesis checks both directions).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, StringConstraints
from pydantic_core import PydanticCustomError

from certification.accounts.passwords import MAX_LENGTH as MAX_PASSWORD
from certification.accounts.passwords import MIN_LENGTH as MIN_PASSWORD
from certification.validation import (
    CONTROL_CHARACTERS,
    DATE_MAX,
    DATE_MIN,
    LINE_CONTROL_CHARACTERS,
    MAX_ID,
    date_in_window,
    has_control_characters,
)

# What str.strip() removes once control characters are refused: a text of only these is blank.
BLANKS = r" \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"


def _allowed(controls: re.Pattern) -> str:
    """The character class of everything `controls` (a `[...]` class) does not match."""
    return "[^" + controls.pattern[1:-1] + "]"


def _text_pattern(controls: re.Pattern, *, single_line: bool, required: bool) -> str:
    # A lookahead rather than a "[^blanks]" class: generators (schemathesis) satisfy it far more reliably.
    allowed = _allowed(controls)
    if not required:
        return f"^{allowed}*$"
    blanks = BLANKS if single_line else BLANKS + r"\t\n\r"
    return f"^(?![{blanks}]*$){allowed}*$"


@dataclass(frozen=True)
class Documented:
    """JSON Schema keywords a validator enforces in code (so its error can say what is wrong)."""

    keywords: tuple[tuple[str, Any], ...]

    def __get_pydantic_json_schema__(self, core_schema, handler):
        schema = handler(core_schema)
        schema.update(dict(self.keywords))
        return schema


def _checked_text(*, single_line: bool, required: bool):
    def check(value: str) -> str:
        if has_control_characters(value, single_line=single_line):
            raise PydanticCustomError("control_characters", "control characters are not allowed")
        if required and not value.strip():
            raise PydanticCustomError("blank", "this field cannot be blank")
        return value

    return check


def text(max_length: int, *, single_line: bool = False, required: bool = False, min_length: int = 0):
    """A string of at most `max_length` characters without control characters (NUL, ESC, …); a single line
    also refuses tabs and line breaks; a required one must hold more than white space."""
    controls = LINE_CONTROL_CHARACTERS if single_line else CONTROL_CHARACTERS
    pattern = _text_pattern(controls, single_line=single_line, required=required)
    return Annotated[
        str,
        StringConstraints(min_length=min_length or (1 if required else None), max_length=max_length),
        AfterValidator(_checked_text(single_line=single_line, required=required)),
        Documented((("pattern", pattern),)),
    ]


def _integral(value):
    # JSON Schema counts 3.0 as an integer; strict parsing alone would refuse it.
    return int(value) if isinstance(value, float) and value.is_integer() else value


def integer(**constraints):
    """An integer in JSON terms (3.0 included); constraints before the validator so the schema shows them."""
    return Annotated[int, Field(**constraints), BeforeValidator(_integral)]


# A calendar date written YYYY-MM-DD inside [DATE_MIN, DATE_MAX] (2000-01-01 … 2099-12-31), leap days included.
DAY = (r"(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])"  # 31-day months
       r"|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)"  # 30-day months
       r"|02-(?:0[1-9]|1[0-9]|2[0-8]))")  # fmt: skip


LEAP_YEAR = r"20(?:0[048]|[2468][048]|[13579][26])"  # 2000 included (divisible by 400)


DATE_PATTERN = rf"^(?:20[0-9]{{2}}-{DAY}|{LEAP_YEAR}-02-29)$"


_DATE_TEXT = re.compile(DATE_PATTERN)


if (date(2000, 1, 1), date(2099, 12, 31)) != (DATE_MIN, DATE_MAX):
    raise RuntimeError("DATE_PATTERN spells the window 2000-01-01 … 2099-12-31: change both together")


def _date_text(value):
    # Only the plain YYYY-MM-DD form: no time, no sign, no year 0001 or 9999.
    if isinstance(value, str) and not _DATE_TEXT.fullmatch(value):
        raise PydanticCustomError("date_window", "give a date from {min} to {max} as YYYY-MM-DD",
                                  {"min": DATE_MIN.isoformat(), "max": DATE_MAX.isoformat()})  # fmt: skip
    return date.fromisoformat(value) if isinstance(value, str) else value


def _date_window(value: date) -> date:
    if not date_in_window(value):
        raise PydanticCustomError("date_window", "give a date from {min} to {max} as YYYY-MM-DD",
                                  {"min": DATE_MIN.isoformat(), "max": DATE_MAX.isoformat()})  # fmt: skip
    return value


Int = integer()


Id = integer(ge=1, le=MAX_ID)  # ids are 32-bit database integers: larger numbers can only be unknown ids


DateInWindow = Annotated[
    date,
    BeforeValidator(_date_text),
    AfterValidator(_date_window),
    Documented((("pattern", DATE_PATTERN),
                ("description", f"YYYY-MM-DD from {DATE_MIN.isoformat()} to {DATE_MAX.isoformat()}"))),
]  # fmt: skip


MAX_TEXT = 5000  # the longest explanation, comment, reason or note the services keep


MAX_NAME = 200  # names of people, organisations and rounds (their columns)


Text = text(MAX_TEXT)


Note = text(MAX_TEXT, required=True)  # an explanation, comment, reason or justification that must be given


Line = text(500, single_line=True)


Name = text(MAX_NAME, single_line=True, required=True)


INDICATOR_CODE = r"[A-Za-z0-9._-]{1,30}"  # indicator codes of every standard (their column holds 30)


Code = Annotated[str, StringConstraints(max_length=30, pattern=rf"^{INDICATOR_CODE}$")]


CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{2}$")]


LanguageCode = Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{2,3}$")]


# What the services accept once stripped: one @, a dot after it, no white space (nor control characters).
_IN_EMAIL = r"[^@\x00-\x20\x7f]"


EMAIL_PATTERN = rf"^(?!.*[{BLANKS}]){_IN_EMAIL}+@{_IN_EMAIL}+\.{_IN_EMAIL}+$"


def _email(value: str) -> str:
    if not re.fullmatch(EMAIL_PATTERN, value):
        raise PydanticCustomError("email", "give a valid e-mail address")
    return value


Email = Annotated[
    str, StringConstraints(max_length=254), AfterValidator(_email), Documented((("pattern", EMAIL_PATTERN),))
]


Password = text(MAX_PASSWORD, single_line=True, min_length=MIN_PASSWORD)
