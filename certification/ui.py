"""The UI's one place that turns domain errors into answers: 404/403 pages or a flash and a redirect."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext

from certification.echo import listing
from certification.errors import (
    DomainError,
    Forbidden,
    GuardFailed,
    InvalidTransition,
    NotFound,
    ValidationFailed,
)
from certification.redirects import same_origin_referrer
from certification.validation import LINE_CONTROL_CHARACTERS, has_control_characters
from workflows.messages import Unmet, translate


def messages_of(exc: DomainError) -> list[str]:
    """Human messages for a domain error, in the user's language where the catalog has them."""
    if isinstance(exc, GuardFailed):
        return [u.render(gettext) for u in exc.unmet]
    if isinstance(exc, InvalidTransition):
        return [gettext("This action is not possible in the current state (%(state)s).", state=gettext(exc.state))]
    if isinstance(exc, ValidationFailed):
        return [gettext("%(field)s: %(message)s", field=gettext(k), message=translate(m, gettext))
                for k, ms in exc.fields.items() for m in ms]  # fmt: skip
    rule = getattr(exc, "rule", None)
    if isinstance(rule, Unmet):  # a refusal naming its rule (reviewers.policies): word parameters translated too
        params = {k: gettext(v) if isinstance(v, str) else v for k, v in rule.params.items()}
        return [gettext(rule.message) % params if params else gettext(rule.message)]
    text = getattr(exc, "message", None) or str(exc)
    return [translate(text, gettext)]


def safe_back(default: str) -> str:
    """Where to go back to: the referring page of this site, else `default`."""
    return same_origin_referrer(request.referrer, request.host, default)


def fields_with_control_characters() -> list[str]:
    """The names of the posted fields whose value holds a control character (line breaks and tabs allowed)."""
    return list(dict.fromkeys(
        # the names are the client's too: shown without their own control characters
        LINE_CONTROL_CHARACTERS.sub("?", name) for name, value in request.form.items(multi=True)
        if has_control_characters(value)
    ))  # fmt: skip


def flash_form_errors(form) -> None:
    """A form's field errors as flashed messages, for a form posted from a page that redirects back."""
    for field, errors in form.errors.items():
        label = getattr(form, field).label.text if hasattr(form, field) else field
        flash(gettext("%(field)s: %(message)s", field=label, message=" ".join(map(str, errors))), "error")


def answer_refusal(exc: DomainError, answer):
    """The page's answer to a refused service call: 404 for what this person may not know exists, 403 (with
    the reason) for what they may not do; any other refusal is flashed and `answer()` is returned (a redirect
    back, or the form again with its status)."""
    if isinstance(exc, NotFound):
        abort(404)
    if isinstance(exc, Forbidden):
        abort(403, description=translate(exc.message, gettext))
    for message in messages_of(exc):
        flash(message, "error")
    return answer()


def run(action, *, success: str | None = None, back: str | None = None, then=None):
    """Run a service call for a form POST: flash the outcome and redirect (303)."""
    back = back or safe_back(url_for("main.dashboard"))
    refused = fields_with_control_characters()
    if refused:
        # The forms' own check (certification.forms) names the field inline; this catches the fields a view
        # reads from request.form directly, so that no text with a NUL reaches a service on any database.
        flash(gettext("Remove the control characters (such as NUL) from: %(fields)s.", fields=listing(refused)),
              "error")  # fmt: skip
        return redirect(back, code=303)
    try:
        result = action()
    except DomainError as exc:
        return answer_refusal(exc, lambda: redirect(back, code=303))
    if success:
        flash(success, "success")
    return redirect(then(result) if then else back, code=303)


def page_arg() -> int:
    value = request.args.get("page", "1")
    return int(value) if value.isdigit() and 0 < int(value) < 100000 else 1
