"""Celery wired the Flask-docs way: tasks run inside the app context and take ids, never objects."""

from __future__ import annotations

from celery import Celery, Task
from flask import Flask

import worker.tasks  # noqa: F401 - its shared tasks are registered on every Celery app created after it


def celery_init_app(app: Flask) -> Celery:
    class FlaskTask(Task):
        def __call__(self, *args, **kwargs):
            with app.app_context():
                return self.run(*args, **kwargs)

    celery_app = Celery(app.name, task_cls=FlaskTask)
    celery_app.config_from_object(app.config["CELERY"])
    celery_app.set_default()
    app.extensions["celery"] = celery_app
    return celery_app
