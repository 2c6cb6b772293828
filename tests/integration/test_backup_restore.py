"""The backup story of the README, run: a pg_dump of the database and a copy of the evidence store, restored
into a new database beside the copied files, and every evidence row finds its file with its hash intact."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from app import create_app
from certification.evidence.models import Evidence
from certification.evidence.services import upload
from certification.extensions import db
from certification.seals.services import load_standards
from tests import factories as f
from tests import services
from tests.conftest import service_missing

pytestmark = pytest.mark.postgres


def libpq_url(url: str) -> str:
    """The SQLAlchemy URL as pg_dump and pg_restore read it (no "+driver")."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture
def databases():
    """Two empty databases of their own: the one backed up and the one restored into."""
    problem = services.ensure_postgres_database()
    if problem:
        service_missing(problem)
    if shutil.which("pg_dump") is None or shutil.which("pg_restore") is None:
        service_missing("pg_dump and pg_restore are not installed")
    names = [f"{services._PREFIX}{os.getpid()}_{uuid.uuid4().hex[:6]}" for _ in range(2)]
    admin = services._admin_engine()
    with admin.connect() as connection:
        for name in names:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield [make_url(services.BASE_POSTGRES_URL).set(database=n).render_as_string(hide_password=False) for n in names]
    with admin.connect() as connection:
        for name in names:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_a_restored_dump_and_evidence_copy_find_every_file_with_its_hash(databases, tmp_path, monkeypatch):
    original, restored = databases
    f.fast_password_hashing(monkeypatch)
    live = create_app({"SELLO_CONFIG": "testing", "SQLALCHEMY_DATABASE_URI": original,
                       "EVIDENCE_DIR": str(tmp_path / "live-evidence")})  # fmt: skip
    with live.app_context():
        db.create_all()
        load_standards()
        walk = f.Walk()
        bodies = [f.PDF + b"%" + bytes([65 + i]) * (1000 * (i + 1)) + b"\n" for i in range(4)]
        for i, body in enumerate(bodies):
            upload(walk.applicant, walk.id, io.BytesIO(body), f"acta-{i}.pdf", [walk.essential[0]])
        expected = sorted((e.storage_key, e.sha256) for e in db.session.query(Evidence))
        db.session.remove()
        db.engine.dispose()

    # The backup: the database first, then the evidence (a file uploaded in between is only an orphan).
    dump = tmp_path / "sello.dump"
    subprocess.run(["pg_dump", "--format=custom", "--no-owner", f"--file={dump}", libpq_url(original)], check=True)
    shutil.copytree(tmp_path / "live-evidence", tmp_path / "copied-evidence", ignore=shutil.ignore_patterns("incoming"))

    subprocess.run(["pg_restore", "--no-owner", "--exit-on-error", f"--dbname={libpq_url(restored)}", str(dump)],
                   check=True)  # fmt: skip
    again = create_app({"SELLO_CONFIG": "testing", "SQLALCHEMY_DATABASE_URI": restored,
                        "EVIDENCE_DIR": str(tmp_path / "copied-evidence")})  # fmt: skip
    with again.app_context():
        assert sorted((e.storage_key, e.sha256) for e in db.session.query(Evidence)) == expected
        result = again.test_cli_runner().invoke(args=["evidence", "verify"])
        db.session.remove()
        db.engine.dispose()
    assert result.exit_code == 0, result.output
    assert result.output.startswith("intact: 4 evidence file(s)")
