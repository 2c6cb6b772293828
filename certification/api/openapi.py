"""Declaring an API operation once: its route, who may call it, its body, its answers — and from that the
OpenAPI 3.1 document (spectree + pydantic), the bearer-token check and the parsing of the request.

A view declared with `@operation(...)` receives `user` (unless public) and the parsed `body`, `form` or
`query` models, and returns an instance of its declared answer model (or None for 204, or a Response for a
file). It never sees a request it would have to validate by hand, and the document cannot describe a body
or an answer the code does not use.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import Blueprint, Response, current_app, request
from flask_babel import force_locale
from pydantic import BaseModel, ValidationError
from spectree import Response as Answers
from spectree import SecurityScheme, SecuritySchemeData, SpecTree

from certification.api import auth
from certification.api.errors import ApiError, api_locale, parsing_error
from certification.api.schemas import ERRORS, INDICATOR_CODE
from certification.database import read_without_transaction
from certification.limits import MAX_HEADER_FIELD_BYTES, MAX_HEADER_FIELDS, MAX_URL_BYTES
from certification.validation import DATE_MAX, DATE_MIN, MAX_ID
from workflows.messages import N_

ID = f"int(min=1, max={MAX_ID})"  # a path id: a positive PostgreSQL integer, else the route does not match
# What the views check in a path's string parameters (werkzeug's converters cannot say it to spectree).
PATH_PARAMETERS = {
    "indicator_code": {"pattern": f"^{INDICATOR_CODE}$", "description": "an indicator code of the standard"},
    "code": {"minLength": 1, "maxLength": 64, "description": "the certificate's public verification code"},
}
MAX_JSON_BYTES = 1024 * 1024

api_spec = SpecTree(
    "flask",
    mode="strict",  # only the operations declared here, never the UI's routes
    annotations=False,
    title="Sello API",
    version="1",
    description=(
        "Certification of social-performance seals for microfinance institutions: the whole application "
        "lifecycle over HTTP. Authenticate with POST /api/v1/auth/tokens, then send "
        "`Authorization: Bearer <token>`. Every error answers "
        '`{"error": {"code", "message", "details"}}`. Lists are paginated: `?page=&per_page=` (at most 100) '
        "→ `{items, page, per_page, total}`, ordered by id. Unknown query parameters and body members are ignored. "
        "Texts refuse control characters (NUL, escape; line breaks in one-line fields), dates lie within "
        f"{DATE_MIN.isoformat()} … {DATE_MAX.isoformat()}, ids within 1 … {MAX_ID}. Any request may also get 414 "
        f"`uri_too_long` (URL over {MAX_URL_BYTES} bytes) or 431 `headers_too_large` (over {MAX_HEADER_FIELDS} "
        f"header fields, or one over {MAX_HEADER_FIELD_BYTES} bytes)."
    ),
    naming_strategy=lambda model: model.__name__,
    nested_naming_strategy=lambda _parent, child: child,
    security_schemes=[SecurityScheme(name="bearer", data=SecuritySchemeData(type="http", scheme="bearer"))],
    security={"bearer": []},
    validation_error_model=ERRORS[422],
)


def _parse_json(model: type[BaseModel]) -> BaseModel:
    if request.mimetype != "application/json":
        raise ApiError(400, "bad_request", N_("Send a JSON body with Content-Type: application/json."))
    request.max_content_length = current_app.config.get("API_MAX_JSON_BYTES", MAX_JSON_BYTES)
    return model.model_validate_json(request.get_data(cache=True))


def _parse_form(model: type[BaseModel]) -> BaseModel:
    fields: dict = request.form.to_dict() if request.mimetype == "multipart/form-data" else {}
    fields.update(request.files.to_dict())
    return model.model_validate(fields)


def _parse_query(model: type[BaseModel]) -> BaseModel:
    return model.model_validate(request.args.to_dict())


def _parse(kind: str, model: type[BaseModel]) -> BaseModel:
    parser = {"body": _parse_json, "form": _parse_form, "query": _parse_query}[kind]
    try:
        return parser(model)
    except ValidationError as exc:
        with force_locale(api_locale()):
            raise parsing_error(exc, location=kind) from None


def operation(
    bp: Blueprint,
    method: str,
    rule: str,
    *,
    returns: type[BaseModel] | None = None,
    status: int = 200,
    body: type[BaseModel] | None = None,
    form: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    errors: tuple[int, ...] = (),
    public: bool = False,
    browser: bool = False,
    tag: str,
) -> Callable:
    """Register `view` on `bp` and in the OpenAPI document with every answer it may give.

    Besides `errors`, the document lists 401 for non-public operations and 400/413/422 for those with input.
    `browser`: the signed-in web session may call it too (the offline scoring screen), with its CSRF token.
    """
    codes = set(errors)
    if not public:
        codes.add(401)
    if body or form:
        codes |= {400, 413, 422}
    if query:
        codes |= {400, 422}

    def decorate(view: Callable) -> Callable:
        success = f"HTTP_{status}"
        answers = Answers(*([] if returns else [success]), **({success: returns} if returns else {}),
                          **{f"HTTP_{code}": ERRORS[code] for code in sorted(codes)})  # fmt: skip
        # spectree adds its validation-error model under this status unless one is declared there already.
        modelled = [c for c in (422, 401, 404) if c in codes] or [status]
        documented = api_spec.validate(
            json=body, form=form, query=query, resp=answers, tags=[tag], security={} if public else None,
            operation_id=view.__name__, skip_validation=True, validation_error_status=modelled[0],
        )(view)  # fmt: skip

        @wraps(documented)  # the document is built from `documented`, found through __wrapped__
        def endpoint(**path):
            kwargs = dict(path)
            if method == "GET":
                read_without_transaction()
            if not public:
                kwargs["user"] = auth.authenticated_user(browser=browser)
            for kind, model in (("body", body), ("form", form), ("query", query)):
                if model is not None:
                    kwargs[kind] = _parse(kind, model)
            with force_locale(api_locale()):  # messages and titles in the caller's language
                result = view(**kwargs)
            if isinstance(result, Response):
                return result
            if returns is None:
                return Response(status=status)
            if not isinstance(result, returns):  # the answer must be what the document says
                raise TypeError(f"{view.__name__} returned {type(result).__name__}, not {returns.__name__}")
            # pydantic writes the JSON itself (in Rust), in the model's field order: no dict in between
            return Response(result.model_dump_json() + "\n", status=status, mimetype="application/json")

        bp.add_url_rule(rule, view.__name__, endpoint, methods=[method])
        return endpoint

    return decorate


def document() -> dict:
    """The OpenAPI 3.1 document of every declared operation (needs an app context)."""
    spec = api_spec.spec
    for item in spec["paths"].values():
        for operation in item.values():
            for parameter in operation.get("parameters", ()):
                if parameter["in"] == "path" and parameter["name"] in PATH_PARAMETERS:
                    parameter["schema"].update(PATH_PARAMETERS[parameter["name"]])
    return spec
