"""Bad input never ends in a 500 and a refused request changes nothing.

Every state-changing route of `app.url_map` (the UI's forms and the JSON API) gets garbage as every role:
missing fields, non-integers, negative ids, ids of nothing, integers too large for the database, huge
strings, NUL and control characters, several values for one field, unknown events and indicator codes, and
ids of nothing in the URL. Unhandled exceptions propagate to the test (PROPAGATE_EXCEPTIONS) instead of
becoming a 500 page, and a WriteWatcher sees any committed write of a refused request.
"""

from __future__ import annotations

import pytest

from certification.extensions import db
from tests import factories as f
from tests.web.helpers import WriteWatcher, fresh_client, is_api, rules, url_of

HUGE = "Ñ" + "x" * 5_500  # over every text limit (5000); a body over 500 kB would only test the test client
TOO_BIG = "99999999999999999999"
WEIRD = "\x00\x1b[2J\u202e<script>alert(1)</script>'; DROP TABLE users; --"

# Every field name the UI's forms read, by the kind of value it expects. Each garbage payload gives every field
# the next bad value of its kind, so that four payloads give each field each bad value of its kind once.
FORM_FIELDS = {
    "id": "application_id organization_id replacement_id reviewer_id standard_id evidence_ids",
    "number": "capacity max_active_assignments rating score",
    "date": "closes_on due_on opens_on since until",
    "text": "budget_note comment description explanation justification name proposed_text reason response "
            "country countries email languages password token digest next",
    "choice": "active area areas conflict event indicators kind lang no_conflict resolution status",
}  # fmt: skip
FORM_GARBAGE = {
    "id": ["abc", "-1", "999999", TOO_BIG],
    "number": ["NaN", TOO_BIG, "-1", "1e309"],
    "date": ["2026-02-30", "abc", "0000-00-00", "99999-01-01"],
    "text": [HUGE, WEIRD, "", "   "],
    "choice": ["abc", "to_certified", WEIRD, ""],
}
API_FIELDS = {
    "id": "application_id organization_id reviewer_id standard_id",
    "number": "capacity max_active_assignments rating score",
    "date": "closes_on due_on opens_on since until",
    "text": "budget_note comment country email explanation justification legal_form name network password "
            "reason description",
    "choice": "kind locale role status event no_conflict conflict",
    "list": "areas countries evidence_ids indicators languages",
}  # fmt: skip
API_GARBAGE = {
    "id": [-1, 2**31, int(TOO_BIG), "1"],
    "number": [1.5e308, -(2**31) - 1, "3", True],
    "date": ["2026-02-30", "abc", 20260101, "0000-00-00"],
    "text": [HUGE * 4, WEIRD, "", 5],
    "choice": ["abc", "to_certified", WEIRD, 1],
    "list": [["NOPE.1", ""], [-1, 2**40], "abc", [None]],
}


def garbage(fields: dict, values: dict, round_: int) -> dict:
    return {name: values[kind][round_ % len(values[kind])] for kind, names in fields.items() for name in names.split()}


FORM_PAYLOADS = {
    "missing fields": {},
    **{f"bad values, round {i + 1}": garbage(FORM_FIELDS, FORM_GARBAGE, i) for i in range(4)},
    "several values per field": {name: ["1", "abc", ""] for names in FORM_FIELDS.values() for name in names.split()},
    "unknown event and indicators": {"event": "to_certified", "reason": "x", "indicators": ["NOPE.1", ""],
                                     "rating": "3", "explanation": "x", "score": "3", "comment": "x"},
}  # fmt: skip
JSON_PAYLOADS = {
    "missing fields": {},
    **{f"bad values, round {i + 1}": garbage(API_FIELDS, API_GARBAGE, i) for i in range(4)},
    "nulls": {name: None for names in API_FIELDS.values() for name in names.split()},
    "not an object": ["submit"],
}
RAW_API_BODIES = {"not JSON": b"{event: submit", "NaN": b'{"score": NaN, "rating": Infinity}'}
URL_VARIANTS = {"an id of nothing": 999999, "an id too large": int(TOO_BIG), "an unknown code": "NOPE.1"}
# Each kind of person gets the whole garbage once, from the first of them who gets past the permission check.
KINDS = {"anonymous": ("anonymous",), "applicant": ("member", "outsider"), "reviewer": ("assigned", "unassigned"),
         "staff": ("facilitator", "admin")}  # fmt: skip
API_GARBAGE_KINDS = ("staff",)
REFUSED_BEFORE_INPUT = (302, 401, 403, 404)


@pytest.fixture(autouse=True)
def _session(app, monkeypatch):
    f.fast_password_hashing(monkeypatch)
    # Raise on 500: an unhandled exception reaches the test instead of the generic error page.
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", True)
    # Garbage credentials would use up the login limits (of the client address) within this test.
    monkeypatch.setitem(app.config, "LOGIN_ACCOUNT_LIMIT", "100000 per minute")
    monkeypatch.setitem(app.config, "LOGIN_CLIENT_LIMIT", "100000 per minute")
    yield
    f.release_session()


class Crash:
    """An unhandled exception, recorded like an answer so that every crash of the run is reported at once."""

    status_code = 500

    def __init__(self, exc: Exception):
        self.exc = exc

    def close(self):
        pass

    def __repr__(self):
        return f"{type(self.exc).__name__}: {str(self.exc).splitlines()[0][:150]}"


class Caller:
    def __init__(self, app, person):
        from certification.api.services import issue_token

        self.client = fresh_client(app, person)
        self.headers = {"Authorization": f"Bearer {issue_token(person.email, f.PASSWORD)[0]}"} if person else {}

    def send(self, rule, method: str, url: str, payload):
        try:
            return self._send(rule, method, url, payload)
        except Exception as exc:  # noqa: BLE001 - propagated by PROPAGATE_EXCEPTIONS: a crash to report
            db.session.rollback()
            return Crash(exc)

    def _send(self, rule, method: str, url: str, payload):
        if is_api(rule):
            if isinstance(payload, bytes):
                return self.client.open(url, method=method, data=payload, headers=self.headers,
                                        content_type="application/json")  # fmt: skip
            if rule.endpoint == "api.upload_evidence":
                # Text values only, each under 6 kB: over 500 kB the test client would spool the body to a file.
                fields = (
                    {k: v[:6000] for k, v in payload.items() if isinstance(v, str)} if isinstance(payload, dict) else {}
                )
                return self.client.open(url, method=method, data=fields, headers=self.headers,
                                        content_type="multipart/form-data")  # fmt: skip
            return self.client.open(url, method=method, json=payload, headers=self.headers)
        return self.client.open(url, method=method, data=payload, content_type="multipart/form-data")

    def refused(self, rule, response) -> bool:
        """Did the app refuse the request (an error status, or a redirect carrying an error message)?"""
        if isinstance(response, Crash):
            return True
        with self.client.session_transaction() as session:
            flashes = session.pop("_flashes", [])
        if response.status_code >= 400:
            return True
        return response.status_code == 303 and any(category == "error" for category, _ in flashes)


def test_garbage_to_every_state_changing_route_as_every_role_never_gives_a_500_nor_a_change(app):
    world = f.World()
    callers = {role: Caller(app, world.people.get(role)) for role in f.ROLES}
    crashes, changes, sent = [], [], 0

    def check(caller, rule, method, url, payload, where):
        nonlocal sent
        response = caller.send(rule, method, url, payload)
        response.close()
        sent += 1
        if response.status_code >= 500:
            crashes.append(f"{where}: {response!r}")
        writes = watcher.take()
        if caller.refused(rule, response) and writes:
            changes.append(f"{where}: refused ({response.status_code}) yet wrote {writes}")
        return response

    with WriteWatcher(db.engine) as watcher:
        for rule, method in rules(app, "POST", "PUT", "PATCH", "DELETE"):
            if rule.endpoint == "accounts.logout":
                continue  # takes no input; it would only log the caller out (tests/web/test_permissions.py)
            url = url_of(app, rule, world)
            payloads = JSON_PAYLOADS | RAW_API_BODIES if is_api(rule) else FORM_PAYLOADS
            for kind, roles in KINDS.items():
                garbled = False
                for role in roles:
                    if garbled:
                        break  # another person of this kind got the garbage (the permission matrix has the rest)
                    caller = callers[role]
                    where = f"{method} {rule.rule} as {role}"
                    first = check(caller, rule, method, url, {}, f"{where} with missing fields")
                    if first.status_code in REFUSED_BEFORE_INPUT:
                        continue  # refused before any of the input was read
                    if is_api(rule) and kind not in API_GARBAGE_KINDS:
                        continue  # the API parses its body before any permission check: one kind is enough
                    garbled = True
                    for label, payload in payloads.items():
                        if label != "missing fields":  # sent above
                            check(caller, rule, method, url, payload, f"{where} with {label}")
                    usual = payloads.get("unknown event and indicators", {})
                    for label, value in URL_VARIANTS.items():
                        names = [n for n in rule.arguments if n.endswith("_id" if isinstance(value, int) else "code")]
                        if names:
                            target = url_of(app, rule, world, **dict.fromkeys(names, value))
                            check(caller, rule, method, target, usual, f"{method} {target} as {role} ({label})")
    assert not crashes, "\n".join(crashes)
    assert not changes, "\n".join(changes)
    assert sent > 400


def test_an_unhandled_exception_fails_the_test_instead_of_hiding_in_a_500_page(app, monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("certification.certificates.queries.registry_page", explode)
    with pytest.raises(RuntimeError, match="boom"):
        fresh_client(app).get("/registry")
