"""Entry point for `celery -A worker.celery_app worker|beat`."""

from celery.signals import worker_process_init

from app import create_app
from certification.extensions import db

flask_app = create_app()
celery = flask_app.extensions["celery"]


@worker_process_init.connect
def _dispose_inherited_pool(**_):
    # A forked child must not share the parent's database connections (close=False: leave the parent's be).
    with flask_app.app_context():
        db.engine.dispose(close=False)
