"""After login the browser goes only to a path of this site, read the way a browser reads it; no target 500s."""

from __future__ import annotations

from urllib.parse import quote, urlsplit

import pytest

from certification.redirects import same_origin_path, same_origin_referrer
from tests import factories as f
from tests.web.helpers import fresh_client

DEFAULT = "/dashboard"


@pytest.fixture(autouse=True)
def _session(app, monkeypatch):
    f.fast_password_hashing(monkeypatch)
    yield
    f.release_session()


def _login(app, raw_query: str):
    """POST /login with the query string exactly as an attacker writes it in the link."""
    person = f.applicant()
    return fresh_client(app).post(f"/login?{raw_query}", data={"email": person.email, "password": f.PASSWORD})


def _assert_same_origin(location: str) -> None:
    # What a browser would make of the Location: tab/CR/LF dropped, "\" read as "/".
    seen = location.replace("\t", "").replace("\r", "").replace("\n", "").replace("\\", "/")
    parts = urlsplit(seen)
    assert parts.scheme == "" and parts.netloc == "", location
    assert seen.startswith("/") and not seen.startswith("//"), location
    assert "evil" not in location, location


def test_a_tab_after_the_first_slash_no_longer_sends_the_browser_to_another_site(app):
    response = _login(app, "next=/%09/evil.example/phish")
    assert response.status_code == 303
    _assert_same_origin(response.headers["Location"])
    assert response.headers["Location"] == DEFAULT


@pytest.mark.parametrize(
    "target",
    ["/\t/evil.example/phish", "/\r/evil.example", "/\n/evil.example", "/\\evil.example", "\\/evil.example",
     "/\\/evil.example", "\\\\evil.example", "/\t\\evil.example", "\t//evil.example", "//evil.example",
     "///evil.example", "https://evil.example/", "https:/evil.example", "javascript:alert(1)", " //evil.example",
     "/\x00/evil.example", "/\x1b//evil.example", "/\x7f/evil.example", "", "evil.example", "//" + "a" * 3000],
)  # fmt: skip
def test_a_next_target_a_browser_would_read_as_another_site_gets_the_default_page(app, target):
    response = _login(app, "next=" + quote(target, safe=""))
    assert response.status_code == 303, target
    assert response.headers["Location"] == DEFAULT, (target, response.headers["Location"])


@pytest.mark.parametrize("raw", ["next=/%0A", "next=/%0D", "next=%0D%0ASet-Cookie:%20x=1", "next=/%0D%0A/evil"])
def test_a_line_break_in_next_gets_the_default_page_and_never_a_500(app, raw):
    response = _login(app, raw)
    assert response.status_code == 303
    assert response.headers["Location"] == DEFAULT
    assert "x=1" not in response.headers.get("Set-Cookie", "")


def test_a_path_of_this_site_is_still_followed_with_its_query_and_fragment(app):
    assert _login(app, "next=" + quote("/applications?state=draft#top", safe="")).headers["Location"] == (
        "/applications?state=draft#top"
    )
    # Non-ASCII is percent-encoded in the header, not refused.
    assert _login(app, "next=/registry%3Fq%3D%C3%B1").headers["Location"] == "/registry?q=%C3%B1"


def test_the_language_switch_goes_back_only_to_a_page_of_this_site(app):
    client = fresh_client(app)
    hostile = {
        "http://localhost/\t/evil.example": "/",
        "http://evil.example/applications": "/",
        "http://localhost//evil.example/x": "/",
        "http://localhost/registry?q=1": "/registry?q=1",
    }
    for referrer, expected in hostile.items():
        response = client.post("/language", data={"lang": "en"}, headers={"Referer": referrer})
        assert response.status_code == 303, referrer
        location = response.headers["Location"]
        _assert_same_origin(location)
        assert location == expected, (referrer, location)


def test_one_helper_reads_targets_as_a_browser_does():
    assert same_origin_path("/a/b?c=d", DEFAULT) == "/a/b?c=d"
    assert same_origin_path("/a\\b", DEFAULT) == "/a/b"  # what the browser would request anyway
    for hostile in ("/\t/x.example", "/\\x.example", "//x.example", "x.example", None, 42, "/\u0000"):
        assert same_origin_path(hostile, DEFAULT) == DEFAULT, hostile
    assert same_origin_referrer("https://sello.example/p?q=1#f", "sello.example", DEFAULT) == "/p?q=1#f"
    assert same_origin_referrer("https://sello.example.evil/p", "sello.example", DEFAULT) == DEFAULT
    assert same_origin_referrer("ftp://sello.example/p", "sello.example", DEFAULT) == DEFAULT
    assert same_origin_referrer(None, "sello.example", DEFAULT) == DEFAULT


def test_a_page_that_asked_for_a_login_is_shown_after_it(app):
    person = f.applicant()
    client = fresh_client(app)
    asked = client.get("/applications?state=draft")
    assert asked.status_code == 302
    login_url = asked.headers["Location"]
    assert login_url.startswith("/login?next=")
    response = client.post(login_url, data={"email": person.email, "password": f.PASSWORD})
    assert response.headers["Location"] == "/applications?state=draft"
