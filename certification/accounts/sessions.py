"""Browser sessions: who a session names, and when it ends.

A session stores "<user id>:<session epoch>" (User.get_id) with the time of login and of the last request.
It names nobody once the person's epoch moved on (logout, password change, deactivation: see
services.end_all_sessions), once it has been idle for SESSION_IDLE_MINUTES, or SESSION_MAX_HOURS after the
login — whatever the signed cookie says, since these are checked on the server at every request.
"""

from __future__ import annotations

import time

from flask import current_app, has_request_context, request, session
from flask_login import login_user
from flask_login.utils import decode_cookie

from certification.accounts.models import User
from certification.extensions import db

LOGGED_IN_AT = "_sello_login_at"
SEEN_AT = "_sello_seen_at"
# The last-seen time is written back at most this often, so that not every response sets the cookie anew.
SEEN_RESOLUTION = 60
_AUTH_KEYS = ("_user_id", "_fresh", "_id", LOGGED_IN_AT, SEEN_AT)


def now() -> float:
    """Seconds since the epoch; tests move this clock."""
    return time.time()


def start(user) -> None:
    """A fresh session for `user` (nothing of the anonymous one is kept but its language)."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    login_user(user)
    session[LOGGED_IN_AT] = session[SEEN_AT] = now()


def finish() -> None:
    """Forget the person in this session (and any remember-me cookie), keeping the language."""
    for key in _AUTH_KEYS:
        session.pop(key, None)
    session["_remember"] = "clear"


def _parse(session_id: str) -> tuple[int, int] | None:
    user_id, sep, epoch = (session_id or "").partition(":")
    if not sep or not user_id.isdigit() or not epoch.isdigit() or int(user_id) > 2**31 - 1:
        return None
    return int(user_id), int(epoch)


def _remembered(session_id: str) -> bool:
    """Whether Flask-Login is reading a valid remember-me cookie for `session_id` in this request."""
    if not has_request_context():
        return False
    cookie = request.cookies.get(current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token"))
    return cookie is not None and decode_cookie(cookie) == session_id


def _expired(moment: float) -> bool:
    logged_in, seen = session.get(LOGGED_IN_AT), session.get(SEEN_AT)
    if not isinstance(logged_in, int | float) or not isinstance(seen, int | float):
        return True
    idle = current_app.config.get("SESSION_IDLE_MINUTES", 120) * 60
    longest = current_app.config.get("SESSION_MAX_HOURS", 12) * 3600
    return moment - seen > idle or moment - logged_in > longest


def load_user(session_id: str):
    """Flask-Login's user loader: the person this session or remember-me cookie names, if it is still live."""
    parsed = _parse(session_id)
    # Every login stamps the session; an unstamped one is Flask-Login reading a remember-me cookie.
    from_session = LOGGED_IN_AT in session or not _remembered(session_id)
    moment = now()
    if parsed is None or (from_session and _expired(moment)):
        finish()
        return None
    user = db.session.get(User, parsed[0])
    if user is None or user.session_epoch != parsed[1] or not user.active:
        finish()
        return None
    if not from_session:
        session[LOGGED_IN_AT] = moment  # a remember-me cookie (of the current epoch) starts a new session
    if not from_session or moment - session[SEEN_AT] >= SEEN_RESOLUTION:
        session[SEEN_AT] = moment
    return user
