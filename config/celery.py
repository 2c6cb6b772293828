"""Celery settings: at-least-once delivery, JSON only, short broker timeouts for publishers, the beat schedule.

Every task is idempotent (it reloads rows by id and checks "already done"), so a message delivered twice —
after a worker was killed, or re-published by the outbox relay — leaves the same state as once.
"""

from __future__ import annotations

import os

from celery.schedules import crontab

# Retries back off exponentially up to this many seconds (a countdown the broker holds for us).
RETRY_BACKOFF_MAX = 600
# A task that runs longer is stopped (soft: an exception it can clean up after; hard: the child is killed).
TASK_SOFT_TIME_LIMIT = 1800
TASK_TIME_LIMIT = 1860
# Longer than any countdown or retry we schedule and than the longest task, so Redis never redelivers a
# message that is still waiting or running. Recovery after a hard crash does not wait for it: the outbox
# relay re-publishes a message whose claim ran out (certification/outbox/services.py).
VISIBILITY_TIMEOUT = int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", 2 * 24 * 3600))
if max(RETRY_BACKOFF_MAX, TASK_TIME_LIMIT) >= VISIBILITY_TIMEOUT:
    raise RuntimeError("CELERY_VISIBILITY_TIMEOUT must be longer than any retry countdown and task time limit")
# How often beat runs the outbox relay (seconds).
OUTBOX_RELAY_SECONDS = float(os.environ.get("OUTBOX_RELAY_SECONDS", 30))


def celery_settings(redis_url: str) -> dict:
    """Settings for `celery_init_app`; with no REDIS_URL tasks run in process after commit."""
    embedded = not redis_url
    return {
        "broker_url": redis_url or "memory://",
        "result_backend": None,
        "task_ignore_result": True,
        "task_always_eager": embedded,
        "task_eager_propagates": True,
        "task_serializer": "json",
        "accept_content": ["json"],
        "result_serializer": "json",
        "timezone": "UTC",
        "enable_utc": True,
        # At-least-once: ack after the task returns, and re-queue it when the child running it dies.
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "worker_cancel_long_running_tasks_on_connection_loss": True,
        "task_time_limit": TASK_TIME_LIMIT,
        "task_soft_time_limit": TASK_SOFT_TIME_LIMIT,
        # Publishing never waits for a broker that is down: the user's request goes on, the relay sends later.
        "task_publish_retry": False,
        "broker_connection_timeout": 1.0,
        "broker_connection_retry_on_startup": True,
        "broker_transport_options": {
            "visibility_timeout": VISIBILITY_TIMEOUT,
            "socket_connect_timeout": 1.0,
            "socket_timeout": 5.0,
            "max_retries": 0,  # kombu's own reconnect loop on publish (2 s with the defaults) — none
        },
        "beat_schedule": {
            "relay-outbox": {"task": "worker.tasks.relay_outbox", "schedule": OUTBOX_RELAY_SECONDS},
            "reminder-sweep": {"task": "worker.tasks.sweep_reminders", "schedule": crontab(minute=7)},
            "verify-records": {"task": "worker.tasks.verify_records", "schedule": crontab(hour=3, minute=17)},
        },
    }
