"""The Alembic migrations build exactly the schema the models declare, on SQLite and on PostgreSQL."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from app import create_app
from certification.extensions import db
from tests.conftest import POSTGRES_URL, _postgres_reachable, service_missing


def _diff_after_upgrade(url: str, tmp_path) -> list:
    app = create_app({"SELLO_CONFIG": "testing", "SQLALCHEMY_DATABASE_URI": url, "EVIDENCE_DIR": str(tmp_path)})
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": True})
            diff = compare_metadata(context, db.metadata)
        downgrade(revision="base")
        remaining = set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"}
        db.engine.dispose()
    return diff, remaining


def test_migrations_build_the_models_schema_on_sqlite(tmp_path):
    diff, remaining = _diff_after_upgrade(f"sqlite:///{tmp_path / 'm.db'}", tmp_path)
    assert diff == []
    assert remaining == set(), "downgrade to base removes every table"


def test_migrations_build_the_models_schema_on_postgresql(tmp_path):
    if problem := _postgres_reachable():
        service_missing(problem)
    name = f"sello_mig_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(POSTGRES_URL.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        diff, remaining = _diff_after_upgrade(POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}", tmp_path)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    assert diff == []
    assert remaining == set()
