"""The official Help Scout apps SDK (`@helpscout/javascript-sdk`, npm) for the iframe app, never committed.

`scripts/bootstrap` installs the package (and its one dependency, `uuid`) into the git-ignored
sidebar_apps/vendor/node_modules. The npm build ships CommonJS modules only, so we wrap them,
unchanged, in a tiny module loader at serve time and publish `window.HelpScoutAppSDK` (the SDK's
own exports: `default` is the HelpScout instance, plus NOTIFICATION_TYPES ...). There is no CDN
build of this SDK: without the package the page says how to install it.
"""
from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path

from flask import Blueprint, Response, request, url_for

PACKAGE = "@helpscout/javascript-sdk"
VERSION = "0.10.0"
NODE_MODULES = Path(__file__).resolve().parent.parent / "vendor" / "node_modules"
# module id prefix -> folder of CommonJS files for the browser
SOURCES = {"@helpscout/javascript-sdk": NODE_MODULES / "@helpscout" / "javascript-sdk" / "dist" / "cjs",
           "uuid": NODE_MODULES / "uuid" / "dist" / "commonjs-browser"}
MISSING = ("window.HelpScoutAppSDK = null; window.HelpScoutAppSDKMissing = "
           + json.dumps(f"The {PACKAGE} npm package is not installed on this ChargeDesk server "
                        "(scripts/bootstrap installs it).") + ";\n")
LOADER = """  function resolve(from, name) {
    if (name.charAt(0) !== '.') { return defs[name + '/index'] ? name + '/index' : name; }
    var parts = from.split('/').slice(0, -1);
    name.replace(/\\.js$/, '').split('/').forEach(function (p) {
      if (p === '..') { parts.pop(); } else if (p !== '.') { parts.push(p); }
    });
    var id = parts.join('/');
    return defs[id] ? id : id + '/index';
  }
  function load(id) {
    if (!defs[id]) { throw new Error('ChargeDesk SDK bundle: no module ' + id); }
    if (!cache[id]) {
      var module = cache[id] = {exports: {}};
      defs[id].call(module.exports, module, module.exports, function (name) { return load(resolve(id, name)); });
    }
    return cache[id].exports;
  }
  window.HelpScoutAppSDK = load('@helpscout/javascript-sdk/index');"""

bp = Blueprint("helpscout_sdk", __name__)


def installed() -> bool:
    return all((folder / "index.js").is_file() for folder in SOURCES.values())


def script_url() -> str:
    return url_for("helpscout_sdk.script")


def bundle() -> str:
    return _bundle(tuple(SOURCES.items())) if installed() else MISSING


@lru_cache(maxsize=2)
def _bundle(sources: tuple[tuple[str, Path], ...]) -> str:
    """Every CommonJS module of the SDK and of uuid's browser build, keyed by module id."""
    parts = [f"/* {PACKAGE} {VERSION} (MIT) and uuid (MIT), npm builds wrapped by ChargeDesk at serve time */",
             "(function (window) {", "  'use strict';", "  var defs = {}, cache = {};"]
    for prefix, folder in sources:
        for path in sorted(folder.rglob("*.js")):
            module_id = prefix + "/" + path.relative_to(folder).with_suffix("").as_posix()
            source = path.read_text(encoding="utf-8").replace("//# sourceMappingURL=", "// sourceMappingURL: ")
            parts.append(f"  defs[{json.dumps(module_id)}] = function (module, exports, require) {{\n{source}\n}};")
    parts += [LOADER, "})(window);"]
    return "\n".join(parts) + "\n"


@bp.route("/sidebar/vendor/helpscout_sdk.js")
def script() -> Response:
    body = bundle()
    etag = hashlib.sha256(body.encode()).hexdigest()[:32]
    if request.if_none_match.contains(etag):
        return Response(status=304)
    resp = Response(body, mimetype="text/javascript")
    resp.set_etag(etag)
    resp.cache_control.public, resp.cache_control.max_age = True, 3600
    return resp
