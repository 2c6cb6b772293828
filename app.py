"""The composition root: `flask --app app …` and `gunicorn "app:create_app()"`."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from certification import web
from certification.cli import register_cli
from config import load_config
from worker import celery_init_app

ROOT = Path(__file__).resolve().parent


def create_app(test_config: dict | None = None) -> Flask:
    """Build the Sello app for SELLO_CONFIG, with `test_config` overriding settings in tests."""
    app = Flask(
        "sello",
        root_path=str(ROOT),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(ROOT / "instance"),
    )
    name = (test_config or {}).get("SELLO_CONFIG")
    app.config.from_mapping(load_config(name))
    if test_config:
        app.config.update(test_config)
    Path(app.instance_path).mkdir(exist_ok=True)

    web.init_app(app)
    if app.config.get("TRUSTED_PROXIES", 0) > 0:
        # Only then are X-Forwarded-For/-Proto believed, and only as many hops as there are trusted proxies:
        # the client address counted by the login limits cannot be chosen by the client.
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
    register_cli(app)
    celery_init_app(app)
    return app
