"""Settings classes. Every value that differs between machines comes from an environment variable."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from config.celery import celery_settings

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = ROOT / "instance"
# The languages of the UI, e-mails, API messages and standards content; the first is the default.
LANGUAGES = ("es", "en", "fr")
DEV_SECRET = "dev-only-not-secret"  # noqa: S105 - refused in production below


class ConfigurationError(RuntimeError):
    """Raised when production starts without what it needs."""


class Base:
    SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET)
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE / 'sello.db'}")
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    # A pooled connection idle this long is pinged before use (certification/database.py): not every request.
    DATABASE_PING_IDLE_SECONDS = float(os.environ.get("DATABASE_PING_IDLE_SECONDS", 10))
    REDIS_URL = os.environ.get("REDIS_URL", "")
    EVIDENCE_DIR = os.environ.get("EVIDENCE_DIR", str(INSTANCE / "evidence"))
    EVIDENCE_MAX_FILE_BYTES = int(os.environ.get("EVIDENCE_MAX_FILE_BYTES", 25 * 1024 * 1024))
    EVIDENCE_MAX_APPLICATION_BYTES = int(os.environ.get("EVIDENCE_MAX_APPLICATION_BYTES", 500 * 1024 * 1024))
    # All the evidence of one organisation, withdrawn applications included: new applications add no room.
    EVIDENCE_MAX_ORGANIZATION_BYTES = int(os.environ.get("EVIDENCE_MAX_ORGANIZATION_BYTES", 2 * 1024 * 1024 * 1024))
    # Where evidence files live: "local" (EVIDENCE_DIR) or "s3", an S3-compatible bucket shared by every web
    # node (MinIO, Ceph RGW, AWS S3). Credentials come from the standard AWS variables (AWS_ACCESS_KEY_ID,
    # AWS_SECRET_ACCESS_KEY) or the machine's role, never from these settings.
    EVIDENCE_STORAGE = os.environ.get("EVIDENCE_STORAGE", "local")
    EVIDENCE_S3_BUCKET = os.environ.get("EVIDENCE_S3_BUCKET", "")
    EVIDENCE_S3_PREFIX = os.environ.get("EVIDENCE_S3_PREFIX", "evidence/")
    EVIDENCE_S3_ENDPOINT_URL = os.environ.get("EVIDENCE_S3_ENDPOINT_URL", "")  # empty: AWS itself
    EVIDENCE_S3_REGION = os.environ.get("EVIDENCE_S3_REGION", "")
    EVIDENCE_S3_PART_BYTES = int(os.environ.get("EVIDENCE_S3_PART_BYTES", 8 * 1024 * 1024))
    EVIDENCE_S3_TIMEOUT = float(os.environ.get("EVIDENCE_S3_TIMEOUT", 30))
    # /readyz gives each dependency (database, Redis, storage) this many seconds to answer.
    READINESS_TIMEOUT = float(os.environ.get("READINESS_TIMEOUT", 2))
    # One JSON object per log line ("json", for a log collector) or plain text ("text").
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "json")
    # A request may carry one file plus a little form data.
    MAX_CONTENT_LENGTH = EVIDENCE_MAX_FILE_BYTES + 1024 * 1024
    LANGUAGES = LANGUAGES
    BABEL_DEFAULT_LOCALE = "es"
    BABEL_TRANSLATION_DIRECTORIES = str(ROOT / "certification" / "translations")
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    WTF_CSRF_TIME_LIMIT = None  # a long self-assessment session must not lose its form
    PER_PAGE = 25
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "sello@localhost")
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000")
    # The body that issues the certificates, as printed on them; empty = the seeds' working group (translated).
    WORKING_GROUP_NAME = os.environ.get("WORKING_GROUP_NAME", "")
    # JSON API: bearer-token lifetime, failed token requests allowed per client, JSON body limit.
    API_TOKEN_DAYS = int(os.environ.get("API_TOKEN_DAYS", 30))
    API_MAX_JSON_BYTES = int(os.environ.get("API_MAX_JSON_BYTES", 1024 * 1024))
    # Notification e-mail (no MAIL_SERVER: mails are recorded and logged, not sent) and the outbox.
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", 25))
    MAIL_USE_TLS = os.environ.get("MAIL_USE_TLS", "").lower() in ("1", "true", "yes")
    MAIL_USE_SSL = os.environ.get("MAIL_USE_SSL", "").lower() in ("1", "true", "yes")
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
    MAIL_SUPPRESS_SEND = not MAIL_SERVER
    MAIL_MAX_ATTEMPTS = int(os.environ.get("MAIL_MAX_ATTEMPTS", 5))
    OUTBOX_LEASE_SECONDS = float(os.environ.get("OUTBOX_LEASE_SECONDS", 60))
    OUTBOX_MAX_ATTEMPTS = int(os.environ.get("OUTBOX_MAX_ATTEMPTS", 8))
    OUTBOX_UNSENT_GRACE_SECONDS = float(os.environ.get("OUTBOX_UNSENT_GRACE_SECONDS", 30))
    OUTBOX_RELAY_GRACE_SECONDS = float(os.environ.get("OUTBOX_RELAY_GRACE_SECONDS", 30))
    OUTBOX_RESEND_AFTER_SECONDS = float(os.environ.get("OUTBOX_RESEND_AFTER_SECONDS", 900))
    RESCORE_CHUNK_SIZE = int(os.environ.get("RESCORE_CHUNK_SIZE", 200))
    RESCORE_RUNNERS = int(os.environ.get("RESCORE_RUNNERS", 2))
    # Login (web form and API token alike): failed attempts allowed per account and per client address in a
    # moving window, counted in Redis when REDIS_URL is set (shared by every web process), else in memory.
    LOGIN_ACCOUNT_LIMIT = os.environ.get("LOGIN_ACCOUNT_LIMIT", "5 per 15 minutes")
    LOGIN_CLIENT_LIMIT = os.environ.get("LOGIN_CLIENT_LIMIT", "50 per 15 minutes")
    # Forgot-password requests, per e-mail (known or not) and per client; and how long the mailed links live.
    PASSWORD_RESET_ACCOUNT_LIMIT = os.environ.get("PASSWORD_RESET_ACCOUNT_LIMIT", "3 per hour")
    PASSWORD_RESET_CLIENT_LIMIT = os.environ.get("PASSWORD_RESET_CLIENT_LIMIT", "20 per hour")
    PASSWORD_RESET_HOURS = int(os.environ.get("PASSWORD_RESET_HOURS", 2))
    INVITATION_DAYS = int(os.environ.get("INVITATION_DAYS", 7))
    # Reverse proxies in front of the app that set X-Forwarded-For/-Proto; 0 = the client connects directly
    # (a forwarded header sent by a client is then ignored).
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", 0))
    # A browser session ends after this much inactivity, and in any case this long after logging in.
    SESSION_IDLE_MINUTES = int(os.environ.get("SESSION_IDLE_MINUTES", 120))
    SESSION_MAX_HOURS = int(os.environ.get("SESSION_MAX_HOURS", 12))
    PERMANENT_SESSION_LIFETIME = timedelta(hours=SESSION_MAX_HOURS)
    REMEMBER_COOKIE_DURATION = timedelta(hours=SESSION_MAX_HOURS)
    # zxcvbn's 0-4 guessability score a new password must reach (3: "safely unguessable" for online attacks).
    PASSWORD_MIN_SCORE = int(os.environ.get("PASSWORD_MIN_SCORE", 3))

    @classmethod
    def as_dict(cls) -> dict:
        values = {k: getattr(cls, k) for k in dir(cls) if k.isupper()}
        values["CELERY"] = celery_settings(values["REDIS_URL"])
        return values

    @classmethod
    def check(cls, values: dict) -> None:
        """Refuse settings that cannot work anywhere; production asks for more."""
        problems = storage_problems(values)
        if problems:
            raise ConfigurationError("; ".join(problems))


class Development(Base):
    DEBUG = False


class Testing(Base):
    TESTING = True
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    WTF_CSRF_ENABLED = False
    SECRET_KEY = "testing-secret"  # noqa: S105


class Production(Base):
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-sello"

    @classmethod
    def check(cls, values: dict) -> None:
        missing = []
        if not os.environ.get("SECRET_KEY") or values["SECRET_KEY"] == DEV_SECRET or len(values["SECRET_KEY"]) < 32:
            missing.append("SECRET_KEY (at least 32 random characters)")
        if not os.environ.get("DATABASE_URL"):
            missing.append("DATABASE_URL")
        if not os.environ.get("REDIS_URL"):
            missing.append("REDIS_URL")
        missing += storage_problems(values)
        if missing:
            raise ConfigurationError("Production needs: " + ", ".join(missing))


def storage_problems(values: dict) -> list[str]:
    if values["EVIDENCE_STORAGE"] not in ("local", "s3"):
        return [f"EVIDENCE_STORAGE must be local or s3, not {values['EVIDENCE_STORAGE']!r}"]
    if values["EVIDENCE_STORAGE"] == "s3" and not values["EVIDENCE_S3_BUCKET"]:
        return ["EVIDENCE_S3_BUCKET (EVIDENCE_STORAGE is s3)"]
    if values["LOG_FORMAT"] not in ("json", "text"):
        return [f"LOG_FORMAT must be json or text, not {values['LOG_FORMAT']!r}"]
    return []


CONFIGS = {"development": Development, "testing": Testing, "production": Production}


def load_config(name: str | None = None) -> dict:
    """The settings dict for SELLO_CONFIG (or `name`), after the environment's checks."""
    name = name or os.environ.get("SELLO_CONFIG", "development")
    if name not in CONFIGS:
        raise ConfigurationError(f"SELLO_CONFIG must be one of {', '.join(CONFIGS)}, not {name!r}")
    cls = CONFIGS[name]
    values = cls.as_dict()
    values["SELLO_CONFIG"] = name
    cls.check(values)
    return values
