"""Offline check of a Zendesk app package: a Python port of zendesk_apps_support's rules.

zcli validates only against a live Zendesk account, so we apply the same manifest, location,
parameter, translation and package rules here (reference: shared/reference/helpdesks.md §1.2).
`validate_package(files)` returns readable error strings; empty means the package passes.
"""
from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any, Mapping
from urllib.parse import urlsplit

FRAMEWORK_VERSIONS = ("2.0",)
REQUIRED_KEYS = ("author", "defaultLocale")
BOOLEAN_KEYS = ("requirementsOnly", "marketingOnly", "singleInstall", "signedUrls", "private")
STRING_KEYS = ("defaultLocale", "version", "frameworkVersion", "remoteInstallationURL", "termsConditionsURL",
               "gaID")
PARAMETER_TYPES = ("text", "checkbox", "url", "number", "multiline", "hidden", "oauth")
SECURE_SCOPES = ("header", "body", "url", "jwt_secret_key", "jwt_claim", "basic_auth_username",
                 "basic_auth_password")
OAUTH_KEYS = ("client_id", "client_secret", "authorize_uri", "access_token_uri")
LOCATIONS = {
    "support": ("top_bar", "nav_bar", "ticket_sidebar", "new_ticket_sidebar", "user_sidebar",
                "organization_sidebar", "background", "modal", "ticket_editor", "system_top_bar"),
    "chat": ("chat_sidebar", "background"),
    "standalone_chat": ("nav_bar", "system_top_bar"),
    "sell": ("top_bar", "deal_card", "person_card", "company_card", "lead_card", "background", "modal"),
}
PRODUCT_ALIASES = {"zendesk": "support"}
LOCATION_OPTION_BOOLEANS = ("autoLoad", "autoHide", "flexible", "signed")
LOCALE_RE = re.compile(r"^[a-z]{2,3}(-\w{2,3})?$")
PUBLIC_TRANSLATION_KEYS = ("name", "short_description", "installation_instructions", "long_description")
LOGOS = {"assets/logo.png": (320, 320), "assets/logo-small.png": (128, 128)}
SECRET_PATTERNS = (re.compile(rb"-----BEGIN (?:RSA |EC |OPENSSH )?PRIVATE KEY-----"),
                   re.compile(rb"\b(?:sk|rk)_live_[0-9a-zA-Z]{10,}"), re.compile(rb"\bAKIA[0-9A-Z]{16}\b"))


def validate_zip(path: str | Path) -> list[str]:
    """Errors of a packaged zip (symlinks and nesting included)."""
    with zipfile.ZipFile(path) as archive:
        symlinks = [i.filename for i in archive.infolist() if (i.external_attr >> 16) & 0o170000 == 0o120000]
        files = {i.filename: archive.read(i) for i in archive.infolist() if not i.is_dir()}
    return [f"{name}: symlinks are not allowed in an app package" for name in symlinks] + validate_package(files)


def validate_package(files: Mapping[str, bytes]) -> list[str]:
    """Every rule over {relative path: bytes}; [] when Zendesk would accept it."""
    if "manifest.json" not in files:
        nested = [n for n in files if re.fullmatch(r"[^/]+/manifest\.json", n)]
        return [f"manifest.json must be at the root of the package, found {nested[0]}" if nested
                else "manifest.json is missing"]
    try:
        manifest = json.loads(files["manifest.json"])
    except ValueError as exc:
        return [f"manifest.json is not valid JSON: {exc}"]
    if not isinstance(manifest, dict):
        return ["manifest.json must be a JSON object"]
    return (manifest_errors(manifest, files) + translation_errors(manifest, files)
            + logo_errors(files) + secret_errors(files))


def manifest_errors(manifest: dict, files: Mapping[str, bytes]) -> list[str]:
    errors = [f"manifest is missing required key {k}" for k in REQUIRED_KEYS if manifest.get(k) is None]
    errors += _type_errors(manifest) + _url_errors(manifest) + _oauth_errors(manifest)
    errors += parameter_errors(manifest.get("parameters"))
    if manifest.get("requirementsOnly") is True or manifest.get("marketingOnly") is True:
        errors += ["a requirements-only or marketing-only app has no location"] if manifest.get("location") else []
        return errors
    if manifest.get("frameworkVersion") is None:
        errors.append("manifest is missing required key frameworkVersion")
    elif manifest["frameworkVersion"] not in FRAMEWORK_VERSIONS:
        errors.append(f"frameworkVersion {manifest['frameworkVersion']!r} is not served; use one of "
                      + ", ".join(FRAMEWORK_VERSIONS))
    if manifest.get("noTemplate"):
        errors.append("noTemplate is not supported by framework version 2")
    return errors + location_errors(manifest.get("location"), files)


def _type_errors(manifest: dict) -> list[str]:
    errors = [f"{k} must be true or false, not {manifest[k]!r}" for k in BOOLEAN_KEYS
              if k in manifest and not isinstance(manifest[k], bool)]
    errors += [f"{k} must be a string" for k in STRING_KEYS if k in manifest and not isinstance(manifest[k], str)]
    author = manifest.get("author")
    if author is not None and not isinstance(author, dict):
        errors.append("author must be an object with name, email and url")
    elif isinstance(author, dict):
        errors += [f"author {k} must be a string" for k in ("name", "email", "url")
                   if author.get(k) is not None and not isinstance(author[k], str)]
    whitelist = manifest.get("domainWhitelist")
    if whitelist is not None and not (isinstance(whitelist, list) and all(isinstance(d, str) for d in whitelist)):
        errors.append("domainWhitelist must be an array of strings")
    if "experiments" in manifest and not isinstance(manifest["experiments"], dict):
        errors.append("experiments must be an object")
    return errors


def _url_errors(manifest: dict) -> list[str]:
    author = manifest.get("author") if isinstance(manifest.get("author"), dict) else {}
    checks = {"author url": author.get("url"), "termsConditionsURL": manifest.get("termsConditionsURL")}
    return [f"{label} must start with http:// or https://" for label, value in checks.items()
            if isinstance(value, str) and not re.match(r"^https?://", value)]


def _oauth_errors(manifest: dict) -> list[str]:
    oauth = manifest.get("oauth")
    if oauth is None:
        return []
    if not isinstance(oauth, dict):
        return ["oauth must be an object"]
    errors = [f"oauth is missing {k}" for k in OAUTH_KEYS if not oauth.get(k)]
    params = manifest.get("parameters") if isinstance(manifest.get("parameters"), list) else []
    if not any(isinstance(p, dict) and p.get("type") == "oauth" for p in params):
        errors.append("an app with an oauth section needs a parameter of type oauth")
    return errors


def parameter_errors(parameters: Any) -> list[str]:
    if parameters is None:
        return []
    if not isinstance(parameters, list) or not all(isinstance(p, dict) for p in parameters):
        return ["parameters must be an array of objects"]
    names = [p.get("name") for p in parameters]
    errors = [f"duplicate parameter {n}" for n in sorted({n for n in names if names.count(n) > 1}, key=str)]
    errors += ["parameter needs a name" for n in names if not isinstance(n, str) or not n]
    errors += ["a parameter cannot be called name" for n in names if n == "name"]
    for p in parameters:
        errors += _one_parameter_errors(p)
    if sum(1 for p in parameters if p.get("type", "text") == "oauth") > 1:
        errors.append("only one oauth parameter is allowed")
    return errors


def _one_parameter_errors(p: dict) -> list[str]:
    name, kind = p.get("name"), p.get("type", "text")
    errors = [f"parameter {name}: {k} must be true or false" for k in ("required", "secure")
              if k in p and not isinstance(p[k], bool)]
    if kind not in PARAMETER_TYPES:
        errors.append(f"parameter {name}: invalid type {kind!r} (use {', '.join(PARAMETER_TYPES)})")
    if kind == "hidden" and p.get("required") is True:
        errors.append(f"parameter {name}: a hidden parameter cannot be required")
    if kind == "oauth" and p.get("secure") is True:
        errors.append(f"parameter {name}: an oauth parameter cannot be secure")
    scopes = p.get("scopes")
    if scopes is not None:
        if p.get("secure") is not True:
            errors.append(f"parameter {name}: scopes are only allowed on secure parameters")
        elif not isinstance(scopes, list) or any(s not in SECURE_SCOPES for s in scopes):
            errors.append(f"parameter {name}: scopes must be among {', '.join(SECURE_SCOPES)}")
    return errors


def location_errors(location: Any, files: Mapping[str, bytes]) -> list[str]:
    if not location:
        return ["manifest is missing required key location"]
    if not isinstance(location, dict) or not all(isinstance(v, dict) for v in location.values()):
        return ["location must map products (support, chat, sell) to locations with URLs"]
    errors = []
    for product, entries in location.items():
        known = LOCATIONS.get(PRODUCT_ALIASES.get(product, product))
        if known is None:
            errors.append(f"unknown product {product!r} in location")
            continue
        for name, options in entries.items():
            if name not in known:
                errors.append(f"invalid location {name!r} for {product}")
            errors += _location_option_errors(f"{product}.{name}", options, files)
    return errors


def _location_option_errors(where: str, options: Any, files: Mapping[str, bytes]) -> list[str]:
    if isinstance(options, str):
        options = {"url": options}
    if not isinstance(options, dict):
        return [f"location {where} must be a URL or an object with url"]
    errors = [f"location {where}: {k} must be true or false" for k in LOCATION_OPTION_BOOLEANS
              if k in options and not isinstance(options[k], bool)]
    url = options.get("url")
    if options.get("legacy") or url == "_legacy":
        errors.append(f"location {where}: legacy locations are not allowed in framework version 2")
    elif isinstance(url, str) and url:
        errors += [] if _valid_location_url(url, files) else [
            f"location {where}: url {url!r} must be https (or localhost) or a file under assets/ in the package"]
    elif options.get("autoLoad", True):
        errors.append(f"location {where} has no url")
    return errors


def _valid_location_url(url: str, files: Mapping[str, bytes]) -> bool:
    if "{{setting." in url:
        return True
    parts = urlsplit(url)
    if parts.scheme:
        return parts.scheme == "https" or parts.hostname == "localhost"
    return parts.path.startswith("assets/") and parts.path in files


def translation_errors(manifest: dict, files: Mapping[str, bytes]) -> list[str]:
    errors, locale = [], manifest.get("defaultLocale")
    if isinstance(locale, str):
        if not LOCALE_RE.match(locale):
            errors.append(f"defaultLocale {locale!r} is not a locale like en or pt-br")
        elif f"translations/{locale}.json" not in files:
            errors.append(f"translations/{locale}.json (the default locale) is missing")
    for path in sorted(n for n in files if re.fullmatch(r"translations/[^/]+\.json", n)):
        is_default = path == f"translations/{locale}.json"
        errors += _translation_file_errors(path, files[path], manifest, is_default=is_default)
    return errors


def _translation_file_errors(path: str, raw: bytes, manifest: dict, *, is_default: bool) -> list[str]:
    if not LOCALE_RE.match(path[len("translations/"):-len(".json")]):
        return [f"{path}: the file name is not a valid locale"]
    try:
        data = json.loads(raw)
    except ValueError:
        return [f"{path} is not valid JSON"]
    app = data.get("app") if isinstance(data, dict) else None
    if not isinstance(app, dict):
        return [f"{path} must be an object with an app section"]
    labels = app.get("parameters", {})
    if not isinstance(labels, dict):
        return [f"{path}: app.parameters must be an object of {{name: {{label: ...}}}}"]
    errors = [f"{path}: app.parameters.{name} needs a label" for name, leaf in labels.items()
              if not (isinstance(leaf, dict) and "label" in leaf)]
    if is_default:
        wanted = ("name",) if manifest.get("private", True) is True else PUBLIC_TRANSLATION_KEYS
        errors += [f"{path}: app.{key} is required" for key in wanted if not app.get(key)]
    return errors


def logo_errors(files: Mapping[str, bytes]) -> list[str]:
    from PIL import Image, UnidentifiedImageError

    errors = []
    for path, size in LOGOS.items():
        if path not in files:
            errors.append(f"{path} is missing")
            continue
        try:
            image = Image.open(io.BytesIO(files[path]))
            actual, kind = image.size, image.format
        except (UnidentifiedImageError, OSError):
            errors.append(f"{path} is not an image")
            continue
        if kind != "PNG" or actual != size:
            errors.append(f"{path} must be a {size[0]}x{size[1]} PNG, found {kind} {actual[0]}x{actual[1]}")
    return errors


def secret_errors(files: Mapping[str, bytes]) -> list[str]:
    """Zendesk's secrets scanner warns; we refuse: no private keys or live tokens in a package."""
    return [f"{path} looks like it contains a secret" for path, raw in sorted(files.items())
            if any(p.search(raw) for p in SECRET_PATTERNS)]
