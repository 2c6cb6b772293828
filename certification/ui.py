"""The UI's one place that turns domain errors into answers: 404/403 pages or a flash and a redirect."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext

from certification.errors import (
    DomainError,
    Forbidden,
    GuardFailed,
    InvalidTransition,
    NotFound,
    TooLarge,
    UnsupportedType,
    ValidationFailed,
)
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
    if isinstance(rule, Unmet):  # a refusal naming its rule (reviews §5): word parameters are translated too
        params = {k: gettext(v) if isinstance(v, str) else v for k, v in rule.params.items()}
        return [gettext(rule.message) % params if params else gettext(rule.message)]
    text = getattr(exc, "message", None) or str(exc)
    return [translate(text, gettext)]


def safe_back(default: str) -> str:
    """Where to go back to: the referring page of this site, else `default`."""
    target = request.referrer or ""
    parts = urlsplit(target)
    if target and parts.netloc == request.host and parts.scheme in ("http", "https"):
        return target
    return default


def run(action, *, success: str | None = None, back: str | None = None, then=None):
    """Run a service call for a form POST: flash the outcome and redirect (303)."""
    back = back or safe_back(url_for("main.dashboard"))
    try:
        result = action()
    except NotFound:
        abort(404)
    except Forbidden as exc:
        abort(403, description=translate(exc.message, gettext))
    except (TooLarge, UnsupportedType) as exc:
        for message in messages_of(exc):
            flash(message, "error")
        return redirect(back, code=303)
    except DomainError as exc:
        for message in messages_of(exc):
            flash(message, "error")
        return redirect(back, code=303)
    if success:
        flash(success, "success")
    return redirect(then(result) if then else back, code=303)


def page_arg() -> int:
    value = request.args.get("page", "1")
    return int(value) if value.isdigit() and 0 < int(value) < 100000 else 1
