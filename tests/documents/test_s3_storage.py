"""The S3-compatible storage against a local S3 server (moto's standalone server on loopback).

boto3 speaks real HTTP to it. moto is not in the test extras yet (see the issue #14 note), so this
module is skipped where it is not installed.
"""
from __future__ import annotations

import pytest

pytest.importorskip("moto.server")
boto3 = pytest.importorskip("boto3")

from moto.server import ThreadedMotoServer  # noqa: E402

from backend.documents import store  # noqa: E402
from backend.documents.tasks import issue_document  # noqa: E402

from .conftest import charge, customer, documents, write  # noqa: E402


@pytest.fixture
def s3_server(monkeypatch):
    from tests.mail.smtp_server import free_port

    for name, value in (("AWS_ACCESS_KEY_ID", "test"), ("AWS_SECRET_ACCESS_KEY", "test"),
                        ("AWS_DEFAULT_REGION", "us-east-1")):
        monkeypatch.setenv(name, value)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def test_pdfs_go_to_the_bucket_and_come_back(app, connection, client, auth_headers, s3_server, monkeypatch):
    settings = app.config["SETTINGS"]
    monkeypatch.setitem(settings.extra, "DOCUMENT_STORAGE", "s3://receipts/pdfs")
    monkeypatch.setitem(settings.extra, "S3_ENDPOINT_URL", s3_server)
    s3 = store.storage_from_settings(settings)
    assert isinstance(s3, store.S3Storage)
    raw = boto3.client("s3", endpoint_url=s3_server)
    raw.create_bucket(Bucket="receipts")
    monkeypatch.setitem(app.extensions, "chargedesk.documents.storage", s3)

    write(connection, customer(), charge("ch_1", 4200))
    issue_document(["receipt", connection.id, "ch_1"])
    doc = documents("receipt")[0]
    stored = raw.get_object(Bucket="receipts", Key=f"pdfs/{doc.storage_key}")["Body"].read()
    assert stored.startswith(b"%PDF")
    resp = client.get(f"/api/v1/documents/{doc.id}/pdf", headers=auth_headers)
    assert resp.status_code == 200 and resp.data == stored


def test_storage_setting_is_checked(app, monkeypatch):
    settings = app.config["SETTINGS"]
    monkeypatch.setitem(settings.extra, "DOCUMENT_STORAGE", "ftp://nope")
    with pytest.raises(ValueError, match="must be 'folder' or 's3://bucket/prefix'"):
        store.storage_from_settings(settings)
    monkeypatch.setitem(settings.extra, "DOCUMENT_STORAGE", "folder")
    assert isinstance(store.storage_from_settings(settings), store.FolderStorage)
