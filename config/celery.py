"""Celery settings: at-least-once delivery, JSON only, and the beat schedule."""

from __future__ import annotations

from celery.schedules import crontab

# Longer than any countdown or retry we schedule, so Redis never redelivers a task that is still running.
VISIBILITY_TIMEOUT = 2 * 24 * 3600


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
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "task_time_limit": 600,
        "task_soft_time_limit": 540,
        "broker_connection_retry_on_startup": True,
        "broker_transport_options": {"visibility_timeout": VISIBILITY_TIMEOUT},
        "beat_schedule": {
            "relay-outbox": {"task": "worker.tasks.relay_outbox", "schedule": 60.0},
            "reminder-sweep": {"task": "worker.tasks.sweep_reminders", "schedule": crontab(minute=7)},
        },
    }
