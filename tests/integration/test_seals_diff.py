"""The side-by-side diff of two versions of a seal: indicators added, removed, reworded, reweighted."""

from __future__ import annotations

from certification.seals.queries import standard_tree, version_diff
from tests.seals_support import version


def test_gender_1_1_against_1_0_shows_each_kind_of_change(app):
    old, new = standard_tree(version("GEN", "1.0").id), standard_tree(version("GEN", "1.1").id)

    diff = version_diff(old, new)

    assert diff.codes("added") == ["GEN.C.5"]
    assert diff.codes("removed") == ["GEN.D.3"]
    assert set(diff.codes("reworded")) == {"GEN.A.2", "GEN.B.3", "GEN.C.2"}
    assert set(diff.codes("reweighted")) == {"GEN.B.1", "GEN.B.2"}
    unchanged = [row.code for row in diff.indicators if not row.changed]
    assert "GEN.A.1" in unchanged and "GEN.D.1" in unchanged
    assert diff.settings == [] and diff.dimensions == []
    b1 = next(row for row in diff.indicators if row.code == "GEN.B.1")
    assert (b1.left.weight, b1.right.weight) == (2, 1.5)
    # Every indicator of either version appears once: the new order first, then what was removed.
    assert [row.code for row in diff.indicators][-1] == "GEN.D.3"
    assert len(diff.indicators) == 17


def test_a_version_against_itself_has_no_change(app):
    tree = standard_tree(version("POV", "1.0").id)
    diff = version_diff(tree, tree)
    assert not any(row.changed for row in diff.indicators)
    assert diff.settings == [] and diff.dimensions == []


def test_the_diff_reports_changed_settings_and_dimension_weights(app):
    old, new = standard_tree(version("GEN", "1.0").id), standard_tree(version("GEN", "1.1").id)
    # Compare against an in-memory variant (never flushed) with calibrated values.
    new.pass_threshold = 65.0
    new.dimensions[1].weight = 2.0
    try:
        diff = version_diff(old, new)
        assert ("pass_threshold", 60.0, 65.0) in diff.settings
        assert diff.dimensions == [("GEN.B", 1.5, 2.0)]
    finally:
        from certification.extensions import db

        db.session.rollback()
