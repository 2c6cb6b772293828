"""The public registry as CSV and XLSX, with the registry page's filters, streamed like the staff exports.

Only what the registry page already shows anyone is written: valid certificates, their organisation, seal, level
and dates. Organisation names are typed by people, so text cells are neutralised against formula injection
(certification.applications.exports.csv_stream / xlsx_stream).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select

from certification.certificates.models import Certificate
from certification.certificates.queries import registry_filters
from certification.organizations.models import Organization
from certification.pagination import keyset_chunks
from certification.seals.models import Standard
from certification.types import utcnow

CHUNK = 500


def registry_header() -> list[str]:
    return [_("Certificate number"), _("Organisation"), _("Country"), _("Seal"), _("Level"), _("Issued"),
            _("Expires"), _("Status")]  # fmt: skip


def _status(expires_on: date, today: date) -> str:
    # The registry lists valid certificates; one past its date that no job has expired yet reads as expired,
    # as on its verify page.
    return _("expired") if expires_on < today else _("valid")


def registry_rows(area: str | None = None, q: str | None = None) -> Iterator[list]:
    """The registry's certificates, ordered by id, `CHUNK` at a time (keyset: no growing offset)."""
    locale = str(get_locale() or "es")
    today = utcnow().date()
    query = (
        select(Certificate.id, Certificate.number, Organization.name, Organization.country, Standard,
               Certificate.level, Certificate.issued_on, Certificate.expires_on)
        .join(Organization, Certificate.organization_id == Organization.id)
        .join(Standard, Certificate.standard_id == Standard.id)
        .where(*registry_filters(area=area, q=q))
    )  # fmt: skip
    for rows in keyset_chunks(query, Certificate.id, CHUNK):
        for r in rows:
            yield [r.number, r.name, r.country, f"{r.Standard.title(locale)} {r.Standard.version}",
                   r.Standard.level_name(r.level, locale), r.issued_on.isoformat(), r.expires_on.isoformat(),
                   _status(r.expires_on, today)]  # fmt: skip
