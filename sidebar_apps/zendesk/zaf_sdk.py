"""The official Zendesk Apps Framework SDK for the sidebar page, never committed to the repo.

`scripts/bootstrap` installs the npm package `zendesk_app_framework_sdk` into a git-ignored
folder. Its npm build ships CommonJS modules only (lib/*.js), so we wrap them, unchanged, in a
tiny module loader at serve time and publish `window.ZAFClient`. Without the package the page
loads the SDK from Zendesk's CDN instead.
"""
from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path

from flask import Blueprint, Response, abort, request, url_for

PACKAGE = "zendesk_app_framework_sdk"
VERSION = "2.0.11"
PACKAGE_DIR = Path(__file__).resolve().parents[1] / "vendor" / "node_modules" / PACKAGE
CDN_URL = "https://static.zdassets.com/zendesk_app_framework_sdk/2.0/zaf_sdk.min.js"
MODULES = ("./index", "./client", "./utils", "./vendor/native-promise-only")

bp = Blueprint("zaf_sdk", __name__)


def installed() -> bool:
    return all((PACKAGE_DIR / "lib" / f"{name[2:]}.js").is_file() for name in MODULES)


def script_url() -> str:
    """Where the sidebar page loads the SDK from: our copy of the npm package, else Zendesk's CDN."""
    return url_for("zaf_sdk.script") if installed() else CDN_URL


def bundle() -> str:
    return _bundle(PACKAGE_DIR)


@lru_cache(maxsize=2)
def _bundle(package_dir: Path) -> str:
    """The SDK's CommonJS modules in one browser script exposing window.ZAFClient."""
    parts = [f"/* {PACKAGE} {VERSION} (Apache-2.0), wrapped by ChargeDesk at serve time */",
             "(function (window) {", "  var defs = {}, cache = {};"]
    for name in MODULES:
        source = (package_dir / "lib" / f"{name[2:]}.js").read_text(encoding="utf-8")
        parts.append(f"  defs[{json.dumps(name)}] = function (module, exports, require) {{\n{source}\n}};")
    parts += [
        "  function require(name) {",
        "    if (!cache[name]) { var module = cache[name] = {exports: {}};",
        "      defs[name].call(window, module, module.exports, require); }",
        "    return cache[name].exports;",
        "  }",
        "  window.ZAFClient = require('./index');",
        "})(window);",
    ]
    return "\n".join(parts) + "\n"


@bp.route("/sidebar/vendor/zaf_sdk.js")
def script() -> Response:
    if not installed():
        abort(404)
    body = bundle()
    etag = hashlib.sha256(body.encode()).hexdigest()[:32]
    if request.if_none_match.contains(etag):
        return Response(status=304)
    resp = Response(body, mimetype="text/javascript")
    resp.set_etag(etag)
    resp.cache_control.public, resp.cache_control.max_age = True, 3600
    return resp
