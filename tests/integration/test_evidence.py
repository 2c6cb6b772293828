"""Evidence uploads and downloads: types sniffed from content, limits, nothing left behind."""

from __future__ import annotations

import hashlib
import io
import struct
import zipfile
import zlib
from pathlib import Path

import pytest
from sqlalchemy import func, select

from certification.errors import NotEditable, NotFound, TooLarge, UnsupportedType, ValidationFailed
from certification.evidence import sniff
from certification.evidence.models import Evidence
from certification.evidence.services import upload
from certification.extensions import db
from tests import factories as f
from tests.web.helpers import fresh_client, normalised


@pytest.fixture(autouse=True)
def _session(app, monkeypatch):
    f.fast_password_hashing(monkeypatch)
    yield
    f.release_session()


# --- real minimal files -----------------------------------------------------------------------------------


def pdf() -> bytes:
    return f.PDF


def png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def jpeg() -> bytes:
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    return b"\xff\xd8" + app0 + b"\xff\xd9"


def zipped(entries: dict[str, bytes], first: str | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        if first:
            archive.writestr(zipfile.ZipInfo(first), entries[first], compress_type=zipfile.ZIP_STORED)
        for name, data in entries.items():
            if name != first:
                archive.writestr(name, data)
    return buffer.getvalue()


CONTENT_TYPES = b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'


def docx() -> bytes:
    return zipped({"[Content_Types].xml": CONTENT_TYPES, "word/document.xml": b"<w:document/>"})


def xlsx() -> bytes:
    return zipped({"[Content_Types].xml": CONTENT_TYPES, "xl/workbook.xml": b"<workbook/>"})


def odf(mimetype: str) -> bytes:
    return zipped({"mimetype": mimetype.encode(), "content.xml": b"<office:document-content/>"}, first="mimetype")


def csv() -> bytes:
    return b"sucursal;clientas;cartera\nCajamarca;1200;350000\nPiura;980;280000\n"


ALLOWED = [
    ("informe.pdf", pdf, sniff.PDF, "pdf"),
    ("foto.png", png, sniff.PNG, "png"),
    ("foto.jpeg", jpeg, sniff.JPEG, "jpg"),
    ("politica.docx", docx, sniff.DOCX, "docx"),
    ("cartera.xlsx", xlsx, sniff.XLSX, "xlsx"),
    ("acta.odt", lambda: odf(sniff.ODT), sniff.ODT, "odt"),
    ("metas.ods", lambda: odf(sniff.ODS), sniff.ODS, "ods"),
    ("datos.csv", csv, sniff.CSV, "csv"),
]

HOSTILE = [
    ("x.pdf", b"<html><body><script>alert(1)</script></body></html>"),
    ("x.pdf", b"  <!DOCTYPE html><html><img src=x onerror=alert(1)></html>"),
    ("setup.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64),
    ("a%00.pdf", b"<html>null byte name</html>"),
    ("../../x.pdf", b"<html>traversal</html>"),
    ("x.pdf", b"#!/bin/sh\nrm -rf /\n"),
    ("x.docx", zipped({"payload.exe": b"MZ\x90\x00", "readme.txt": b"hola"})),
    ("x.docx", zipped({"[Content_Types].xml": CONTENT_TYPES, "word/other.xml": b"<x/>"})),
    ("x.odt", zipped({"mimetype": b"application/x-msdownload", "content.xml": b"<x/>"}, first="mimetype")),
    ("x.pdf", b"PK\x03\x04 not really a zip archive at all"),
    ("x.svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'),
    ("x.json", b'{"a": 1, "b": 2}'),
]


def files_under(root: str) -> set[Path]:
    return {p for p in Path(root).rglob("*") if p.is_file()}


def evidence_count() -> int:
    return db.session.scalar(select(func.count(Evidence.id)))


# --- types ----------------------------------------------------------------------------------------------


def test_each_allowed_type_is_recognised_from_its_content(app):
    walk = f.Walk()
    for _name, make, content_type, extension in ALLOWED:
        body = make()
        # The declared name lies about the type: only the content counts.
        evidence = upload(walk.applicant, walk.id, io.BytesIO(body), "documento.bin", [walk.indicators[0].code])
        assert evidence.content_type == content_type, extension
        assert evidence.filename == f"documento.{extension}"
        assert evidence.size == len(body)
        assert evidence.sha256 == hashlib.sha256(body).hexdigest()


def test_a_file_of_another_type_is_refused_and_nothing_is_left_behind(app):
    walk = f.Walk()
    root = app.config["EVIDENCE_DIR"]
    before_files, before_rows = files_under(root), f.database_rows()
    for index, (name, body) in enumerate(HOSTILE):
        with pytest.raises(UnsupportedType):
            upload(walk.applicant, walk.id, io.BytesIO(body), name, [walk.essential[0]])
        assert files_under(root) == before_files, (index, name)
        assert f.database_rows() == before_rows, (index, name)


def test_an_empty_file_is_refused_and_nothing_is_left_behind(app):
    walk = f.Walk()
    root = app.config["EVIDENCE_DIR"]
    before = files_under(root)
    with pytest.raises(ValidationFailed):
        upload(walk.applicant, walk.id, io.BytesIO(b""), "vacio.pdf", [walk.essential[0]])
    assert files_under(root) == before and evidence_count() == 0


HOSTILE_NAMES = ["a%00.pdf", "a\x00.pdf", "../../x.pdf", "..\\..\\x.pdf", "/etc/passwd", "<b>.pdf"]


def test_a_hostile_name_on_a_real_pdf_is_neutralised_and_the_file_stays_inside_the_store(app):
    walk = f.Walk()
    root = Path(app.config["EVIDENCE_DIR"]).resolve()
    for name in HOSTILE_NAMES:
        before = files_under(str(root))
        evidence = upload(walk.applicant, walk.id, io.BytesIO(pdf()), name, [walk.essential[0]])
        added = files_under(str(root)) - before
        assert len(added) == 1, name
        stored = added.pop().resolve()
        assert stored.is_relative_to(root) and "incoming" not in stored.parts
        assert stored.name == evidence.storage_key
        assert all(ch not in evidence.filename for ch in ("/", "\\", "\x00", "..", "<", "%00")), evidence.filename
        assert evidence.filename.endswith(".pdf")


def test_the_stored_name_is_random_and_the_hash_and_size_are_recorded(app):
    walk = f.Walk()
    body = pdf() + "% informe anual de desempeño social\n".encode()
    first = upload(walk.applicant, walk.id, io.BytesIO(body), "informe.pdf", [walk.essential[0]])
    second = upload(walk.applicant, walk.id, io.BytesIO(body), "informe.pdf", [walk.essential[0]])
    assert first.storage_key != second.storage_key
    for evidence in (first, second):
        assert len(evidence.storage_key) >= 32 and evidence.storage_key.isalnum()
        assert "informe" not in evidence.storage_key
        path = Path(app.config["EVIDENCE_DIR"]) / evidence.storage_key[:2] / evidence.storage_key
        assert path.read_bytes() == body
        assert (evidence.size, evidence.sha256) == (len(body), hashlib.sha256(body).hexdigest())
        assert evidence.uploaded_by_id == walk.applicant.id


# --- limits ---------------------------------------------------------------------------------------------


def test_a_file_over_the_per_file_limit_is_refused_and_nothing_is_stored(app, monkeypatch):
    walk = f.Walk()
    monkeypatch.setitem(app.config, "EVIDENCE_MAX_FILE_BYTES", 1024)
    root = app.config["EVIDENCE_DIR"]
    before_files, before_rows = files_under(root), f.database_rows()
    with pytest.raises(TooLarge):
        upload(walk.applicant, walk.id, io.BytesIO(pdf() + b"0" * 1024), "grande.pdf", [walk.essential[0]])
    assert files_under(root) == before_files
    assert f.database_rows() == before_rows
    exactly = pdf() + b"0" * (1024 - len(pdf()))
    assert upload(walk.applicant, walk.id, io.BytesIO(exactly), "justo.pdf", [walk.essential[0]]).size == 1024


def test_the_per_application_quota_is_enforced(app, monkeypatch):
    walk = f.Walk()
    body = pdf() + b"1" * 600
    monkeypatch.setitem(app.config, "EVIDENCE_MAX_APPLICATION_BYTES", len(body) * 2 + 10)
    upload(walk.applicant, walk.id, io.BytesIO(body), "uno.pdf", [walk.essential[0]])
    upload(walk.applicant, walk.id, io.BytesIO(body), "dos.pdf", [walk.essential[0]])
    root = app.config["EVIDENCE_DIR"]
    before_files, before_rows = files_under(root), f.database_rows()
    with pytest.raises(TooLarge):
        upload(walk.applicant, walk.id, io.BytesIO(body), "tres.pdf", [walk.essential[0]])
    assert files_under(root) == before_files
    assert f.database_rows() == before_rows
    other = f.Walk()
    assert upload(other.applicant, other.id, io.BytesIO(body), "otra.pdf", [other.essential[0]]).size == len(body)


def test_unknown_or_missing_indicators_are_refused_before_anything_is_written(app):
    walk = f.Walk()
    root = app.config["EVIDENCE_DIR"]
    before = files_under(root)
    for codes in ([], ["", "  "], ["NOPE.1"], ["POV.A.1"]):
        with pytest.raises(ValidationFailed):
            upload(walk.applicant, walk.id, io.BytesIO(pdf()), "x.pdf", codes)
    assert files_under(root) == before and evidence_count() == 0


# --- when evidence may change ---------------------------------------------------------------------------


def test_evidence_is_frozen_after_submit_and_open_again_when_changes_are_requested(app):
    walk = f.Walk().submit()
    root = app.config["EVIDENCE_DIR"]
    before_files, count = files_under(root), evidence_count()
    with pytest.raises(NotEditable):
        upload(walk.applicant, walk.id, io.BytesIO(pdf()), "tarde.pdf", [walk.essential[0]])
    assert files_under(root) == before_files and evidence_count() == count
    walk.fire(walk.facilitator, "return_to_applicant", "Falta el acta.", [walk.essential[0]])
    added = upload(walk.applicant, walk.id, io.BytesIO(pdf()), "acta.pdf", [walk.essential[0]])
    assert added.id and evidence_count() == count + 1


def test_only_the_organisations_staff_may_upload(app):
    walk = f.Walk()
    outsider, unassigned = f.applicant(), f.reviewer()
    before = f.database_rows()
    with pytest.raises(NotFound):
        upload(outsider, walk.id, io.BytesIO(pdf()), "x.pdf", [walk.essential[0]])
    with pytest.raises(NotFound):
        upload(unassigned, walk.id, io.BytesIO(pdf()), "x.pdf", [walk.essential[0]])
    from certification.errors import Forbidden

    with pytest.raises(Forbidden):
        upload(walk.facilitator, walk.id, io.BytesIO(pdf()), "x.pdf", [walk.essential[0]])
    assert f.database_rows() == before


# --- downloads ------------------------------------------------------------------------------------------


def test_a_download_is_an_attachment_that_no_browser_will_render(app):
    walk = f.Walk()
    body = png() + b"<html><script>alert(1)</script></html>"  # a PNG/HTML polyglot is still served inert
    evidence = upload(walk.applicant, walk.id, io.BytesIO(body), "fotografía del taller.png", [walk.essential[0]])
    response = fresh_client(app, walk.applicant).get(f"/evidence/{evidence.id}")
    assert response.status_code == 200
    assert response.data == body
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=UTF-8''{evidence.filename}" in disposition
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "private, no-store"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert response.mimetype == "image/png"


def test_a_download_is_404_for_other_organisations_and_unassigned_reviewers(app):
    walk = f.Walk().submit().assign(accept=True)
    outsider, unassigned = f.applicant(), f.reviewer()
    anonymous = fresh_client(app).get(f"/evidence/{walk.evidence_id}")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    allowed = [walk.applicant, walk.reviewers[0], walk.facilitator, f.user("admin")]
    for person in allowed:
        assert fresh_client(app, person).get(f"/evidence/{walk.evidence_id}").status_code == 200, person.role
    for person in (outsider, unassigned):
        client = fresh_client(app, person)
        refused = client.get(f"/evidence/{walk.evidence_id}")
        nothing = client.get("/evidence/999999")
        assert refused.status_code == nothing.status_code == 404, person.role
        assert normalised(refused) == normalised(nothing)
