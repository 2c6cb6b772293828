"""Failed logins, counted per account and per client address, for the web form and the API token alike.

After LOGIN_ACCOUNT_LIMIT failures for one e-mail (known or not) even the right password of that account is
refused until the window moves on, so guessing one account's password is slow; another account logging in
from the same address is not affected until that address reaches the higher LOGIN_CLIENT_LIMIT, so one
attacker cannot lock everyone out behind a shared proxy. Only failures count. The counts live in Redis when
REDIS_URL is set, so every web process shares them; without Redis (the embedded default) in this process.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import math
import time
from dataclasses import dataclass

from flask import Flask, current_app, has_request_context, request
from limits import parse
from limits.errors import StorageError
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from certification.validation import normalise_email

log = logging.getLogger(__name__)
EXTENSION = "sello_login_throttle"


def storage_uri(config) -> str:
    """Redis when there is one (shared by every web process), else this process's memory."""
    return config.get("REDIS_URL") or "memory://"


class _Counter:
    """A moving-window counter on Redis that falls back to memory while Redis does not answer (the limit
    then holds per process instead of failing every login)."""

    def __init__(self, uri: str, prefix: str):
        options = {"key_prefix": prefix, "wrap_exceptions": True} if uri.startswith(("redis", "rediss")) else {}
        self.primary: Storage = storage_from_string(uri, **options)
        self.fallback = MemoryStorage()

    def run(self, action: str, *args):
        try:
            return getattr(MovingWindowRateLimiter(self.primary), action)(*args)
        except StorageError as exc:
            log.warning("login counter storage failed (%s); counting in this process", exc)
            return getattr(MovingWindowRateLimiter(self.fallback), action)(*args)

    def reset(self) -> None:
        self.fallback.reset()
        with contextlib.suppress(StorageError):
            self.primary.reset()


def init_app(app: Flask) -> None:
    for setting in (
        "LOGIN_ACCOUNT_LIMIT",
        "LOGIN_CLIENT_LIMIT",
        "PASSWORD_RESET_ACCOUNT_LIMIT",
        "PASSWORD_RESET_CLIENT_LIMIT",
    ):  # a typo stops the start, not every login
        try:
            parse(app.config.get(setting, "5 per hour"))
        except ValueError as exc:
            raise ValueError(f"{setting} must read like '5 per 15 minutes', not {app.config.get(setting)!r}") from exc
    app.extensions[EXTENSION] = _Counter(storage_uri(app.config), app.config.get("LOGIN_THROTTLE_PREFIX", "sello"))


def _counter() -> _Counter:
    return current_app.extensions[EXTENSION]


def _keys(email: str) -> list[tuple[str, str]]:
    # The address is hashed: the counter store never holds who tried to log in.
    account = hashlib.sha256(normalise_email(email).encode("utf-8", "surrogatepass")).hexdigest()
    keys = [(current_app.config.get("LOGIN_ACCOUNT_LIMIT", "5 per 15 minutes"), f"login-account:{account}")]
    if has_request_context():  # a script issuing a token has no client address, only the account counts
        keys.append(
            (current_app.config.get("LOGIN_CLIENT_LIMIT", "50 per 15 minutes"), f"login-client:{client_address()}")
        )
    return keys


def client_address() -> str:
    """The client's address: the connecting peer, or what TRUSTED_PROXIES trusted proxies said (ProxyFix)."""
    return request.remote_addr or "unknown"


@dataclass(frozen=True)
class Blocked:
    retry_after: int  # seconds until one more attempt is allowed

    @property
    def minutes(self) -> int:
        return max(1, math.ceil(self.retry_after / 60))


class TooManyAttempts(Exception):
    """Refused by the login limits (raised where the answer differs from a wrong password's, the API's 429)."""

    def __init__(self, blocked: Blocked):
        super().__init__(f"login refused for {blocked.retry_after} s")
        self.blocked = blocked


def blocked(email: str) -> Blocked | None:
    """Whether a login attempt for `email` from this client must be refused without checking the password."""
    counter = _counter()
    waits = []
    for rule, key in _keys(email):
        item = parse(rule)
        if not counter.run("test", item, key):
            reset_at, _remaining = counter.run("get_window_stats", item, key)
            waits.append(max(1, math.ceil(reset_at - time.time())))
    return Blocked(max(waits)) if waits else None


def record_failure(email: str) -> None:
    """Count one failed attempt for the account and for the client."""
    counter = _counter()
    for rule, key in _keys(email):
        counter.run("hit", parse(rule), key)


def allow_reset_request(email: str) -> bool:
    """Count one forgot-password request for the account (known or not) and the client; False once either is
    over PASSWORD_RESET_ACCOUNT_LIMIT / PASSWORD_RESET_CLIENT_LIMIT (a mailbox is not flooded with links)."""
    counter = _counter()
    account = hashlib.sha256(normalise_email(email).encode("utf-8", "surrogatepass")).hexdigest()
    keys = [(current_app.config.get("PASSWORD_RESET_ACCOUNT_LIMIT", "3 per hour"), f"reset-account:{account}")]
    if has_request_context():
        keys.append((current_app.config.get("PASSWORD_RESET_CLIENT_LIMIT", "20 per hour"),
                     f"reset-client:{client_address()}"))  # fmt: skip
    allowed = True
    for rule, key in keys:
        allowed = counter.run("hit", parse(rule), key) and allowed
    return allowed


def reset(app: Flask) -> None:
    """Forget every count (tests)."""
    app.extensions[EXTENSION].reset()
