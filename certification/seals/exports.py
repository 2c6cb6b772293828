"""The consultation comments of a version as CSV and XLSX, for the working group's minutes.

Comments are written by any logged-in person, so every cell is neutralised against spreadsheet formula
injection: in CSV a leading =, +, -, @, tab or CR gets a quote prefix; in XLSX such text is stored as a
string cell, never as a formula.
"""

from __future__ import annotations

import csv
import io

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES

from certification.seals.models import IndicatorComment, Standard

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def header() -> list[str]:
    return [
        _("Indicator"), _("Comment number"), _("Author"), _("Date"), _("Comment"), _("Proposed rewording"),
        _("Resolution"), _("Response"), _("Resolved by"), _("Resolved on"),
    ]  # fmt: skip


def rows(comments: list[IndicatorComment]) -> list[list[str]]:
    """One row per comment, texts as entered, dates as ISO 8601 UTC."""
    return [
        [
            c.indicator.code,
            str(c.id),
            c.author.name,
            c.created_at.isoformat(timespec="minutes"),
            c.body,
            c.proposed_text,
            _(c.status.value),
            c.response,
            c.resolved_by.name if c.resolved_by else "",
            c.resolved_at.isoformat(timespec="minutes") if c.resolved_at else "",
        ]  # fmt: skip
        for c in comments
    ]


def filename(standard: Standard, extension: str) -> str:
    return f"consultation-{standard.code}-{standard.version}.{extension}"


def _csv_safe(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_START) else value


def to_csv(comments: list[IndicatorComment]) -> bytes:
    """UTF-8 with a BOM so that spreadsheet programs open the accents right."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header())
    writer.writerows([_csv_safe(cell) for cell in row] for row in rows(comments))
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def xlsx_cell(sheet, value):
    """A value for a write-only row; text stays text, so a value starting with "=" is never a formula.

    openpyxl reads a string starting with "=" as a formula and one such as "#N/A" as an error, so only those need
    a cell object marked as text; every other value is appended as it is, which keeps large exports fast (the
    write-only sheet reuses one cell for them instead of an object per cell)."""
    if isinstance(value, str) and (value.startswith("=") or value in ERROR_CODES):
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell
    return value


def to_xlsx(standard: Standard, comments: list[IndicatorComment]) -> bytes:
    """A write-only workbook (constant memory however many comments)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=f"{standard.code} {standard.version}"[:31])
    sheet.append(header())
    for row in rows(comments):
        sheet.append([xlsx_cell(sheet, value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
