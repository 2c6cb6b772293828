"""The API's one place that turns errors into answers: `{"error": {"code", "message", "details"}}`.

Domain errors (certification/errors.py), HTTP errors (unknown path, wrong method, body too large, rate
limit) and request-parsing errors all end here, with the caller's language for the message.
"""

from __future__ import annotations

from functools import wraps

from flask import Blueprint, Flask, current_app, g, jsonify, request
from flask_babel import force_locale, gettext
from pydantic import ValidationError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.exceptions import NotFound as NoSuchPath
from werkzeug.routing import RequestRedirect, RoutingException

from certification.errors import (
    DomainError,
    Forbidden,
    GuardFailed,
    InvalidTransition,
    NotFound,
    StateConflict,
    TooLarge,
    UnsupportedType,
    ValidationFailed,
)
from certification.extensions import db
from certification.validation import DATE_OUT_OF_WINDOW
from config.settings import LANGUAGES
from workflows.messages import N_, Unmet, translate

PREFIX = "/api/v1"

# The 409 codes of the contract; a bare StateConflict (no more precise class) answers the most general one.
CONFLICT_CODES = frozenset(
    {"invalid_transition", "guard_failed", "conflict_of_interest", "reviewer_unavailable", "duplicate",
     "capacity_full", "not_editable", "concurrent_update"}
)  # fmt: skip

HTTP_CODES = {
    400: ("bad_request", N_("The request is malformed.")),
    401: ("unauthorized", N_("Authentication is required: send a valid token as Authorization: Bearer <token>.")),
    403: ("forbidden", N_("You may not do this.")),
    404: ("not_found", N_("Not found.")),
    405: ("method_not_allowed", N_("This method is not allowed here.")),
    413: ("too_large", N_("The request body is over the limit.")),
    414: ("uri_too_long", N_("The URL is too long.")),
    415: ("unsupported_type", N_("This content type is not supported.")),
    429: ("rate_limited", N_("Too many attempts; try again later.")),
    431: ("headers_too_large", N_("The request has too many headers, or one that is too large.")),
}

# pydantic error types that mean "wrong type / not JSON" (400); every other one is a value problem (422).
TYPE_ERRORS = frozenset({"json_invalid", "json_type", "model_type", "model_attributes_type", "dict_type",
                         "list_type", "int_type", "int_parsing", "int_from_float", "float_type", "float_parsing",
                         "string_type", "bool_type", "bool_parsing", "date_type", "none_required"})  # fmt: skip

FIELD_MESSAGES = {
    "missing": N_("This field is required."),
    "int_type": N_("Give a whole number."),
    "int_parsing": N_("Give a whole number."),
    "int_from_float": N_("Give a whole number."),
    "float_type": N_("Give a number."),
    "float_parsing": N_("Give a number."),
    "finite_number": N_("Give a number."),
    "string_type": N_("Give a text."),
    "bool_type": N_("Give true or false."),
    "bool_parsing": N_("Give true or false."),
    "list_type": N_("Give a list."),
    "date_type": N_("Give a date as YYYY-MM-DD."),
    "date_parsing": N_("Give a date as YYYY-MM-DD."),
    "date_from_datetime_parsing": N_("Give a date as YYYY-MM-DD."),
    "date_from_datetime_inexact": N_("Give a date as YYYY-MM-DD."),
    "string_pattern_mismatch": N_("This value has characters or a form that is not allowed."),
    "string_too_short": N_("This value is too short."),
    "string_too_long": N_("This value is too long."),
    "too_long": N_("Too many items."),
    "greater_than_equal": N_("This number is too small."),
    "greater_than": N_("This number is too small."),
    "less_than_equal": N_("This number is too large."),
    "less_than": N_("This number is too large."),
    "enum": N_("Unknown value; choose one of: %(choices)s."),
    "literal_error": N_("Unknown value; choose one of: %(choices)s."),
    "json_invalid": N_("The body is not valid JSON."),
    "model_type": N_("The body must be a JSON object."),
    "model_attributes_type": N_("The body must be a JSON object."),
    "dict_type": N_("Give a JSON object."),
    "control_characters": N_("Control characters such as NUL, or line breaks in a one-line field, are not allowed."),
    "blank": N_("This field cannot be blank."),
    "email": N_("Give a valid e-mail address."),
    "organization_required": N_("An applicant belongs to an organisation."),
    "organization_refused": N_("Only applicants belong to an organisation."),
    "date_window": DATE_OUT_OF_WINDOW,
    "conflict_not_declared": N_("Declare that you have no conflict of interest to accept."),
}


class ApiError(Exception):
    """An answer decided by the API layer itself (bad credentials, unparsable request)."""

    def __init__(self, status: int, code: str, message: str, details: dict | None = None, headers=None,
                 params: dict | None = None):  # fmt: skip
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.details = details or {}
        self.headers = headers or {}
        self.params = params  # placeholders of the message, filled in after translation


def unauthorized(message: str = HTTP_CODES[401][1], error: str = "invalid_token") -> ApiError:
    header = 'Bearer realm="sello"' + (f', error="{error}"' if error else "")
    return ApiError(401, "unauthorized", message, headers={"WWW-Authenticate": header})


def too_many_attempts(blocked) -> ApiError:
    """429 from the login limits, saying when to try again (the same for known and unknown accounts)."""
    message = N_("Too many failed attempts; try again in %(minutes)s minutes.")
    return ApiError(429, "rate_limited", message, {"retry_after": blocked.retry_after},
                    headers={"Retry-After": str(blocked.retry_after)}, params={"minutes": blocked.minutes})  # fmt: skip


def api_locale() -> str:
    """The language of messages: ?lang=, else the token holder's, else Accept-Language, else the default."""
    wanted = request.args.get("lang")
    if wanted in LANGUAGES:
        return wanted
    user = g.get("api_user")
    if user is not None and user.locale in LANGUAGES:
        return user.locale
    return request.accept_languages.best_match(LANGUAGES) or current_app.config.get("BABEL_DEFAULT_LOCALE", "es")


def error_response(status: int, code: str, message: str, details: dict | None = None, headers=None):
    """The one body of every API error."""
    response = jsonify({"error": {"code": code, "message": message, "details": details or {}}})
    response.status_code = status
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def _render(message: str, params: dict | None = None) -> str:
    text = gettext(message)
    return text % params if params else text


def _rule_message(unmet: Unmet) -> str:
    params = {k: gettext(v) if isinstance(v, str) else v for k, v in unmet.params.items()}
    return _render(unmet.message, params)


def _discarding_the_unit_of_work(handler):
    """Whatever the failed unit of work left in the session is dropped first (the caller's locale is read
    from the database afterwards, which a session left in a failed flush would refuse)."""

    @wraps(handler)
    def handle(exc):
        db.session.rollback()
        return handler(exc)

    return handle


@_discarding_the_unit_of_work
def domain_error(exc: DomainError):
    """NotFound 404, Forbidden 403, ValidationFailed 422, TooLarge 413, UnsupportedType 415, state 409."""
    with force_locale(api_locale()):
        if isinstance(exc, NotFound):
            return error_response(404, "not_found", gettext(HTTP_CODES[404][1]))
        if isinstance(exc, Forbidden):
            return error_response(403, "forbidden", translate(exc.message, gettext))
        if isinstance(exc, ValidationFailed):
            fields = {name: [translate(m, gettext) for m in messages] for name, messages in exc.fields.items()}
            message = "; ".join(f"{name}: {' '.join(ms)}" for name, ms in fields.items())
            return error_response(422, "validation_error", message, {"fields": fields})
        if isinstance(exc, InvalidTransition):
            message = _render(N_("'%(event)s' is not possible in the current state (%(state)s)."),
                              {"event": exc.event, "state": exc.state})  # fmt: skip
            return error_response(409, "invalid_transition", message,
                                  {"state": exc.state, "allowed_events": list(exc.allowed)})  # fmt: skip
        if isinstance(exc, GuardFailed):
            unmet = [_rule_message(u) for u in exc.unmet]
            return error_response(409, "guard_failed", " ".join(unmet), {"unmet": unmet})
        if isinstance(exc, TooLarge | UnsupportedType):
            status = 413 if isinstance(exc, TooLarge) else 415
            return error_response(status, exc.code, translate(exc.message, gettext))
        if isinstance(exc, StateConflict):
            rule = getattr(exc, "rule", None)
            message = _rule_message(rule) if isinstance(rule, Unmet) else translate(exc.message, gettext)
            details = {"rule": rule.code} if isinstance(rule, Unmet) else {}
            code = exc.code if exc.code in CONFLICT_CODES else "not_editable"
            return error_response(409, code, message, details)
        return error_response(409, "not_editable", translate(str(exc), gettext))


@_discarding_the_unit_of_work
def api_error(exc: ApiError):
    with force_locale(api_locale()):
        return error_response(exc.status, exc.code, _render(exc.message, exc.params), exc.details, exc.headers)


@_discarding_the_unit_of_work
def http_error(exc: HTTPException):
    """Werkzeug's errors (404, 405, 413, …) in the API's body."""
    status = exc.code or 500
    code, message = HTTP_CODES.get(status, ("internal_error" if status >= 500 else "bad_request", ""))
    headers = {}
    if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
        headers["Allow"] = ", ".join(exc.valid_methods)
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="sello"'
    with force_locale(api_locale()):
        text = gettext(message) if message else (exc.description or exc.name)
        return error_response(status, code, text, headers=headers)


@_discarding_the_unit_of_work
def stale_error(exc: StaleDataError):
    with force_locale(api_locale()):
        message = gettext(N_("Someone else changed this at the same time; reload it and try again."))
        return error_response(409, "concurrent_update", message)


def parsing_error(exc: ValidationError, *, location: str = "body") -> ApiError:
    """A pydantic error as 400 (not JSON, wrong types) or 422 (missing, out of range, unknown value)."""
    fields: dict[str, list[str]] = {}
    status = 422
    for error in exc.errors(include_url=False):
        kind = error["type"]
        if kind in TYPE_ERRORS:
            status = 400
        name = ".".join(str(part) for part in error["loc"]) or location
        template = FIELD_MESSAGES.get(kind)
        if template is None:
            text = error["msg"]
        else:
            context = error.get("ctx") or {}
            params = {"choices": context.get("expected", ""), "min": context.get("min"), "max": context.get("max")}
            text = _render(template, params) if "%(" in template else gettext(template)
        fields.setdefault(name, []).append(text)
    code = "bad_request" if status == 400 else "validation_error"
    message = "; ".join(f"{name}: {' '.join(ms)}" for name, ms in fields.items())
    return ApiError(status, code, message, {"fields": fields})


def is_api_path() -> bool:
    return request.path == PREFIX or request.path.startswith(PREFIX + "/")


def handle_errors(bp: Blueprint) -> None:
    """Every error raised while an API view runs answers in the API's body (done once, at import)."""
    bp.register_error_handler(ApiError, api_error)
    bp.register_error_handler(DomainError, domain_error)
    bp.register_error_handler(HTTPException, http_error)
    bp.register_error_handler(StaleDataError, stale_error)


def register(app: Flask) -> None:
    @app.before_request
    def _api_request_start():
        if not is_api_path():
            return None
        g.api_user = None  # set by the bearer token, per request (the app context may outlive a request)
        # An unknown /api/v1 path or method never reaches the blueprint, so its handlers cannot answer it:
        # the routing error is answered here in the API's body instead of the UI's HTML page.
        exc = request.routing_exception
        if exc is None or isinstance(exc, RequestRedirect):
            return None
        if isinstance(exc, MethodNotAllowed) and not _path_has_other_methods(exc):
            exc = NoSuchPath()  # e.g. /applications/0/evidence: no id 0, whatever the method
        return http_error(exc)


def _path_has_other_methods(exc: MethodNotAllowed) -> bool:
    """Werkzeug answers 405 when a rule for another method matched the path before its converter refused the
    value (an id out of range); only a rule that really matches makes the 405 true."""
    adapter = current_app.url_map.bind_to_environ(request.environ)
    for method in set(exc.valid_methods or ()) - {"OPTIONS", "HEAD"}:
        try:
            adapter.match(method=method)
        except (HTTPException, RoutingException):
            continue
        return True
    return False
