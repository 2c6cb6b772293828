"""Evidence in an S3-compatible bucket (EVIDENCE_STORAGE=s3), against a real S3 API on loopback (moto's server).

Uploads go into the bucket as they are received, downloads come back through Sello with the same safe
headers as from a local disk, deletes remove the object, and a refused or broken upload leaves neither an
object nor an unfinished multipart upload behind.
"""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import pytest
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from certification.evidence import operations
from certification.evidence.models import Evidence
from certification.evidence.services import upload
from certification.evidence.storage import LocalStorage, S3Storage, StorageError, b64, make_storage
from certification.extensions import db
from tests import factories as f
from tests.api.helpers import as_user, error_of
from tests.s3_server import bucket, bucket_settings, objects, pending_uploads, s3_endpoint  # noqa: F401
from tests.security.test_upload_bounds import run_probe
from tests.web.helpers import fresh_client

MB = 1024 * 1024


@pytest.fixture
def walk(app, monkeypatch):
    f.fast_password_hashing(monkeypatch)
    yield f.Walk()
    f.release_session()


@pytest.fixture
def in_bucket(app, bucket, s3_endpoint, monkeypatch):  # noqa: F811
    name, client = bucket
    for setting, value in bucket_settings(s3_endpoint, name, EVIDENCE_S3_PART_BYTES=5 * MB).items():
        monkeypatch.setitem(app.config, setting, value)
    monkeypatch.setitem(app.config, "EVIDENCE_MAX_FILE_BYTES", 20 * MB)
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 21 * MB)
    return name, client


def multipart(body: bytes, filename: str, **fields: str) -> dict:
    boundary, data = encode_multipart({**fields, "file": FileStorage(io.BytesIO(body), filename=filename)})
    return {"data": data, "content_type": f"multipart/form-data; boundary={boundary}"}


def pdf_of(size: int) -> bytes:
    return f.PDF + b"%" + b"x" * (size - len(f.PDF) - 2) + b"\n"


@pytest.mark.parametrize("size", [10_000, 12 * MB], ids=["one-put", "multipart"])
def test_an_upload_goes_into_the_bucket_and_comes_back_through_sello_with_the_safe_headers(app, walk, in_bucket, size):
    name, client = in_bucket
    body = pdf_of(size)
    api = as_user(app.test_client(), walk.applicant)
    answer = api.post(f"/applications/{walk.id}/evidence", **multipart(body, "informe anual.pdf",
                      indicators=walk.essential[0]))  # fmt: skip
    assert answer.status_code == 201, answer.get_json()
    evidence = db.session.get(Evidence, answer.get_json()["id"])
    assert evidence.sha256 == hashlib.sha256(body).hexdigest() and evidence.size == size
    assert objects(client, name) == [f"evidence/{evidence.storage_key}"]
    assert pending_uploads(client, name) == []
    assert client.get_object(Bucket=name, Key=f"evidence/{evidence.storage_key}")["Body"].read() == body
    assert not list(Path(app.config["EVIDENCE_DIR"]).rglob(evidence.storage_key))  # nothing on the local disk

    download = api.get(f"/evidence/{evidence.id}/content")
    assert download.status_code == 200 and download.get_data() == body
    assert download.headers["Content-Type"] == "application/pdf"
    assert download.headers["Content-Disposition"].startswith('attachment; filename="informe_anual.pdf"')
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.headers["Cache-Control"] == "private, no-store"
    assert download.headers["Content-Security-Policy"].startswith("sandbox")
    assert download.headers["Content-Length"] == str(size)


def test_deleting_evidence_removes_its_object_from_the_bucket(app, walk, in_bucket):
    name, client = in_bucket
    evidence = upload(walk.applicant, walk.id, io.BytesIO(pdf_of(5000)), "a.pdf", [walk.essential[0]])
    assert len(objects(client, name)) == 1
    web = fresh_client(app, walk.applicant)
    assert web.post(f"/evidence/{evidence.id}/delete").status_code == 303
    assert objects(client, name) == []


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [(b"MZ" + b"\0" * (12 * MB), 415, "unsupported_type"), (pdf_of(21 * MB - 4096), 413, "too_large")],
    ids=["refused-type-after-parts-were-sent", "over-the-file-limit"],
)
def test_a_refused_upload_leaves_no_object_and_no_unfinished_multipart_upload(app, walk, in_bucket, body, status,
                                                                              code):  # fmt: skip
    name, client = in_bucket
    api = as_user(app.test_client(), walk.applicant)
    answer = api.post(f"/applications/{walk.id}/evidence", **multipart(body, "x.pdf", indicators=walk.essential[0]))
    assert answer.status_code == status and error_of(answer)["code"] == code
    assert objects(client, name) == [] and pending_uploads(client, name) == []
    assert db.session.query(Evidence).count() == 0


def test_an_upload_over_the_organisation_cap_leaves_nothing_in_the_bucket(app, walk, in_bucket, monkeypatch):
    name, client = in_bucket
    monkeypatch.setitem(app.config, "EVIDENCE_MAX_ORGANIZATION_BYTES", 6 * MB)
    api = as_user(app.test_client(), walk.applicant)
    answer = api.post(f"/applications/{walk.id}/evidence", **multipart(pdf_of(7 * MB), "x.pdf",
                      indicators=walk.essential[0]))  # fmt: skip
    assert answer.status_code == 413
    assert objects(client, name) == [] and pending_uploads(client, name) == []


class CorruptingBucket:
    """The bucket's client, but every write is answered with the checksum of other bytes, as a store that
    damaged the file on its way would answer."""

    def __init__(self, client):
        self.client = client

    def __getattr__(self, name):
        return getattr(self.client, name)

    def _lie(self, answer: dict) -> dict:
        return {**answer, "ChecksumSHA256": b64(hashlib.sha256(b"other bytes").digest())}

    def put_object(self, **kwargs):
        return self._lie(self.client.put_object(**kwargs))

    def complete_multipart_upload(self, **kwargs):
        return self._lie(self.client.complete_multipart_upload(**kwargs))


@pytest.mark.parametrize("size", [1000, 6 * MB], ids=["one-put", "multipart"])
def test_a_file_whose_checksum_in_the_bucket_differs_from_ours_is_an_error_and_is_not_kept(app, in_bucket, size):
    """The store's SHA-256 of what it received is compared with ours (S3 itself also refuses a part or an
    object whose bytes do not match the SHA-256 sent with them)."""
    name, client = in_bucket
    store = S3Storage(CorruptingBucket(client), name, "evidence/", 5 * MB)
    receiver = store.receiver()
    body = pdf_of(size)
    receiver.write(body)
    with pytest.raises(StorageError):
        receiver.keep(hashlib.sha256(body).digest())
    assert objects(client, name) == [] and pending_uploads(client, name) == []


def test_local_evidence_moves_to_the_bucket_with_every_hash_verified(app, walk, in_bucket, monkeypatch):
    name, client = in_bucket
    monkeypatch.setitem(app.config, "EVIDENCE_STORAGE", "local")
    bodies = [pdf_of(3000), pdf_of(6 * MB), pdf_of(100)]
    stored = [upload(walk.applicant, walk.id, io.BytesIO(b), f"{i}.pdf", [walk.essential[0]]) for i, b in
              enumerate(bodies)]  # fmt: skip
    monkeypatch.setitem(app.config, "EVIDENCE_STORAGE", "s3")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["evidence", "verify"])
    assert result.exit_code == 1 and "BROKEN: 3 of 3" in result.output  # not in the bucket yet

    result = runner.invoke(args=["evidence", "migrate-to-bucket"])
    assert result.exit_code == 0, result.output
    assert "3 evidence file(s): 3 copied and verified, 0 already in the bucket" in result.output
    assert sorted(objects(client, name)) == sorted(f"evidence/{e.storage_key}" for e in stored)
    for evidence, body in zip(stored, bodies, strict=True):
        assert client.get_object(Bucket=name, Key=f"evidence/{evidence.storage_key}")["Body"].read() == body
    result = runner.invoke(args=["evidence", "verify"])
    assert result.exit_code == 0 and "intact: 3 evidence file(s)" in result.output

    again = runner.invoke(args=["evidence", "migrate-to-bucket"])
    assert "0 copied and verified, 3 already in the bucket" in again.output


def test_migration_refuses_a_local_file_whose_hash_differs_from_its_row(app, walk, in_bucket, monkeypatch):
    name, client = in_bucket
    monkeypatch.setitem(app.config, "EVIDENCE_STORAGE", "local")
    evidence = upload(walk.applicant, walk.id, io.BytesIO(pdf_of(3000)), "a.pdf", [walk.essential[0]])
    LocalStorage(app.config["EVIDENCE_DIR"]).path(evidence.storage_key).write_bytes(pdf_of(3001))
    report = operations.migrate(LocalStorage(app.config["EVIDENCE_DIR"]), make_storage({**app.config,
                                "EVIDENCE_STORAGE": "s3"}))  # fmt: skip
    assert report.copied == 0 and "does not match its recorded SHA-256" in report.problems[0]
    assert objects(client, name) == [] and pending_uploads(client, name) == []


BIG_UPLOAD_PROBE = """
    import json, os, resource, sys
    from pathlib import Path
    tmp, endpoint, bucket = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
    from werkzeug.security import generate_password_hash
    import certification.accounts.services as accounts
    accounts.generate_password_hash = lambda p: generate_password_hash(p, method="pbkdf2:sha256:1000")
    from app import create_app
    from certification.extensions import db
    from tests import factories as f
    from tests.api.helpers import as_user
    from tests.s3_server import bucket_settings

    size = 100 * 1024 * 1024
    app = create_app({"SELLO_CONFIG": "testing", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'probe.db'}",
                      "EVIDENCE_DIR": str(tmp / "evidence"), "EVIDENCE_MAX_FILE_BYTES": size + 1024,
                      "MAX_CONTENT_LENGTH": size + 1024 * 1024, "EVIDENCE_MAX_APPLICATION_BYTES": 4 * size,
                      **bucket_settings(endpoint, bucket)})
    with app.app_context():
        db.create_all()
        from certification.seals.services import load_standards
        load_standards()
        walk = f.Walk()
        api = as_user(app.test_client(), walk.applicant)
        boundary = "sello-probe-boundary"
        head = (f"--{boundary}\\r\\nContent-Disposition: form-data; name=\\"indicators\\"\\r\\n\\r\\n"
                f"{walk.essential[0]}\\r\\n--{boundary}\\r\\nContent-Disposition: form-data; name=\\"file\\"; "
                f"filename=\\"big.pdf\\"\\r\\nContent-Type: application/pdf\\r\\n\\r\\n").encode()
        tail = f"\\r\\n--{boundary}--\\r\\n".encode()

        def body_of(length, path):
            with path.open("wb") as out:
                out.write(head + f.PDF)
                block = b"x" * (1024 * 1024)
                left = length - len(f.PDF)
                while left:
                    out.write(block[:min(left, len(block))])
                    left -= min(left, len(block))
                out.write(tail)
            return path

        def post(body_path):
            with body_path.open("rb") as stream:
                return api.post(f"/applications/{walk.id}/evidence", input_stream=stream,
                                content_type=f"multipart/form-data; boundary={boundary}",
                                headers={"Content-Length": str(body_path.stat().st_size)})

        big = body_of(size, tmp / "big")
        # Warm every code path, a multipart upload of two parts included, with a file far smaller than the one
        # measured: a receiver that held the whole file would show the difference.
        post(body_of(12 * 1024 * 1024, tmp / "small"))
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        answer = post(big)
        growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - before
    print(json.dumps({"status": answer.status_code, "size": answer.get_json().get("size"), "rss_growth": growth}))
"""


def test_a_100_mb_upload_into_the_bucket_holds_little_memory(s3_endpoint, bucket, tmp_path):  # noqa: F811
    name, client = bucket
    result = run_probe(BIG_UPLOAD_PROBE, str(tmp_path), s3_endpoint, name)
    assert result["status"] == 201 and result["size"] == 100 * MB, result
    assert result["rss_growth"] < 32 * MB, result
    sizes = sorted(item["Size"] for item in client.list_objects_v2(Bucket=name)["Contents"])
    assert sizes == [12 * MB, 100 * MB]
    assert json.dumps(pending_uploads(client, name)) == "[]"


def test_evidence_verify_reports_uploads_a_killed_node_left_unfinished(app, in_bucket):
    name, client = in_bucket
    receiver = make_storage(app.config).receiver()
    receiver.write(b"%PDF-" + b"x" * (5 * MB))  # one part sent, then the process "dies": no keep, no discard
    result = app.test_cli_runner().invoke(args=["evidence", "verify"])
    assert result.exit_code == 0, result.output
    assert "note: 1 unfinished multipart upload(s)" in result.output
    assert objects(client, name) == []
    receiver.discard()
    assert pending_uploads(client, name) == []
