"""Every message shown to a person is a catalog msgid with named placeholders, never text built in code.

A message built by f-string, `.format`, `%` or `+` before it reaches gettext can never match a catalog
entry, so it shows in English inside the Spanish or French UI. This reads the code (AST) and fails on any
such message passed to a domain error, to `Message`/`Unmet`, to `flash`, or stored into a form's
`errors[...]` list that becomes a ValidationFailed.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from workflows.messages import Message, translate

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("certification", "workflows", "standards")

MESSAGE_TAKERS = {
    "NotFound", "ValidationFailed", "StateConflict", "NotEditable", "ConcurrentUpdate", "Duplicate",
    "CapacityFull", "ConflictOfInterest", "ReviewerUnavailable", "TooLarge", "UnsupportedType", "Forbidden",
    "GuardFailed", "DomainError", "Unmet", "Message", "flash",
}  # fmt: skip
GETTEXT = {"_", "N_", "gettext", "lazy_gettext", "_l", "ngettext", "Message"}


def _name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _is_text(node: ast.expr) -> bool:
    return (
        isinstance(node, ast.JoinedStr)
        or (isinstance(node, ast.Constant) and isinstance(node.value, str))
        or (isinstance(node, ast.Call) and _name(node.func) in GETTEXT)
    )


def _built(node: ast.expr) -> bool:
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        return True
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Mod):
        return _is_text(node.left) or _is_text(node.right) or _built(node.left) or _built(node.right)
    return False


def _problems_in(node: ast.expr) -> list[ast.expr]:
    """Built messages in a message argument: itself, the items of a list/tuple/dict literal, or the msgid
    given to a gettext marker (its keyword parameters are data and may be computed)."""
    if _built(node):
        return [node]
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        return [p for element in node.elts for p in _problems_in(element)]
    if isinstance(node, ast.Dict):
        return [p for value in node.values for p in _problems_in(value)]
    if isinstance(node, ast.Call) and _name(node.func) in GETTEXT and node.args:
        return _problems_in(node.args[0])
    return []


def _is_errors_item(target: ast.expr) -> bool:
    return isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name) and target.value.id == "errors"


def built_messages(source: str, filename: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Call) and (taker := _name(node.func)) in MESSAGE_TAKERS:
            arguments = [*node.args, *(k.value for k in node.keywords if k.arg not in (None, "category"))]
            if taker in GETTEXT:  # Message: the msgid only
                arguments = node.args[:1]
            for argument in arguments:
                found += [f"{filename}:{p.lineno} {taker}(…{ast.unparse(p)[:60]}…)" for p in _problems_in(argument)]
        elif isinstance(node, ast.Assign) and any(_is_errors_item(t) for t in node.targets):
            found += [f"{filename}:{p.lineno} errors[…] = {ast.unparse(p)[:60]}" for p in _problems_in(node.value)]
    return found


def test_no_message_shown_to_a_person_is_built_in_code():
    found = []
    for folder in SOURCES:
        for path in sorted((ROOT / folder).rglob("*.py")):
            found += built_messages(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    assert not found, "build these with N_/_ and named placeholders (workflows.messages.Message):\n" + "\n".join(found)


@pytest.mark.parametrize(
    "code",
    [
        'raise ValidationFailed({"rating": [f"Choose from {low} to {high}."]})',
        'raise CapacityFull("The round is full (capacity {}).".format(n))',
        'raise Forbidden("Only " + role + " may do this.")',
        'raise NotEditable(N_("Locked since %s.") % day)',
        'flash(f"{label}: {message}", "error")',
        'errors["score"] = [f"At most {MAX} characters."]',
        'raise ValidationFailed({"x": [Message(f"Unknown {code}.")]})',
    ],
)
def test_the_check_catches_each_way_of_building_a_message(code):
    assert built_messages(code, "example.py")


@pytest.mark.parametrize(
    "code",
    [
        'raise ValidationFailed({"rating": [Message(N_("Choose from %(low)d to %(high)d."), low=a, high=b)]})',
        'flash(_("%(field)s: %(message)s", field=label, message=" ".join(errors)), "error")',
        'raise NotFound("standard")',
        'errors["reason"] = [N_("A reason is required.")]',
        'raise GuardFailed("submit", [Unmet("x", N_("Missing: %(codes)s"), {"codes": ", ".join(codes)})])',
    ],
)
def test_the_check_accepts_msgids_with_named_placeholders(code):
    assert built_messages(code, "example.py") == []


def test_a_message_reads_in_english_and_translates_its_msgid_before_filling_it():
    message = Message("Choose a whole number from %(min)d to %(max)d.", min=1, max=5)
    assert message == "Choose a whole number from 1 to 5."
    spanish = {"Choose a whole number from %(min)d to %(max)d.": "Elija un número entero de %(min)d a %(max)d."}
    assert translate(message, lambda text: spanish.get(text, text)) == "Elija un número entero de 1 a 5."
    assert translate("Plain msgid.", lambda text: text.upper()) == "PLAIN MSGID."
