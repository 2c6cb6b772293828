"""Loading the seal files into the database: idempotent, all or nothing, published versions unchanged."""

from __future__ import annotations

import shutil

import pytest
from sqlalchemy import select

from certification.extensions import db
from certification.seals.models import Dimension, Indicator, Standard
from certification.seals.services import PublishedVersionChanged, load_standards
from standards.loader import SEALS_DIR, StandardFileError, load_directory


def _count() -> tuple[int, int, int]:
    return tuple(db.session.scalar(select(db.func.count(m.id))) for m in (Standard, Dimension, Indicator))


def _new_version(directory, version: str = "9.9") -> None:
    text = (
        (SEALS_DIR / "gender-1.1.yaml").read_text(encoding="utf-8").replace('version: "1.1"', f'version: "{version}"')
    )
    (directory / f"gender-{version}.yaml").write_text(text, encoding="utf-8")


@pytest.fixture
def cleanup_new_versions(app):
    """Remove the versions a test loaded (not the shipped ones), with their tree."""
    shipped = {(s.code, s.version) for s in load_directory(SEALS_DIR)}
    yield
    db.session.rollback()
    for standard in db.session.scalars(select(Standard)).all():
        if (standard.code, standard.version) not in shipped:
            for model in (Indicator, Dimension):
                db.session.execute(model.__table__.delete().where(model.standard_id == standard.id))
            db.session.execute(Standard.__table__.delete().where(Standard.id == standard.id))
    db.session.commit()


def test_the_shipped_seals_are_loaded_and_loading_again_changes_nothing(app):
    before = _count()
    report = load_standards()
    assert report.created == []
    assert sorted(report.unchanged) == ["GEN 1.0", "GEN 1.1", "POV 1.0", "RUR 1.0"]
    assert _count() == before
    statuses = {(s.code, s.version): s.status.value for s in db.session.scalars(select(Standard))}
    assert statuses == {("GEN", "1.0"): "published", ("GEN", "1.1"): "consultation",
                        ("POV", "1.0"): "published", ("RUR", "1.0"): "published"}  # fmt: skip


def test_a_new_version_file_is_loaded_with_its_whole_tree(app, tmp_path, cleanup_new_versions):
    for name in ("gender-1.0.yaml", "poverty-1.0.yaml"):
        shutil.copy(SEALS_DIR / name, tmp_path / name)
    _new_version(tmp_path)

    report = load_standards(tmp_path)

    assert report.created == ["GEN 9.9"]
    new = db.session.scalar(select(Standard).where(Standard.code == "GEN", Standard.version == "9.9"))
    assert db.session.scalar(select(db.func.count(Indicator.id)).where(Indicator.standard_id == new.id)) == 16


def test_one_bad_file_among_good_ones_loads_nothing(app, tmp_path, cleanup_new_versions):
    _new_version(tmp_path, "9.8")
    bad = (SEALS_DIR / "poverty-1.0.yaml").read_text(encoding="utf-8").replace('version: "1.0"', 'version: "9.9"')
    bad = bad.replace("evidence: [", "evidence: [gossip, ", 1)
    (tmp_path / "poverty-9.9.yaml").write_text(bad, encoding="utf-8")
    before = _count()

    with pytest.raises(StandardFileError) as refused:
        load_standards(tmp_path)

    assert any(p.file == "poverty-9.9.yaml" and "gossip" in p.message for p in refused.value.problems)
    assert _count() == before


def test_a_changed_published_file_is_refused_and_nothing_else_is_loaded(app, tmp_path, cleanup_new_versions):
    _new_version(tmp_path, "9.7")  # sorted before the changed file: written first, then rolled back
    changed = (SEALS_DIR / "rural-1.0.yaml").read_text(encoding="utf-8").replace("weight: 2", "weight: 2.5", 1)
    (tmp_path / "rural-1.0.yaml").write_text(changed, encoding="utf-8")
    before = _count()

    with pytest.raises(PublishedVersionChanged, match="rural-1.0.yaml"):
        load_standards(tmp_path)

    assert _count() == before
    assert db.session.scalar(select(Standard).where(Standard.version == "9.7")) is None


def test_a_database_failure_half_way_rolls_the_whole_load_back(app, tmp_path, cleanup_new_versions, monkeypatch):
    from certification.seals import services

    _new_version(tmp_path, "9.5")
    (tmp_path / "poverty-9.6.yaml").write_text(
        (SEALS_DIR / "poverty-1.0.yaml").read_text(encoding="utf-8").replace('version: "1.0"', 'version: "9.6"'),
        encoding="utf-8",
    )
    real_build, calls = services._build, []

    def failing_build(spec, digest):
        calls.append(spec.version)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return real_build(spec, digest)

    monkeypatch.setattr(services, "_build", failing_build)
    before = _count()

    with pytest.raises(RuntimeError):
        load_standards(tmp_path)

    assert calls == ["9.5", "9.6"]
    assert _count() == before
