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
