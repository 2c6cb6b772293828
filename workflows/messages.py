"""Messages the workflows return. They are English msgids marked for extraction and translated by the caller."""

from __future__ import annotations

from dataclasses import dataclass, field


def N_(message: str) -> str:  # noqa: N802 - the gettext convention for "mark, translate later"
    return message


@dataclass(frozen=True)
class Unmet:
    """One unmet guard: a machine code, an English msgid and its parameters."""

    code: str
    message: str
    params: dict = field(default_factory=dict)

    def render(self, gettext=None) -> str:
        text = gettext(self.message) if gettext else self.message
        return text % self.params if self.params else text


class Message(str):
    """A user-facing message with named parameters, translated where it is shown.

    Its str value is the English text with the parameters filled in (logs, tests, the default locale);
    `render(gettext)` translates the msgid first, then fills the parameters. Build one as
    `Message(N_("Choose a whole number from %(min)d to %(max)d."), min=1, max=5)` — never by f-string.
    """

    msgid: str
    params: dict

    def __new__(cls, msgid: str, **params):
        self = super().__new__(cls, msgid % params if params else msgid)
        self.msgid, self.params = msgid, params
        return self

    def render(self, gettext) -> str:
        text = gettext(self.msgid)
        return text % self.params if self.params else text


def translate(message: str, gettext) -> str:
    """A message in the current language: a `Message` with its parameters, any other str as a msgid."""
    if isinstance(message, Message):
        return message.render(gettext)
    return gettext(message)
