"""Public: the registry of certified MFIs and certificate verification (no login)."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for

from certification.certificates import queries
from certification.seals.models import Area
from certification.ui import page_arg
from certification.validation import search_pattern

bp = Blueprint("certificates", __name__)


@bp.get("/registry")
def registry():
    area = request.args.get("area") or None
    if area not in {a.value for a in Area} | {None}:
        abort(400)
    q = request.args.get("q", "")
    page = queries.registry_page(page_arg(), area=area, q=search_pattern(q))
    return render_template("certificates/registry.html", page=page, area=area, q=q.strip())


@bp.get("/verify")
def verify_form():
    code = (request.args.get("code") or "").strip()
    if code:
        return redirect(url_for("certificates.verify", code=code))
    return render_template("certificates/verify.html", certificate=None, code="")


@bp.get("/verify/<code>")
def verify(code: str):
    certificate = queries.by_code(code)
    status = 200 if certificate else 404
    return render_template("certificates/verify.html", certificate=certificate, code=code), status
