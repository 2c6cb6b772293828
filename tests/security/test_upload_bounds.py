"""An upload costs a small fixed amount of memory and work, whatever the file claims about itself.

The reviewed attack: a 1 MB .odt whose `mimetype` entry claims 40 bytes and inflates to 1 GiB took a web
worker from 150 MB to 2.2 GB, and a ZIP of 250,000 entries cost +136 MB per upload. Memory is measured in a
fresh subprocess (peak RSS and tracemalloc), so that nothing this test process holds hides or fakes a peak.
The hostile files are generated into tmp_path by tests/security/hostile_files.py.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from certification.errors import ValidationFailed
from certification.evidence import sniff
from certification.evidence.models import Evidence
from certification.evidence.services import upload
from certification.extensions import db
from tests import factories as f
from tests.api.helpers import as_user, error_of
from tests.security import hostile_files as hostile
from tests.web.helpers import fresh_client

ROOT = Path(__file__).resolve().parents[2]
CEILING_BYTES = 20 * 1024 * 1024  # above the process's own peak before the hostile file
TRACED_CEILING_BYTES = 4 * 1024 * 1024  # what the sniffer itself allocates (a 2 MiB directory at most)


@pytest.fixture(scope="session")
def corpus(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("hostile")


def run_probe(script: str, *args: str) -> dict:
    """Run `script` in a fresh interpreter at the project root; it prints one JSON object last."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(script), *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


SNIFF_PROBE = """
    import json, resource, sys, tracemalloc
    from certification.evidence.sniff import sniff

    class Counting:
        # Counts every byte the sniffer asks for: the bound on reads is the bound on work.
        def __init__(self, handle):
            self.handle, self.read_bytes = handle, 0
        def read(self, size=-1):
            data = self.handle.read(size)
            self.read_bytes += len(data)
            return data
        def seek(self, *args):
            return self.handle.seek(*args)
        def tell(self):
            return self.handle.tell()

    with open(sys.argv[1], "rb") as handle:
        stream = Counting(handle)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        tracemalloc.start()
        found = sniff(stream)
        traced_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"found": found, "rss_growth": after - before, "traced_peak": traced_peak,
                      "read_bytes": stream.read_bytes}))
"""


@pytest.mark.parametrize("name", sorted(hostile.CORPUS))
def test_the_sniffer_reads_a_bounded_part_of_any_hostile_file_in_little_memory(corpus, name):
    path = hostile.write(corpus, name)
    result = run_probe(SNIFF_PROBE, str(path))
    assert result["found"] == hostile.CORPUS[name][1]
    assert result["rss_growth"] < CEILING_BYTES, result
    assert result["traced_peak"] < TRACED_CEILING_BYTES, result
    assert result["read_bytes"] <= sniff.MAX_SNIFF_READ, result


def test_the_bounds_leave_real_documents_alone():
    """Limits that refused real files would be no fix: ODF with a deflated or stored `mimetype`, ZIP64
    end records, a comment after the directory, a workbook of thousands of entries."""
    odt_deflated = hostile.build_zip([hostile.Entry(b"mimetype", hostile.deflated(sniff.ODS.encode()), method=8,
                                                    size=len(sniff.ODS)), hostile.odt_entries()[1]])  # fmt: skip
    images = [hostile.Entry(b"xl/media/image%04d.png" % i, b"") for i in range(sniff.MAX_ZIP_ENTRIES - 2)]
    workbook = [
        hostile.Entry(b"[Content_Types].xml", hostile.CONTENT_TYPES),
        hostile.Entry(b"xl/workbook.xml", b"<w/>"),
    ]
    cases = {
        hostile.build_zip(hostile.odt_entries()): sniff.ODT,
        odt_deflated: sniff.ODS,
        hostile.build_zip(hostile.docx_entries(), hostile.Ending(zip64=True)): sniff.DOCX,
        hostile.build_zip(hostile.docx_entries(), hostile.Ending(comment=b"Microsoft Office")): sniff.DOCX,
        hostile.build_zip(workbook + images): sniff.XLSX,
    }
    for body, expected in cases.items():
        assert sniff.sniff(io.BytesIO(body)) == expected
    one_too_many = hostile.build_zip(workbook + images + [hostile.Entry(b"xl/media/extra.png", b"")])
    assert sniff.sniff(io.BytesIO(one_too_many)) is None


UPLOAD_PROBE = """
    import io, json, resource, sys
    from pathlib import Path

    tmp, bomb, flood = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    from werkzeug.security import generate_password_hash
    import certification.accounts.services as accounts
    # A cheap KDF: the product's scrypt costs tens of MB per login, which is not what is measured here.
    accounts.generate_password_hash = lambda p: generate_password_hash(p, method="pbkdf2:sha256:1000")

    from app import create_app
    from certification.errors import DomainError
    from certification.evidence.services import upload
    from certification.extensions import db
    from tests import factories as f
    from tests.api.helpers import as_user
    from tests.web.helpers import fresh_client

    app = create_app({"SELLO_CONFIG": "testing", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'probe.db'}",
                      "EVIDENCE_DIR": str(tmp / "evidence")})
    outcome = {}
    with app.app_context():
        db.create_all()
        from certification.seals.services import load_standards
        load_standards()
        walk = f.Walk()
        code = walk.essential[0]
        web, api = fresh_client(app, walk.applicant), as_user(app.test_client(), walk.applicant)
        url = f"/applications/{walk.id}/evidence"

        def post_web(body):
            return web.post(url, data={"file": (io.BytesIO(body), "acta.odt"), "indicators": code},
                            content_type="multipart/form-data").status_code

        def post_api(body):
            return api.post(url, data={"file": (io.BytesIO(body), "acta.odt"), "indicators": code},
                            content_type="multipart/form-data").status_code

        def through_service(path):
            with path.open("rb") as handle:
                try:
                    upload(walk.applicant, walk.id, handle, "x.docx", [code])
                except DomainError as exc:
                    return type(exc).__name__
            return "stored"

        # Warm every code path once (imports, templates, first queries) before the baseline.
        post_web(f.PDF), post_api(f.PDF), through_service(Path(sys.argv[4]))
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        bomb_bytes = bomb.read_bytes()
        outcome["web"] = post_web(bomb_bytes)
        outcome["api"] = post_api(bomb_bytes)
        del bomb_bytes
        outcome["service_bomb"] = through_service(bomb)
        outcome["service_flood"] = through_service(flood)
        outcome["rss_growth"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - before
        db.session.rollback()
        from sqlalchemy import func, select
        from certification.evidence.models import Evidence
        outcome["stored"] = db.session.scalar(select(func.count(Evidence.id)))
    print(json.dumps(outcome))
"""


def test_the_mimetype_bomb_and_the_entry_flood_cost_a_worker_little_memory_through_the_web_form_the_api_and_the_service(
    corpus, tmp_path
):
    bomb = hostile.write(corpus, "odt_mimetype_bomb")
    flood = hostile.write(corpus, "entry_flood")
    warm_up = tmp_path / "warm.pdf"
    warm_up.write_bytes(f.PDF)
    result = run_probe(UPLOAD_PROBE, str(tmp_path), str(bomb), str(flood), str(warm_up))
    # The web form answers with a redirect and an error message, the API with 415; nothing is stored.
    assert (result["web"], result["api"]) == (303, 415), result
    assert result["service_bomb"] == result["service_flood"] == "UnsupportedType", result
    assert result["stored"] == 3, result  # the three warm-up PDFs only
    assert result["rss_growth"] < CEILING_BYTES, result


# --- the same requests against the real app (SQLite and PostgreSQL): refused, nothing kept ---------------------


@pytest.fixture
def walk(app, monkeypatch):
    f.fast_password_hashing(monkeypatch)
    yield f.Walk()
    f.release_session()


def multipart(body: bytes, filename: str, **fields: str) -> dict:
    """Request arguments for a multipart upload, encoded in memory (the test client spools bodies over 500 kB
    to a temporary file it never closes)."""
    values = {**fields, "file": FileStorage(io.BytesIO(body), filename=filename)}
    boundary, data = encode_multipart(values)
    return {"data": data, "content_type": f"multipart/form-data; boundary={boundary}"}


def files_under(root: str) -> set[Path]:
    return {p for p in Path(root).rglob("*") if p.is_file()}


@pytest.mark.parametrize("name", ["odt_mimetype_bomb", "entry_flood", "giant_directory_comments"])
def test_a_hostile_archive_uploaded_through_the_web_form_or_the_api_is_refused_and_nothing_is_kept(
    app, walk, corpus, name
):
    body = hostile.write(corpus, name).read_bytes()
    root = app.config["EVIDENCE_DIR"]
    before_files, before_rows = files_under(root), f.database_rows()
    url = f"/applications/{walk.id}/evidence"
    web = fresh_client(app, walk.applicant)
    answer = web.post(url, **multipart(body, "acta.odt", indicators=walk.essential[0]))
    assert answer.status_code == 303
    page = web.get(answer.headers["Location"]).get_data(as_text=True)
    assert "PDF, DOCX, XLSX, ODT, ODS, CSV, PNG, JPEG" in page
    api = as_user(app.test_client(), walk.applicant)
    answer = api.post(url, **multipart(body, "acta.odt", indicators=walk.essential[0]))
    assert answer.status_code == 415 and error_of(answer)["code"] == "unsupported_type"
    assert files_under(root) == before_files
    after_rows = f.database_rows()
    assert after_rows["evidence"] == before_rows["evidence"] == []
    assert db.session.query(Evidence).count() == 0


def test_a_flood_of_indicator_codes_is_refused_with_a_short_answer_before_any_query(app, walk):
    """Each code would be a bound parameter of one query (a 500 past the driver's limit) and be echoed back.
    The API's `indicators` field holds at most 500 characters; the web form's list is bounded here."""
    flood = [f"Z{i}" for i in range(40_000)]
    web = fresh_client(app, walk.applicant)
    answer = web.post(f"/applications/{walk.id}/evidence", data={"file": (f.pdf_stream(), "a.pdf"),
                      "indicators": ",".join(flood)}, content_type="multipart/form-data")  # fmt: skip
    assert answer.status_code == 303
    assert len(answer.headers.get("Set-Cookie", "")) < 4096
    page = web.get(answer.headers["Location"]).get_data(as_text=True)
    assert "200" in page and "Z39999" not in page
    with pytest.raises(ValidationFailed) as refused:
        upload(walk.applicant, walk.id, f.pdf_stream(), "a.pdf", flood)
    assert refused.value.fields == {"indicators": ["Link the file to at most 200 indicators."]}
    assert db.session.query(Evidence).count() == 0


def test_the_declared_name_and_type_of_an_upload_are_not_trusted(app, walk):
    """A multi-megabyte name is cut before it is folded; the part's Content-Type plays no part."""
    name = "é" * 200_000 + ".html"
    api = as_user(app.test_client(), walk.applicant)
    answer = api.post(f"/applications/{walk.id}/evidence",
                      data={"file": (f.pdf_stream(), name, "text/html"), "indicators": walk.essential[0]},
                      content_type="multipart/form-data")  # fmt: skip
    assert answer.status_code == 201, answer.get_json()
    body = answer.get_json()
    assert body["content_type"] == "application/pdf" and body["filename"].endswith(".pdf")
    assert len(body["filename"]) <= 160


# Werkzeug stops parsing the form mid-file and drops the spool file it was writing without closing it;
# CPython frees it at once, but the -W error run would report the ResourceWarning as this test's failure.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_streamed_upload_without_content_length_is_cut_at_the_request_limit(app, walk, monkeypatch):
    """A chunked body declares no length: the server stops reading at MAX_CONTENT_LENGTH and answers 413."""
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 64 * 1024)
    request = multipart(f.PDF + b"%" + b"x" * (256 * 1024), "a.pdf", indicators=walk.essential[0])
    api = as_user(app.test_client(), walk.applicant)
    chunked = {"wsgi.input_terminated": True, "HTTP_TRANSFER_ENCODING": "chunked"}
    answer = api.post(f"/applications/{walk.id}/evidence", input_stream=io.BytesIO(request["data"]),
                      content_type=request["content_type"], environ_overrides=chunked)  # fmt: skip
    assert answer.request.content_length is None
    assert answer.status_code == 413 and error_of(answer)["code"] == "too_large"
    assert db.session.query(Evidence).count() == 0


def test_a_content_length_that_lies_gets_a_clean_refusal(app, walk):
    """Fewer bytes declared than sent: only the declared bytes are read, a cut form is a bad request."""
    request = multipart(f.PDF, "a.pdf", indicators=walk.essential[0])
    api = as_user(app.test_client(), walk.applicant)
    for declared in (10, len(request["data"]) // 2):
        lying = {"CONTENT_LENGTH": str(declared)}
        answer = api.post(f"/applications/{walk.id}/evidence", data=request["data"],
                          content_type=request["content_type"], environ_overrides=lying)  # fmt: skip
        assert 400 <= answer.status_code < 500, answer.get_data()[:300]
        assert error_of(answer)["code"] in ("bad_request", "validation_error")
    assert db.session.query(Evidence).count() == 0
