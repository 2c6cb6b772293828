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
    """A test client whose every request starts with no cached user, logged in as `user` if given.

    The `app` fixture keeps one application context open for the whole session, and Flask reuses it for
    every test request; Flask-Login caches the current user in that context's `g`. Without this, a user
    loaded by one client (or test) would answer `current_user` for the next request of another.
    """
    from flask import g, has_app_context
    from flask.testing import FlaskClient

    class FreshClient(FlaskClient):
        def open(self, *args, **kwargs):
            if has_app_context():
                g.pop("_login_user", None)
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
