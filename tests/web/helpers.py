from tests.factories import PASSWORD


def login(client, user):
    client.post("/logout")
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    return client


def flashes(response) -> str:
    return response.get_data(as_text=True)


class QueryCounter:
    """Counts the SQL statements the engine runs while active (`with QueryCounter(db.engine) as q: …; q.count`)."""

    def __init__(self, engine):
        self.engine, self.count, self.statements = engine, 0, []

    def _on_execute(self, conn, cursor, statement, parameters, context, executemany):
        self.count += 1
        self.statements.append(statement)

    def __enter__(self):
        from sqlalchemy import event

        event.listen(self.engine, "before_cursor_execute", self._on_execute)
        return self

    def __exit__(self, *exc):
        from sqlalchemy import event

        event.remove(self.engine, "before_cursor_execute", self._on_execute)
        return False


def fresh_client(app, user=None):
    """A test client whose every request starts with an empty `g`, logged in as `user` if given.

    The `app` fixture keeps one application context open for the whole session, and Flask reuses it for
    every test request, so `g` would outlive each request: Flask-Login's cached user and Flask-WTF's CSRF
    token of one client would answer the next request of another. In production every request has its own.
    """
    from flask import g, has_app_context
    from flask.testing import FlaskClient

    class FreshClient(FlaskClient):
        def open(self, *args, **kwargs):
            if has_app_context():
                vars(g).clear()
            return super().open(*args, **kwargs)

    client = FreshClient(app, app.response_class, use_cookies=True)
    if user is not None:
        login(client, user)
    return client


def normalised(response) -> str:
    """The body without what legitimately differs from one request to the next (CSRF token, CSP nonce)."""
    import re

    text = response.get_data(as_text=True)
    text = re.sub(r'(name="csrf_token"[^>]*value=")[^"]*"', r'\1"', text)
    return re.sub(r"nonce(=\"|-)[A-Za-z0-9_\-]+", "nonce", text)


# What each URL parameter of the app's routes names in a tests.factories.World.
URL_PARAMETERS = {
    "application_id": lambda w: w.app.id,
    "assignment_id": lambda w: w.assignment_id,
    "evidence_id": lambda w: w.evidence_id,
    "round_id": lambda w: w.round_id,
    "reviewer_id": lambda w: w.unassigned.id,
    "user_id": lambda w: w.unassigned.id,
    "organization_id": lambda w: w.org.id,
    "affiliation_id": lambda w: w.affiliation_id,
    "conflict_id": lambda w: w.conflict_id,
    "notification_id": lambda w: w.notification_id,
    "mail_id": lambda w: w.mail_id,
    "job_id": lambda w: w.job_id,
    "standard_id": lambda w: w.std.id,
    "comment_id": lambda w: w.comment_id,
    "code": lambda w: w.code,
    "indicator_code": lambda w: w.code,
    "filename": lambda w: "sello.css",
    "kind": lambda w: "applications",
    "extension": lambda w: "csv",
    "token": lambda w: _preference_token(w.member.id, "application_submitted"),
}


def _preference_token(user_id: int, kind: str) -> str:
    """A genuine signed link of a notification e-mail (needs the app context the tests run in)."""
    from certification.notifications.services import preference_token

    return preference_token(user_id, kind)


CERTIFICATE_CODE_ENDPOINTS = {"certificates.verify", "api.verify_certificate"}


def url_of(app, rule, world, **overrides) -> str:
    """A URL of `rule` whose parameters name the world's objects (a new parameter name fails loudly here)."""
    values = {}
    for name in rule.arguments:
        if name in overrides:
            values[name] = overrides[name]
        elif name == "code" and rule.endpoint in CERTIFICATE_CODE_ENDPOINTS:
            values[name] = world.verification_code
        else:
            assert name in URL_PARAMETERS, f"tests/web/helpers.py URL_PARAMETERS: add {name!r} ({rule.rule})"
            values[name] = URL_PARAMETERS[name](world)
    method = next(iter(rule.methods - {"HEAD", "OPTIONS"}))
    return app.url_map.bind("localhost").build(rule.endpoint, values, method=method)


def rules(app, *methods: str):
    """(rule, method) for every route of the app answering one of `methods`."""
    return sorted(
        ((rule, method) for rule in app.url_map.iter_rules() for method in rule.methods & set(methods)),
        key=lambda pair: (pair[0].rule, pair[1]),
    )


def is_api(rule) -> bool:
    return rule.rule.startswith("/api/")


class WriteWatcher:
    """Notices every committed transaction that ran an INSERT, UPDATE or DELETE while active: a cheap, exact
    "did this request change the database" without reading every table before and after."""

    WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")

    def __init__(self, engine):
        self.engine = engine
        self.pending: set[int] = set()  # connections with uncommitted writes
        self.committed: list[str] = []

    def _on_execute(self, conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith(self.WRITES):
            self.pending.add(id(conn))
            self.last = statement

    def _on_commit(self, conn):
        if id(conn) in self.pending:
            self.pending.discard(id(conn))
            self.committed.append(self.last.split("\n")[0][:120])

    def _on_rollback(self, conn):
        self.pending.discard(id(conn))

    def take(self) -> list[str]:
        """The writes committed since the last call."""
        done, self.committed = self.committed, []
        return done

    def __enter__(self):
        from sqlalchemy import event

        event.listen(self.engine, "before_cursor_execute", self._on_execute)
        event.listen(self.engine, "commit", self._on_commit)
        event.listen(self.engine, "rollback", self._on_rollback)
        return self

    def __exit__(self, *exc):
        from sqlalchemy import event

        event.remove(self.engine, "before_cursor_execute", self._on_execute)
        event.remove(self.engine, "commit", self._on_commit)
        event.remove(self.engine, "rollback", self._on_rollback)
        return False
