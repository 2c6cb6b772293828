"""Evidence uploads: streamed into the store while hashed, size-limited and sniffed, kept under a random name.

Every read is bounded: the upload is received in one pass and stops at the per-file limit (the declared
Content-Length, file name and type are never trusted), the sniffer reads a bounded window of it, and
storage is counted per application and per organisation under a lock on the organisation row.
"""

from __future__ import annotations

import unicodedata

from flask import current_app
from sqlalchemy import case, func, select
from werkzeug.utils import secure_filename

from certification.applications import queries as application_queries
from certification.applications.models import Application, HistoryEntry
from certification.applications.policies import is_member, may_edit_content
from certification.echo import listing
from certification.errors import Forbidden, NotEditable, NotFound, TooLarge, UnsupportedType, ValidationFailed
from certification.evidence.incoming import Incoming, open_incoming
from certification.evidence.models import Evidence
from certification.evidence.sniff import ALLOWED_LABEL, EXTENSIONS, sniff
from certification.evidence.storage import storage
from certification.extensions import db
from certification.organizations.models import Organization
from certification.outbox.services import commit, rollback
from certification.seals.models import Indicator
from workflows.messages import N_, Message

CHUNK = 64 * 1024
# An upload links to a handful of indicators; a standard has a few dozen. More codes than this is not a
# person choosing indicators, and each one would become a bound parameter of the lookup.
MAX_INDICATOR_CODES = 200
MAX_FILENAME_CHARS = 1000  # only 150 characters of the stem are kept; do not fold megabytes to get them


def clean_filename(name: str, content_type: str) -> str:
    """A display name safe anywhere: ASCII-folded, no path, with the extension of the sniffed type."""
    folded = unicodedata.normalize("NFKD", (name or "")[-MAX_FILENAME_CHARS:]).encode("ascii", "ignore").decode()
    stem = secure_filename(folded).rsplit(".", 1)[0][:150] or "evidence"
    return f"{stem}.{EXTENSIONS[content_type]}"


def upload(
    user, application_id: int, stream, filename: str, indicator_codes: list[str], description: str = ""
) -> Evidence:
    """Store one evidence file linked to indicators of the application. Nothing is kept if anything is wrong.

    Raises NotFound, Forbidden, NotEditable, ValidationFailed, TooLarge (413) or UnsupportedType (415).
    """
    application = application_queries.get_visible(user, application_id)
    if not is_member(user, application):
        raise Forbidden(N_("Only the applicant organisation's staff may upload evidence."))
    if not may_edit_content(user, application):
        raise NotEditable(N_("Evidence is frozen once the application is submitted."))
    codes = sorted({c.strip() for c in indicator_codes if c and c.strip()})
    if not codes:
        raise ValidationFailed({"indicators": [N_("Link the file to at least one indicator.")]})
    if len(codes) > MAX_INDICATOR_CODES:
        raise ValidationFailed({"indicators": [N_("Link the file to at most 200 indicators.")]})
    indicators = list(
        db.session.scalars(
            select(Indicator)
            .where(Indicator.standard_id == application.standard_id, Indicator.code.in_(codes))
            .order_by(Indicator.id)
        )
    )
    unknown = sorted(set(codes) - {i.code for i in indicators})
    if unknown:
        raise ValidationFailed({"indicators": [Message(N_("Unknown indicators: %(codes)s."), codes=listing(unknown))]})
    if len(description or "") > 2000:
        raise ValidationFailed({"description": [N_("At most 2000 characters.")]})

    max_file = current_app.config["EVIDENCE_MAX_FILE_BYTES"]
    # A first look without the lock stops the copy as soon as the file cannot fit; the locked check below decides.
    room = _storage_room(application, 0)
    # From the upload endpoints the file arrives already received into the store (one pass, incoming.py);
    # a caller with a plain stream has it copied in here the same way.
    incoming = stream if isinstance(stream, Incoming) else open_incoming()
    try:
        if incoming is not stream:
            incoming.fill_from(stream, CHUNK, stop=lambda size: size > room)
        if incoming.too_large:
            raise TooLarge(
                Message(N_("The file is larger than %(megabytes)d MB."), megabytes=max_file // (1024 * 1024))
            )
        if incoming.size > room:
            _storage_room(application, incoming.size)  # raises the limit that is reached
        if incoming.size == 0:
            raise ValidationFailed({"file": [N_("The file is empty.")]})
        content_type = sniff(incoming.sample())
        if content_type is None:
            raise UnsupportedType(
                Message(
                    N_("Allowed file types: %(types)s. The content of this file is none of them."), types=ALLOWED_LABEL
                )
            )
        db.session.execute(
            select(Organization.id).where(Organization.id == application.organization_id).with_for_update()
        )
        _storage_room(application, incoming.size)
        key = incoming.keep()
    finally:
        incoming.close()  # discards what was received unless it was kept
    store = storage()
    size = incoming.size
    evidence = Evidence(
        application_id=application.id, storage_key=key, filename=clean_filename(filename, content_type),
        size=size, sha256=incoming.sha256(), content_type=content_type, description=(description or "").strip(),
        uploaded_by_id=user.id, indicators=indicators,
    )  # fmt: skip
    db.session.add(evidence)
    try:
        commit()
    except BaseException:
        store.delete(key)
        raise
    return evidence


def stored_bytes(organization_id: int, application_id: int) -> tuple[int, int]:
    """Evidence bytes stored by the organisation (every application, withdrawn ones included) and by one
    of its applications, in one query."""
    row = db.session.execute(
        select(
            func.coalesce(func.sum(Evidence.size), 0),
            func.coalesce(func.sum(case((Evidence.application_id == application_id, Evidence.size), else_=0)), 0),
        )
        .join(Application, Application.id == Evidence.application_id)
        .where(Application.organization_id == organization_id)
    ).one()
    return int(row[0]), int(row[1])


def _storage_room(application, size: int) -> int:
    """Bytes still free for this application after a file of `size` bytes: TooLarge if that is below zero.

    Called again once the organisation row is locked (PostgreSQL), and that lock is held until the upload's
    transaction ends, so two uploads of one organisation at once are counted one after the other and cannot
    both fit in the last room left. Withdrawing an application keeps its evidence, so it keeps counting:
    create, upload, withdraw and start again frees nothing.
    """
    organization_used, application_used = stored_bytes(application.organization_id, application.id)
    config = current_app.config
    application_room = config["EVIDENCE_MAX_APPLICATION_BYTES"] - application_used - size
    organization_room = config["EVIDENCE_MAX_ORGANIZATION_BYTES"] - organization_used - size
    if application_room < 0:
        raise TooLarge(N_("This application's evidence would exceed its total storage limit."))
    if organization_room < 0:
        raise TooLarge(
            N_(
                "This file would take your organisation's evidence over its total storage limit. The evidence of "
                "every application counts, withdrawn ones included."
            )
        )
    return min(application_room, organization_room)


def visible_evidence(user, evidence_id: int) -> Evidence:
    """Evidence of an application the user may see; NotFound otherwise."""
    evidence = db.session.get(Evidence, evidence_id)
    if evidence is None:
        raise NotFound("evidence")
    application_queries.get_visible(user, evidence.application_id)
    return evidence


def _own_editable_evidence(user, evidence_id: int) -> tuple[Evidence, object]:
    """An evidence file the user's organisation uploaded, locked, while its application is editable."""
    from sqlalchemy.orm import selectinload

    evidence = db.session.scalar(
        select(Evidence).where(Evidence.id == evidence_id).options(selectinload(Evidence.indicators)).with_for_update()
    )
    if evidence is None:
        raise NotFound("evidence")
    application = application_queries.get_visible(user, evidence.application_id, for_update=True)
    if not is_member(user, application):
        raise Forbidden(N_("Only the applicant organisation's staff may change its evidence."))
    if not may_edit_content(user, application):
        raise NotEditable(N_("Evidence is frozen once the application is submitted."))
    return evidence, application


def _removal_history(application, evidence: Evidence, user, event: str):
    return HistoryEntry(
        application_id=application.id, event=event, from_state=application.state, to_state=application.state,
        actor_id=user.id, reason="",
        details={"evidence": evidence.id, "filename": evidence.filename, "sha256": evidence.sha256,
                 "size": evidence.size, "indicators": sorted(i.code for i in evidence.indicators)},
    )  # fmt: skip


def delete_evidence(user, evidence_id: int) -> None:
    """The MFI removes a file it uploaded while the application is editable: the row goes (freeing its
    quota) with a history row keeping its name, size and hash; the stored file is deleted after the commit."""
    evidence, application = _own_editable_evidence(user, evidence_id)
    key = evidence.storage_key
    db.session.add(_removal_history(application, evidence, user, "evidence_deleted"))
    db.session.delete(evidence)
    commit()
    storage().delete(key)


def replace_evidence(user, evidence_id: int, stream, filename: str, description: str | None = None) -> Evidence:
    """The MFI replaces a file it uploaded with a new one linked to the same indicators, in one unit of
    work: the old row is removed first, so the quota counts only the new file; on any refusal of the
    upload (type, size, quota) nothing changes."""
    evidence, application = _own_editable_evidence(user, evidence_id)
    key = evidence.storage_key
    codes = [i.code for i in evidence.indicators]
    text = evidence.description if description is None else description
    db.session.add(_removal_history(application, evidence, user, "evidence_replaced"))
    db.session.delete(evidence)
    db.session.flush()
    try:
        new = upload(user, application.id, stream, filename, codes, text)  # commits the removal with it
    except BaseException:
        rollback()
        raise
    storage().delete(key)
    return new
