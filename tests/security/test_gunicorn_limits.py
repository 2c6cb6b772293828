"""A request line or headers over the limits get the app's answer (JSON under /api/v1), not gunicorn's HTML 400.

A real gunicorn runs config/gunicorn.py on a socket the test opened (fd://N), so the first connection waits in
the socket's backlog until a worker takes it: no port race and no polling.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from certification.limits import MAX_HEADER_FIELD_BYTES, MAX_HEADER_FIELDS, MAX_URL_BYTES

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.set_inheritable(True)
    instance = tmp_path_factory.mktemp("gunicorn")
    env = {
        **os.environ,
        "GUNICORN_BIND": f"fd://{listener.fileno()}",
        "GUNICORN_WORKERS": "1",
        "GUNICORN_ACCESS_LOG": "",
        "SELLO_CONFIG": "testing",
        "TEST_DATABASE_URL": f"sqlite:///{instance / 'sello.db'}",  # no table: no request here reads one
        "EVIDENCE_DIR": str(instance / "evidence"),
        "REDIS_URL": "",
    }
    log = instance / "gunicorn.log"
    with log.open("wb") as stderr:
        process = subprocess.Popen(  # noqa: S603 - our own gunicorn, our own arguments
            [str(GUNICORN), "-c", "config/gunicorn.py", "app:create_app()"],
            cwd=ROOT, env=env, pass_fds=(listener.fileno(),), stdout=subprocess.DEVNULL, stderr=stderr,
        )  # fmt: skip
        try:
            yield listener.getsockname()
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            listener.close()
            print(log.read_text(errors="replace")[-5000:])  # shown by pytest when a test failed


def raw_request(address, request_head: bytes) -> tuple[int, dict, bytes]:
    """Send `request_head` as is and read the whole answer (the server closes the connection)."""
    with socket.create_connection(address, timeout=60) as connection:
        connection.sendall(request_head)
        chunks = []
        while chunk := connection.recv(65536):
            chunks.append(chunk)
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in header_lines)}
    return int(status_line.split()[1]), headers, body


def get(address, target: str, extra_headers: list[str] = ()) -> tuple[int, dict, bytes]:
    lines = [f"GET {target} HTTP/1.1", "Host: localhost", "Connection: close", "Accept-Language: en",
             *extra_headers]  # fmt: skip
    return raw_request(address, ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))


def api_error(status: int, headers: dict, body: bytes) -> dict:
    assert headers["content-type"].startswith("application/json"), (status, headers, body[:200])
    error = json.loads(body)["error"]
    assert set(error) == {"code", "message", "details"} and error["message"]
    return error


def test_an_over_long_api_url_gets_the_json_414_not_gunicorns_html(server):
    target = "/api/v1/registry?country=" + "A" * (MAX_URL_BYTES + 100)
    status, headers, body = get(server, target)
    assert status == 414
    assert api_error(status, headers, body)["code"] == "uri_too_long"


def test_an_over_long_page_url_gets_the_translated_error_page(server):
    status, headers, body = get(server, "/?q=" + "A" * (MAX_URL_BYTES + 100))
    assert status == 414 and headers["content-type"].startswith("text/html")
    assert b"The address is too long." in body


def test_a_url_within_the_limit_is_served(server):
    status, headers, body = get(server, "/api/v1/openapi.json?x=" + "A" * (MAX_URL_BYTES - 100))
    assert status == 200 and json.loads(body)["openapi"].startswith("3.1")


def test_too_many_api_headers_get_the_json_431(server):
    extra = [f"X-Filler-{n}: {n}" for n in range(MAX_HEADER_FIELDS + 5)]
    status, headers, body = get(server, "/api/v1/registry", extra)
    assert status == 431
    assert api_error(status, headers, body)["code"] == "headers_too_large"


def test_an_over_long_api_header_gets_the_json_431(server):
    status, headers, body = get(server, "/api/v1/registry", ["X-Filler: " + "a" * (MAX_HEADER_FIELD_BYTES + 10)])
    assert status == 431
    assert api_error(status, headers, body)["code"] == "headers_too_large"


def test_the_error_page_for_a_long_url_speaks_the_visitors_language(app, client):
    response = client.get("/?q=" + "A" * (MAX_URL_BYTES + 1), headers={"Accept-Language": "es"})
    assert response.status_code == 414 and response.mimetype == "text/html"
    assert "La dirección es demasiado larga." in response.get_data(as_text=True)


def test_the_api_answers_a_long_url_in_the_callers_language(app, client):
    response = client.get("/api/v1/registry?country=" + "A" * MAX_URL_BYTES, headers={"Accept-Language": "es"})
    assert response.status_code == 414
    assert response.get_json()["error"] == {"code": "uri_too_long", "message": "La URL es demasiado larga.",
                                            "details": {}}  # fmt: skip
