"""gunicorn settings: `gunicorn -c config/gunicorn.py "app:create_app()"`.

Every value can be set from the environment. The request-line and header limits sit above the app's own
(certification/limits.py), so an over-long URL or too many headers reach the app and get its answer — the
API's JSON error body under /api/v1, the translated error page elsewhere — instead of gunicorn's HTML 400.
Only a request beyond gunicorn's own ceilings below still gets gunicorn's page.
"""

from __future__ import annotations

import multiprocessing
import os

from certification.limits import MAX_HEADER_FIELD_BYTES, MAX_HEADER_FIELDS, MAX_URL_BYTES

# Where to listen: host:port, unix:/path or fd://N (gunicorn's syntax); loopback by default, behind the proxy.
bind = os.environ.get("GUNICORN_BIND") or f"127.0.0.1:{os.environ.get('PORT', '8000')}"
# Synchronous workers: 2 × cores + 1 by default (gunicorn's own advice for I/O-bound apps).
workers = int(
    os.environ.get("GUNICORN_WORKERS") or os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count() * 2 + 1
)
# A request running longer is killed (uploads are streamed in well under this on any sane link).
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 60))
# On restart or SIGTERM, requests in flight get this long to finish.
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", 30))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", 5))

# The request line is "METHOD <url> HTTP/1.1": gunicorn's maximum (8190), above the app's longest URL, so
# the app sees and refuses (414, its own body) every URL between its limit and this one. A line longer than
# 8190 bytes still gets gunicorn's 400: no setting short of "unlimited" (unbounded reads) avoids that.
limit_request_line = 8190
if MAX_URL_BYTES + len("OPTIONS  HTTP/1.1") >= limit_request_line:
    raise RuntimeError("certification.limits.MAX_URL_BYTES must stay under gunicorn's request line limit")
# Twice the app's header count and field size: the app answers 431 with its own body in between.
limit_request_fields = MAX_HEADER_FIELDS * 2
limit_request_field_size = MAX_HEADER_FIELD_BYTES * 2

# Logs to stderr, where the process manager collects them. The app itself writes one JSON line per request
# (certification/ops/logs.py, with its request id and user), so gunicorn's own access log is off unless
# GUNICORN_ACCESS_LOG names a file or "-" (stderr).
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
