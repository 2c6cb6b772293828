"""Public pages of the seals (standards), in Spanish or English."""

from __future__ import annotations

from flask import Blueprint, abort, render_template

from certification.seals.models import StandardStatus
from certification.seals.queries import all_standards, standard_tree

bp = Blueprint("seals", __name__)

PUBLIC = (StandardStatus.PUBLISHED, StandardStatus.PILOT, StandardStatus.CONSULTATION, StandardStatus.RETIRED)


@bp.get("/standards")
def index():
    return render_template("seals/index.html", standards=[s for s in all_standards() if s.status in PUBLIC])


@bp.get("/standards/<int:standard_id>")
def detail(standard_id: int):
    standard = standard_tree(standard_id)
    if standard is None or standard.status not in PUBLIC:
        abort(404)
    return render_template("seals/detail.html", standard=standard)
