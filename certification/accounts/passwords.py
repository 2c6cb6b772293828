"""The one password rule of the UI, the API and the command line: long enough, hard to guess, not about you.

Guessability is zxcvbn's estimate (common-password lists, dictionary words, names, keyboard patterns,
repeats, sequences, dates and l33t substitutions); the person's e-mail and name count as known words.
"""

from __future__ import annotations

import re
import unicodedata

from flask import current_app, has_app_context
from zxcvbn import zxcvbn

from workflows.messages import N_

MIN_LENGTH = 12
MAX_LENGTH = 256
DEFAULT_MIN_SCORE = 3
# zxcvbn's cost grows with the length; past this many characters a password is long enough to judge by its start.
_ESTIMATED_CHARS = 64
_PART = re.compile(r"[^\W_]{4,}")  # name or e-mail parts worth refusing: words of 4+ letters or digits

TOO_SHORT_OR_LONG = N_("Use 12 to 256 characters.")
TOO_GUESSABLE = N_(
    "This password is too easy to guess. Use a few uncommon words, or a longer mix of letters, digits and symbols."
)
ABOUT_YOU = N_("Do not use your e-mail address or your name in the password.")
# What zxcvbn found, in its own pattern names, and how we say it.
PATTERN_REASONS = {
    "passwords": N_("It is one of the most common passwords, or close to one."),
    "dictionary": N_("Single common words and names are easy to guess."),
    "repeat": N_("Repeated characters or words (like “aaa” or “abcabc”) are easy to guess."),
    "sequence": N_("Sequences (like “abcd” or “6543”) are easy to guess."),
    "spatial": N_("Keyboard patterns (like “qwerty” or “asdf”) are easy to guess."),
    "date": N_("Dates and years are easy to guess."),
}


def _folded(text: str) -> str:
    """Lower case without accents, so "Lucía" and "lucia" are the same word."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def _personal_words(email: str | None, name: str | None) -> list[str]:
    local = _folded((email or "").partition("@")[0])
    words = set(_PART.findall(local)) | set(_PART.findall(_folded(name or "")))
    if len(local) >= 3:
        words.add(local)
    return sorted(words)


def _min_score() -> int:
    return int(current_app.config.get("PASSWORD_MIN_SCORE", DEFAULT_MIN_SCORE)) if has_app_context() else 3


def password_problems(password: object, *, email: str | None = None, name: str | None = None) -> list[str]:
    """Why `password` is refused for the person with this e-mail and name; empty when it is acceptable.

    The reasons are msgids (marked with N_): the caller shows them in the reader's language.
    """
    if not isinstance(password, str) or not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        return [TOO_SHORT_OR_LONG]
    problems: list[str] = []
    personal = _personal_words(email, name)
    folded = _folded(password)
    if any(word in folded for word in personal):
        problems.append(ABOUT_YOU)
    result = zxcvbn(password[:_ESTIMATED_CHARS], user_inputs=personal)
    if result["score"] < _min_score():
        problems.append(TOO_GUESSABLE)
        for match in result["sequence"]:
            pattern = match.get("pattern")
            if pattern == "dictionary":
                source = match.get("dictionary_name")
                key = source if source in ("passwords", "user_inputs") else "dictionary"
            else:
                key = pattern
            reason = ABOUT_YOU if key == "user_inputs" else PATTERN_REASONS.get(key)
            if reason and reason not in problems:
                problems.append(reason)
    return problems
