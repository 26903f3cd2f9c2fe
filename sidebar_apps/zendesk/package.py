"""Build the zip Zendesk accepts: manifest.json, translations/ and assets/ at the zip root.

No symlinks, no secrets, stable bytes (fixed timestamps, sorted names) so the same sources make
the same zip. The result is checked with validate.py before it is returned.
"""
from __future__ import annotations

import json
import zipfile
from pathlib import Path
from urllib.parse import urlsplit

from .validate import validate_package

APP_DIR = Path(__file__).resolve().parent
PACKAGED = ("manifest.json", "translations", "assets")
FIXED_TIME = (2024, 1, 1, 0, 0, 0)
SIDEBAR_PATH = "/sidebar/zendesk"


class PackageError(ValueError):
    """The package cannot be built; the message says what to fix."""


def package_files(*, backend_url: str | None = None, source: Path = APP_DIR) -> dict[str, bytes]:
    """{path in zip: bytes}; with `backend_url`, the sidebar_url setting defaults to our endpoint."""
    files: dict[str, bytes] = {}
    for entry in PACKAGED:
        for path in _walk(source / entry):
            files[path.relative_to(source).as_posix()] = path.read_bytes()
    if backend_url:
        files["manifest.json"] = _with_default_sidebar_url(files["manifest.json"], backend_url)
    return files


def build_zip(out: Path, *, backend_url: str | None = None, source: Path = APP_DIR) -> Path:
    """Write the zip to `out` after validating it; PackageError lists every problem."""
    files = package_files(backend_url=backend_url, source=source)
    errors = validate_package(files)
    if errors:
        raise PackageError("the Zendesk app package is invalid: " + "; ".join(errors))
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            info.external_attr = 0o100644 << 16  # a regular file, rw-r--r--
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, files[name])
    return out


def sidebar_url_for(backend_url: str) -> str:
    parts = urlsplit(backend_url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PackageError(f"--backend-url must be an absolute http(s) URL, got {backend_url!r}")
    if parts.scheme != "https" and parts.hostname not in ("localhost", "127.0.0.1"):
        raise PackageError("Zendesk loads apps over https only: use an https --backend-url")
    return backend_url.strip().rstrip("/") + SIDEBAR_PATH


def _with_default_sidebar_url(raw: bytes, backend_url: str) -> bytes:
    manifest = json.loads(raw)
    url = sidebar_url_for(backend_url)
    for parameter in manifest.get("parameters", []):
        if parameter.get("name") == "sidebar_url":
            parameter["default"] = url
    return (json.dumps(manifest, indent=2) + "\n").encode()


def _walk(path: Path) -> list[Path]:
    """Regular files under `path` (or `path` itself), refusing symlinks."""
    if path.is_symlink():
        raise PackageError(f"{path} is a symlink; Zendesk refuses symlinks in app packages")
    if path.is_file():
        return [path]
    found = []
    for child in sorted(path.iterdir()):
        if child.name.startswith(".") or child.name == "__pycache__":
            continue
        found += _walk(child)
    return found
