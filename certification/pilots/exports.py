"""A pilot round's summary as an XLSX workbook and a PDF report, for the working group and its funders.

Round names, organisation names and indicator codes are typed by people, so XLSX text cells are written as text
(never formulas), with the consultation export's cell helper.
"""

from __future__ import annotations

import io
from urllib.parse import quote

from flask import Response, render_template
from flask_babel import gettext as _
from openpyxl import Workbook

from certification.certificates.documents import write_pdf
from certification.seals.exports import XLSX as XLSX  # the views send it with the workbook
from certification.seals.exports import xlsx_cell


def filename(pilot_round, extension: str) -> str:
    return f"pilot-round-{pilot_round.id}-summary.{extension}"


def download(content: bytes, name: str, mimetype: str) -> Response:
    return Response(content, mimetype=mimetype, headers={
        "Content-Disposition": f"attachment; filename=\"{name}\"; filename*=UTF-8''{quote(name)}",
        "Cache-Control": "private, no-store",
        "X-Content-Type-Options": "nosniff",
    })  # fmt: skip


def _round(value):
    return None if value is None else round(value, 3)


def to_xlsx(context: dict) -> bytes:
    """Two sheets: outcomes (by state, level, country) and the per-indicator figures. Write-only workbook."""
    pilot_round, figures = context["round"], context["summary"]
    workbook = Workbook(write_only=True)
    outcomes = workbook.create_sheet(title=_("Outcomes")[:31])

    def row(sheet, *values):
        sheet.append([xlsx_cell(sheet, value) for value in values])

    row(outcomes, _("Pilot round"), pilot_round.name)
    row(outcomes, _("Country"), pilot_round.country)
    row(outcomes, _("Status"), _(figures["status"]))
    row(outcomes, _("Closed at"), figures["closed_at"] or "")
    row(outcomes, _("Applications"), figures["applications"])
    row(outcomes)
    row(outcomes, _("By state"), _("Applications"))
    for state, n in figures["outcomes"]["by_state"].items():
        row(outcomes, _(state), n)
    row(outcomes)
    row(outcomes, _("By level"), _("Applications"))
    for level, n in figures["outcomes"]["by_level"].items():
        row(outcomes, level, n)
    for country, states in figures["outcomes"].get("by_country", {}).items():
        row(outcomes)
        row(outcomes, _("Country %(country)s", country=country), _("Applications"))
        for state, n in states.items():
            row(outcomes, _(state), n)
    sheet = workbook.create_sheet(title=_("Indicators")[:31])
    row(sheet, _("Indicator"), _("Applications scored"), _("Mean self-rating"), _("Mean consensus"), _("Mean gap"),
        _("Disagreements"), _("Krippendorff's alpha"), _("Flagged"), _("Consultation comments"))  # fmt: skip
    for item in figures["indicators"]:
        row(sheet, item["code"], item["applications"], _round(item["mean_self"]), _round(item["mean_consensus"]),
            _round(item["mean_gap"]), item["disagreements"], _round(item["alpha"]),
            _("yes") if item["flagged"] else "", item["comments"])  # fmt: skip
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def to_pdf(context: dict) -> bytes:
    """The summary page as an archival PDF, charts included (the same SVG as the web page)."""
    return write_pdf(render_template("pdf/round_summary.html", **context))
