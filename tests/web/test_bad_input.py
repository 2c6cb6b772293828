"""Bad input never ends in a 500 and a refused request changes nothing (design.md §11).

Every state-changing route of `app.url_map` (the UI's forms and the JSON API) gets garbage as every role:
missing fields, non-integers, negative ids, ids of nothing, integers too large for the database, huge
strings, NUL and control characters, several values for one field, unknown events and indicator codes, and
ids of nothing in the URL. Unhandled exceptions propagate to the test (PROPAGATE_EXCEPTIONS) instead of
becoming a 500 page, and a WriteWatcher sees any committed write of a refused request.
"""

from __future__ import annotations

import pytest

from certification.extensions import db, limiter
from tests import factories as f
from tests.web.helpers import WriteWatcher, fresh_client, is_api, rules, url_of

FORM_FIELDS = (
    "active application_id area areas budget_note capacity closes_on comment conflict countries country "
    "description digest due_on email event evidence_ids explanation indicators justification kind lang "
    "languages max_active_assignments name next no_conflict opens_on organization_id password proposed_text "
    "rating reason replacement_id resolution response reviewer_id score since standard_id status token until"
).split()
API_FIELDS = (
    "email password name role organization_id areas countries languages max_active_assignments locale kind since "
    "until country legal_form network standard_id rating explanation event reason indicators reviewer_id due_on "
    "no_conflict conflict score comment evidence_ids justification opens_on closes_on capacity budget_note status "
    "application_id description"
).split()
HUGE = "Ñ" * 70_000
TOO_BIG = "99999999999999999999"
WEIRD = "\x00\x1b[2J\u202e<script>alert(1)</script>'; DROP TABLE users; --"


def form(value) -> dict:
    return dict.fromkeys(FORM_FIELDS, value)


FORM_PAYLOADS = {
    "missing fields": {},
    "non-integers and unknown codes": form("abc"),
    "negative numbers": form("-1"),
    "ids of nothing": form("999999"),
    "integers too large": form(TOO_BIG),
    "huge strings": form(HUGE),
    "control characters": form(WEIRD),
    "impossible dates and numbers": form("2026-02-30"),
    "not-a-number": form("NaN"),
    "several values per field": {name: ["1", "abc", ""] for name in FORM_FIELDS},
    "unknown event and indicators": {"event": "to_certified", "reason": "x", "indicators": ["NOPE.1", ""],
                                     "rating": "3", "explanation": "x", "score": "3", "comment": "x"},
}  # fmt: skip
JSON_PAYLOADS = {
    "missing fields": {},
    "strings everywhere": dict.fromkeys(API_FIELDS, "abc"),
    "negative numbers": dict.fromkeys(API_FIELDS, -1),
    "integers too large": dict.fromkeys(API_FIELDS, int(TOO_BIG)),
    "huge strings": dict.fromkeys(API_FIELDS, "Ñ" * 20_000),
    "nested values": dict.fromkeys(API_FIELDS, [{"a": None}, 1.5e308]),
    "nulls": dict.fromkeys(API_FIELDS, None),
    "control characters": dict.fromkeys(API_FIELDS, WEIRD),
    "not an object": ["submit"],
}
RAW_API_BODIES = {"not JSON": b"{event: submit", "NaN": b'{"score": NaN, "rating": Infinity}'}
URL_VARIANTS = {"an id of nothing": 999999, "an id too large": int(TOO_BIG), "an unknown code": "NOPE.1"}
LOGIN_REFUSALS = (302, 401, 403, 404)
URL_VARIANT_ROLES = ("member", "assigned", "facilitator")


@pytest.fixture(autouse=True)
def _session(app, monkeypatch):
    f.fast_password_hashing(monkeypatch)
    # Raise on 500: an unhandled exception reaches the test instead of the generic error page.
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", True)
    # Garbage credentials would use up the token endpoint's rate limit for the tests that follow.
    monkeypatch.setattr(limiter, "enabled", False)
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
                fields = {k: v for k, v in (payload or {}).items() if isinstance(v, str)} if isinstance(payload, dict) else {}
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
    changing = rules(app, "POST", "PUT", "PATCH", "DELETE")
    crashes, changes, sent = [], [], 0
    with WriteWatcher(db.engine) as watcher:
        for rule, method in changing:
            if rule.endpoint == "accounts.logout":
                continue  # takes no input; it would only log the caller out (tests/web/test_permissions.py)
            url = url_of(app, rule, world)
            payloads = JSON_PAYLOADS | RAW_API_BODIES if is_api(rule) else FORM_PAYLOADS
            for role, caller in callers.items():
                for label, payload in payloads.items():
                    response = caller.send(rule, method, url, payload)
                    response.close()
                    sent += 1
                    where = f"{method} {rule.rule} as {role} with {label}"
                    if response.status_code >= 500:
                        crashes.append(f"{where}: {response!r}")
                    writes = watcher.take()
                    if caller.refused(rule, response) and writes:
                        changes.append(f"{where}: refused ({response.status_code}) yet wrote {writes}")
                    if label == "missing fields" and response.status_code in LOGIN_REFUSALS and role != "admin":
                        break  # refused before reading any input: more garbage proves nothing new
                if role not in URL_VARIANT_ROLES:
                    continue
                for label, value in URL_VARIANTS.items():
                    names = [n for n in rule.arguments if n.endswith("_id" if isinstance(value, int) else "code")]
                    if not names:
                        continue
                    try:
                        target = url_of(app, rule, world, **dict.fromkeys(names, value))
                    except Exception:  # noqa: BLE001 - the route's converter refuses it: nothing to send
                        continue
                    response = caller.send(rule, method, target, next(iter(payloads.values())))
                    response.close()
                    sent += 1
                    if response.status_code >= 500:
                        crashes.append(f"{method} {target} as {role} ({label}): {response!r}")
                    writes = watcher.take()
                    if caller.refused(rule, response) and writes:
                        changes.append(f"{method} {target} as {role} ({label}): wrote {writes}")
    assert not crashes, "\n".join(crashes)
    assert not changes, "\n".join(changes)
    assert sent > 500


def test_an_unhandled_exception_fails_the_test_instead_of_hiding_in_a_500_page(app, monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("certification.certificates.queries.registry_page", explode)
    with pytest.raises(RuntimeError, match="boom"):
        fresh_client(app).get("/registry")
