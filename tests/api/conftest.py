"""API tests: cheap password hashing (the product's scrypt cost proves nothing here) and a released session."""

from __future__ import annotations

import pytest

from tests import factories as f


@pytest.fixture(autouse=True)
def _api_session(request, monkeypatch):
    if "app" not in request.fixturenames:
        yield
        return
    f.fast_password_hashing(monkeypatch)
    yield
    f.release_session()
