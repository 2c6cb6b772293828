"""A real S3 API on loopback for the bucket tests: moto's standalone server in its own process, on a free port.

It is the test double of the production store (MinIO, Ceph RGW or AWS S3): boto3 talks HTTP to it exactly as
it would to those. Each test gets a bucket of its own.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import boto3
import pytest

CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "sello-test",
    "AWS_SECRET_ACCESS_KEY": "sello-test-secret",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server on port {port} stopped at start")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing answers on port {port}")


@pytest.fixture(scope="session")
def s3_endpoint():
    """The URL of a moto S3 server started for this session (and stopped with it)."""
    port = free_port()
    binary = Path(sys.executable).with_name("moto_server")
    env = {**os.environ, **CREDENTIALS}
    process = subprocess.Popen([str(binary), "-H", "127.0.0.1", "-p", str(port)], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        wait_for_port(port, process)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def bucket(s3_endpoint, monkeypatch):
    """A fresh bucket, AWS credentials in the environment, and a client to look inside."""
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    name = f"sello-{uuid.uuid4().hex[:12]}"
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    client.create_bucket(Bucket=name)
    yield name, client
    client.close()


def bucket_settings(endpoint: str, name: str, **more) -> dict:
    return {"EVIDENCE_STORAGE": "s3", "EVIDENCE_S3_BUCKET": name, "EVIDENCE_S3_ENDPOINT_URL": endpoint,
            "EVIDENCE_S3_REGION": "us-east-1", "EVIDENCE_S3_PREFIX": "evidence/", **more}  # fmt: skip


def objects(client, name: str) -> list[str]:
    return [item["Key"] for item in client.list_objects_v2(Bucket=name).get("Contents", [])]


def pending_uploads(client, name: str) -> list[str]:
    return [item["Key"] for item in client.list_multipart_uploads(Bucket=name).get("Uploads", [])]
