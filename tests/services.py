"""Each test process gets its own PostgreSQL database and its own Redis database number.

Two `make test` runs on one machine, and the pytest-xdist workers of one run, never share state: the
PostgreSQL database is created on first use under a name carrying this process's id and dropped when the
session ends (and databases left by a process that no longer runs are dropped on the next start); the
Redis database number is claimed with `SET NX` on a key in database 0 and released at the end.
"""

from __future__ import annotations

import contextlib
import os
import re
import uuid

import sqlalchemy as sa
from sqlalchemy.engine import make_url

BASE_POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
BASE_REDIS_URL = os.environ.get("REDIS_URL_TEST") or os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")

_PREFIX = "sello_test_"
DATABASE_NAME = f"{_PREFIX}{os.getpid()}_{uuid.uuid4().hex[:6]}"
POSTGRES_URL = make_url(BASE_POSTGRES_URL).set(database=DATABASE_NAME).render_as_string(hide_password=False)
_ADMIN_URL = make_url(BASE_POSTGRES_URL).set(database="postgres")

_REDIS_CLAIM = "sello:test-redis-db:{}"
_REDIS_DATABASES = range(1, 16)  # database 0 holds only the claims
_claimed_redis_db: int | None = None
_database_created = False


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _admin_engine() -> sa.Engine:
    return sa.create_engine(_ADMIN_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})


def ensure_postgres_database() -> str | None:
    """Create this process's database (once); None when ready, else why PostgreSQL cannot be used."""
    global _database_created
    if _database_created:
        return None
    engine = _admin_engine()
    try:
        with engine.connect() as conn:
            names = conn.execute(sa.text("SELECT datname FROM pg_database WHERE datname LIKE 'sello\\_test\\_%'"))
            for (name,) in names.all():
                match = re.fullmatch(rf"{_PREFIX}(\d+)_[0-9a-f]+", name)
                if match and not _pid_alive(int(match[1])):
                    conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(sa.text(f'CREATE DATABASE "{DATABASE_NAME}"'))
        _database_created = True
        return None
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        return f"PostgreSQL not reachable at {_ADMIN_URL.render_as_string()}: {exc.__class__.__name__}: {exc}"
    finally:
        engine.dispose()


def drop_postgres_database() -> None:
    if not _database_created:
        return
    engine = _admin_engine()
    try:
        with engine.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{DATABASE_NAME}" WITH (FORCE)'))
    finally:
        engine.dispose()


def claim_redis_database() -> str | None:
    """Claim a free Redis database number for this process and point REDIS_URL_TEST at it (emptied)."""
    global _claimed_redis_db
    import redis

    base = BASE_REDIS_URL.rsplit("/", 1)[0]
    try:
        client = redis.Redis.from_url(f"{base}/0", socket_connect_timeout=2)
        for number in _REDIS_DATABASES:
            if client.set(_REDIS_CLAIM.format(number), os.getpid(), nx=True, ex=6 * 3600):
                _claimed_redis_db = number
                break
            holder = client.get(_REDIS_CLAIM.format(number))
            if holder is not None and not _pid_alive(int(holder)):
                client.set(_REDIS_CLAIM.format(number), os.getpid(), ex=6 * 3600)
                _claimed_redis_db = number
                break
        else:
            return None
        redis.Redis.from_url(f"{base}/{_claimed_redis_db}").flushdb()
        url = f"{base}/{_claimed_redis_db}"
        os.environ["REDIS_URL_TEST"] = url
        os.environ["TEST_REDIS_URL"] = url
        return url
    except (redis.RedisError, OSError, ValueError):
        return None  # tests that need Redis skip loudly (or fail under CI) when they try it


def release_redis_database() -> None:
    if _claimed_redis_db is None:
        return
    import redis

    base = BASE_REDIS_URL.rsplit("/", 1)[0]
    with contextlib.suppress(redis.RedisError, OSError):
        client = redis.Redis.from_url(f"{base}/0", socket_connect_timeout=2)
        if client.get(_REDIS_CLAIM.format(_claimed_redis_db)) == str(os.getpid()).encode():
            redis.Redis.from_url(f"{base}/{_claimed_redis_db}").flushdb()
            client.delete(_REDIS_CLAIM.format(_claimed_redis_db))
