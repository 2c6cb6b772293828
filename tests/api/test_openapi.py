"""GET /api/v1/openapi.json: a valid OpenAPI 3.1 document of exactly the routes the app serves, and the API
answers what it says when fuzzed from it (schemathesis, through the WSGI app)."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.definitions import OPENAPI_31_VALIDATOR

from certification.accounts import throttle
from tests import factories as f
from tests.api.helpers import PREFIX, Api, token_for

METHODS = {"get", "post", "put", "delete", "patch"}
# Every phase (examples, coverage, fuzzing) with positive and negative data, every check, a fixed seed and a
# bounded number of examples per operation. One departure from schemathesis' defaults, about what the document
# does not promise: unknown query parameters are ignored (as its description says), so they are not generated.
CONFIG = SchemathesisConfig.from_dict({
    "seed": 20261129,
    "generation": {"allow-extra-parameters": False, "mode": "all", "deterministic": True},
    "phases": {"examples": {"enabled": True}, "coverage": {"enabled": True}, "fuzzing": {"enabled": True}},
    # schemathesis' own list plus 422, which valid_input_breaks_only_business_rules below judges field by field
    # (a 5xx is not_a_server_error's failure either way).
    "checks": {"positive_data_acceptance": {"expected-statuses": ["2xx", "3xx", "401", "403", "404", "409", "422",
                                                                  "429"]}},
})  # fmt: skip
MAX_EXAMPLES = 10

# Schema-valid input that may still break a rule no schema can state: an id or code that names nothing, a date
# relative to today or to another field, a rating on the indicator's own scale, a password on the list of
# common ones. Those are the only fields a 422 may name for valid input; any other 422 means the document is
# looser than the server (as `{"capacity": 0}` once was).
BUSINESS_RULES = {
    ("POST", "/users"): {"organization_id", "password"},
    ("POST", "/users/{user_id}/affiliations"): {"organization_id", "until"},
    ("POST", "/applications"): {"standard_id"},
    ("PUT", "/applications/{application_id}/self-assessment/{indicator_code}"): {"indicator", "rating"},
    ("POST", "/applications/{application_id}/evidence"): {"indicators", "file"},
    ("POST", "/applications/{application_id}/events"): {"indicators", "reason"},
    ("PUT", "/applications/{application_id}/moderation/{indicator_code}"): {"indicator", "score"},
    ("POST", "/applications/{application_id}/assignments"): {"reviewer_id", "due_on"},
    ("PUT", "/assignments/{assignment_id}/scores/{indicator_code}"): {"indicator", "score", "evidence_ids"},
    ("POST", "/offline/assignments/{assignment_id}/changes"): {"indicator", "score", "evidence_ids", "key"},
    ("POST", "/pilot-rounds"): {"closes_on"},
    ("POST", "/pilot-rounds/{round_id}/applications"): {"application_id"},
}


def valid_input_breaks_only_business_rules(ctx, response, case):
    """A 422 to schema-valid input names only fields whose rule the document cannot state (BUSINESS_RULES)."""
    if case.meta is None or not case.meta.generation.mode.is_positive or response.status_code != 422:
        return None
    fields = set(response.json()["error"]["details"].get("fields", {}))
    allowed = BUSINESS_RULES.get((case.method.upper(), case.path.removeprefix(PREFIX)), set())
    if not fields <= allowed:
        raise AssertionError(
            f"{case.method} {case.path}: the document allows what the server refuses in {sorted(fields - allowed)}: "
            f"{response.text}"
        )
    return None


@pytest.fixture
def document(app, client):
    response = Api(client).get("/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    return response.get_json()


def test_the_document_is_valid_openapi_3_1(document):
    assert document["openapi"].startswith("3.1")
    OPENAPI_31_VALIDATOR.validate(document)


def test_the_document_describes_exactly_the_api_routes_of_the_app(app, document):
    served = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(PREFIX + "/"):
            path = rule.rule
            for argument in rule.arguments:
                path = path.replace(f"<{rule._converters[argument].__class__.__name__}:{argument}>", f"{{{argument}}}")
            served |= {(method.lower(), path) for method in rule.methods - {"HEAD", "OPTIONS"}}
    documented = {(method, path) for path, item in document["paths"].items() for method in item if method in METHODS}
    assert {p for _m, p in documented} == {p for _m, p in documented if "<" not in p}
    assert len(documented) == len(served) == 41
    assert {m for m, _p in documented} == {m for m, _p in served}


def test_every_operation_documents_its_errors_in_the_contracts_body(document):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            public = operation.get("security") == []
            assert public or "401" in responses, (method, path)
            if "requestBody" in operation:
                assert {"400", "413", "422"} <= set(responses), (method, path)
            if "{" in path:
                assert "404" in responses or path.endswith("/auto-assign"), (method, path)
            for status, answer in responses.items():
                if status.startswith(("4", "5")):
                    schema = answer["content"]["application/json"]["schema"]["$ref"]
                    assert schema == f"#/components/schemas/Error{status}", (method, path, status)


def test_public_operations_need_no_token_and_the_others_a_bearer_token(document):
    public = {(m, p) for p, item in document["paths"].items() for m, op in item.items() if op.get("security") == []}
    assert public == {("post", f"{PREFIX}/auth/tokens"), ("get", f"{PREFIX}/registry"),
                      ("get", f"{PREFIX}/certificates/{{code}}"), ("get", f"{PREFIX}/certificates/{{code}}/pdf"),
                      ("get", f"{PREFIX}/openapi.json")}  # fmt: skip
    assert document["security"] == [{"bearer": []}]
    assert document["components"]["securitySchemes"]["bearer"] == {"type": "http", "scheme": "bearer"}


# --- fuzzing --------------------------------------------------------------------------------------------------


@pytest.fixture
def api_schema(app, client, monkeypatch):
    f.fast_password_hashing(monkeypatch)
    throttle.reset(app)
    yield schemathesis.openapi.from_wsgi(PREFIX + "/openapi.json", app, config=CONFIG)
    throttle.reset(app)


@pytest.fixture
def admin_token(app, client):
    return token_for(client, f.user("admin"))


# DELETE /auth/tokens/current would revoke the fuzzer's own token (test_tokens covers it).
fuzzed = schemathesis.pytest.from_fixture("api_schema").exclude(method="DELETE", path=f"{PREFIX}/auth/tokens/current")


@fuzzed.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_the_api_answers_as_its_document_says(case, admin_token):
    """No 5xx, and no status, header or body that contradicts the document, for valid and invalid input: valid
    input is accepted (or refused only by a business rule), invalid input is refused."""
    case.call_and_validate(headers={"Authorization": f"Bearer {admin_token}"},
                           additional_checks=[valid_input_breaks_only_business_rules])  # fmt: skip
    assert case.operation.path != f"{PREFIX}/auth/tokens/current"
