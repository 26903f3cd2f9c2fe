"""Where PDFs live: an interface with an instance-folder implementation (default) and an S3 one.

CHARGEDESK_DOCUMENT_STORAGE picks it: unset or "folder" -> <instance>/documents; "s3://bucket/prefix"
-> S3-compatible object storage (CHARGEDESK_S3_ENDPOINT_URL for non-AWS servers; credentials the
usual AWS way). The PDF is rendered after the document's number is committed, so a document
whose worker died mid-render simply has no storage key yet: ensure_pdf() completes it.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Protocol

from flask import current_app
from sqlalchemy import select

from ..db import session
from ..models import Document, utcnow
from .render import render_pdf

_EXT = "chargedesk.documents.storage"


class DocumentStorage(Protocol):
    def put(self, key: str, data: bytes) -> None: ...
    def get(self, key: str) -> bytes: ...


class FolderStorage:
    """Files under a folder (the instance folder by default)."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise ValueError(f"storage key {key!r} leaves the storage folder")
        return path

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".part")
        tmp.write_bytes(data)
        tmp.replace(path)  # readers never see half a file

    def get(self, key: str) -> bytes:
        return self._path(key).read_bytes()


class S3Storage:
    """S3-compatible object storage through boto3 (installed separately: pip install boto3)."""

    def __init__(self, bucket: str, prefix: str = "", endpoint_url: str | None = None, client=None):
        if client is None:
            import boto3

            client = boto3.client("s3", endpoint_url=endpoint_url or None)
        self.client, self.bucket, self.prefix = client, bucket, prefix.strip("/")

    def _key(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def put(self, key: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data, ContentType="application/pdf")

    def get(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"].read()


def storage_from_settings(settings) -> DocumentStorage:
    spec = str(settings.extra.get("DOCUMENT_STORAGE") or "folder")
    if spec == "folder":
        return FolderStorage(Path(settings.instance_path) / "documents")
    if spec.startswith("s3://"):
        bucket, _, prefix = spec[len("s3://"):].partition("/")
        return S3Storage(bucket, prefix, settings.extra.get("S3_ENDPOINT_URL"))
    raise ValueError(f"CHARGEDESK_DOCUMENT_STORAGE must be 'folder' or 's3://bucket/prefix', not {spec!r}")


def storage() -> DocumentStorage:
    """The app's storage, made on first use."""
    ext = current_app.extensions
    if _EXT not in ext:
        ext[_EXT] = storage_from_settings(current_app.config["SETTINGS"])
    return ext[_EXT]


def storage_key(doc: Document) -> str:
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", doc.display_number)
    return f"{doc.account_id}/{doc.kind}/{doc.id}-{safe}.pdf"


def ensure_pdf(document_id: int) -> Document | None:
    """Render and store the PDF unless it is stored already; one renderer per document (row lock)."""
    s = session()
    doc = s.scalars(select(Document).where(Document.id == document_id).with_for_update()).one_or_none()
    if doc is None or doc.storage_key:
        s.commit()
        return doc
    key = storage_key(doc)
    storage().put(key, render_pdf(doc.content, locale=doc.locale))
    doc.storage_key, doc.rendered_at = key, utcnow()
    s.commit()
    return doc


def read_pdf(doc: Document) -> bytes:
    if not doc.storage_key:
        doc = ensure_pdf(doc.id)
    return storage().get(doc.storage_key)
