"""Structured logs: one JSON object per line, one line per request, and the request's id on every line —
in the web process and, carried as a task header, in the Celery task the request caused.

An incoming X-Request-ID (set by the proxy or the caller) is kept when it looks like an id, so one id
follows a request through the proxy, the app and the worker; otherwise a new one is made. The response
echoes it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import sys
import time
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime

import sqlalchemy as sa
from celery.signals import before_task_publish, task_postrun, task_prerun
from flask import Flask, g, request

REQUEST_ID_HEADER = "X-Request-ID"
SANE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@+=-]{0,127}")
request_id_var: ContextVar[str | None] = ContextVar("sello_request_id", default=None)
access_log = logging.getLogger("sello.request")
task_log = logging.getLogger("sello.task")


def new_request_id(incoming: str | None) -> str:
    if incoming and SANE_ID.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = request_id_var.get()
        return True


STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """{"time", "level", "logger", "message", "request_id", …the record's extra fields}."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or request_id_var.get(),
        }
        entry.update({k: v for k, v in vars(record).items() if k not in STANDARD and k not in entry})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def configure(log_format: str = "json", level: int = logging.INFO) -> None:
    """One handler on stderr for Sello's loggers (the app's, requests', tasks'). Celery's own loggers are
    left as the worker sets them up (its `--loglevel`, its format)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(
        "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"))  # fmt: skip
    handler.addFilter(RequestIdFilter())
    handler.set_name("sello")
    logger = logging.getLogger("sello")
    if not any(h.get_name() == "sello" for h in logger.handlers):
        logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False


def _user_id() -> int | None:
    """The id of the person this request was answered for (session or API token), read from the identity
    map without touching the row: logging never loads or refreshes anything."""
    for user in (g.get("api_user"), g.get("_login_user")):
        state = sa.inspect(user, raiseerr=False) if user is not None else None
        if state is not None and state.identity:
            return state.identity[0]
    return None


def init_app(app: Flask) -> None:
    configure(app.config.get("LOG_FORMAT", "json"))

    @app.before_request
    def _start_request():
        # Inside an outer app context (tests, CLI) `g` outlives a request: its user is not this request's.
        g.pop("api_user", None)
        g.request_started = time.perf_counter()
        g.request_id = new_request_id(request.headers.get(REQUEST_ID_HEADER))
        g.request_id_token = request_id_var.set(g.request_id)

    @app.after_request
    def _log_request(response):
        request_id = g.get("request_id") or new_request_id(None)
        response.headers[REQUEST_ID_HEADER] = request_id
        started = g.get("request_started")
        access_log.info(
            "%s %s %s", request.method, request.path, response.status_code,
            extra={"request_id": request_id, "method": request.method, "path": request.path,
                   "status": response.status_code, "user_id": _user_id(),
                   "duration_ms": round((time.perf_counter() - started) * 1000, 2) if started else None},
        )  # fmt: skip
        return response

    @app.teardown_request
    def _end_request(_exc=None):
        token = g.pop("request_id_token", None)
        if token is not None:
            with contextlib.suppress(ValueError):  # set in another context (a request run inside another)
                request_id_var.reset(token)


@before_task_publish.connect
def _carry_request_id(headers=None, **_):
    """The id of the request (or task) that publishes a task travels in the task's headers."""
    request_id = request_id_var.get()
    if headers is not None and request_id and "request_id" not in headers:
        headers["request_id"] = request_id


_task_tokens: dict[str, object] = {}


@task_prerun.connect
def _task_started(task_id=None, task=None, **_):
    request_id = getattr(task.request, "request_id", None) if task is not None else None
    if request_id is None and task is not None:
        request_id = (getattr(task.request, "headers", None) or {}).get("request_id")
    if request_id:
        _task_tokens[task_id] = request_id_var.set(request_id)
    task_log.info("task %s started", task.name if task else "?", extra={"task": task.name if task else None,
                  "task_id": task_id, "request_id": request_id or request_id_var.get()})  # fmt: skip


@task_postrun.connect
def _task_finished(task_id=None, task=None, state=None, **_):
    task_log.info("task %s %s", task.name if task else "?", state, extra={"task": task.name if task else None,
                  "task_id": task_id, "state": state})  # fmt: skip
    token = _task_tokens.pop(task_id, None)
    if token is not None:
        request_id_var.reset(token)
