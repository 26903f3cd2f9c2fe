"""The ZAF app bundle: `chargedesk apps package zendesk` builds a zip Zendesk's rules accept."""
from __future__ import annotations

import copy
import io
import json
import os
import stat
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from sidebar_apps.zendesk.package import APP_DIR, PackageError, build_zip, package_files
from sidebar_apps.zendesk.validate import validate_package, validate_zip
from tests.conftest import run_cli


@pytest.fixture(scope="module")
def good_files() -> dict[str, bytes]:
    return package_files()


def test_cli_builds_a_valid_zip_with_files_at_the_root(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHARGEDESK_")}
    out = tmp_path / "chargedesk-zendesk.zip"
    result = run_cli(["apps", "package", "zendesk", "--out", str(out), "--backend-url", "https://billing.acme.test/"],
                     env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == str(out.resolve())
    assert validate_zip(out) == []
    with zipfile.ZipFile(out) as archive:
        names = sorted(archive.namelist())
        manifest = json.loads(archive.read("manifest.json"))
        modes = {i.filename: i.external_attr >> 16 for i in archive.infolist()}
    assert names == ["assets/logo-small.png", "assets/logo.png", "manifest.json", "translations/en.json"]
    assert all(stat.S_ISREG(mode) for mode in modes.values())
    assert manifest["parameters"][0]["default"] == "https://billing.acme.test/sidebar/zendesk"
    assert run_cli(["apps", "validate", "zendesk", str(out)], env=env).returncode == 0


def test_manifest_declares_a_signed_server_side_sidebar(good_files):
    manifest = json.loads(good_files["manifest.json"])
    assert manifest["frameworkVersion"] == "2.0" and manifest["signedUrls"] is True
    support = manifest["location"]["support"]
    assert set(support) == {"ticket_sidebar", "user_sidebar"}
    assert all(loc["url"] == "{{setting.sidebar_url}}" and loc["signed"] is True for loc in support.values())
    assert not any(p.get("secure") or p.get("default") for p in manifest["parameters"])


def test_packaging_is_reproducible(tmp_path):
    first, second = build_zip(tmp_path / "a.zip"), build_zip(tmp_path / "b.zip")
    assert first.read_bytes() == second.read_bytes()


def test_plain_http_backend_url_is_refused(tmp_path):
    with pytest.raises(PackageError):
        build_zip(tmp_path / "x.zip", backend_url="http://billing.acme.test")


def test_symlinks_are_refused(tmp_path):
    source = tmp_path / "app"
    for entry in ("manifest.json", "translations", "assets"):
        (source / entry).parent.mkdir(parents=True, exist_ok=True)
        os.symlink(APP_DIR / entry, source / entry)
    with pytest.raises(PackageError, match="symlink"):
        build_zip(tmp_path / "x.zip", source=source)


def test_symlink_inside_a_zip_is_reported(tmp_path, good_files):
    path = tmp_path / "linked.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in good_files.items():
            archive.writestr(name, data)
        link = zipfile.ZipInfo("assets/evil.png")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/passwd")
    assert any("symlink" in e for e in validate_zip(path))


def png(size: tuple[int, int], kind: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "white").save(buffer, kind)
    return buffer.getvalue()


def with_manifest(files: dict, change) -> dict:
    manifest = json.loads(files["manifest.json"])
    change(manifest)
    return {**files, "manifest.json": json.dumps(manifest).encode()}


def sidebar(manifest: dict) -> dict:
    return manifest["location"]["support"]["ticket_sidebar"]


OAUTH_KEYS = ("client_id", "client_secret", "authorize_uri", "access_token_uri")


def add_parameters(*parameters: dict):
    return lambda manifest: manifest["parameters"].extend(parameters)


BROKEN_MANIFESTS = {
    "missing author": (lambda m: m.pop("author"), "author"),
    "missing defaultLocale": (lambda m: m.pop("defaultLocale"), "defaultLocale"),
    "missing location": (lambda m: m.pop("location"), "location"),
    "missing frameworkVersion": (lambda m: m.pop("frameworkVersion"), "frameworkVersion"),
    "framework 1.0": (lambda m: m.update(frameworkVersion="1.0"), "frameworkVersion"),
    "string boolean": (lambda m: m.update(signedUrls="true"), "signedUrls"),
    "private not boolean": (lambda m: m.update(private=1), "private"),
    "version not string": (lambda m: m.update(version=1), "version"),
    "author url not http": (lambda m: m["author"].update(url="ftp://x"), "author url"),
    "domainWhitelist not strings": (lambda m: m.update(domainWhitelist=[1]), "domainWhitelist"),
    "unknown product": (lambda m: m["location"].update(desk={"ticket_sidebar": "https://x.test"}), "product"),
    "unknown location": (lambda m: m["location"]["support"].update(side_panel="https://x.test"), "side_panel"),
    "http location url": (lambda m: sidebar(m).update(url="http://billing.acme.test/sidebar"), "https"),
    "relative url outside assets": (lambda m: sidebar(m).update(url="index.html"), "assets/"),
    "missing asset": (lambda m: sidebar(m).update(url="assets/iframe.html"), "assets/"),
    "location without url": (lambda m: sidebar(m).pop("url"), "no url"),
    "flexible not boolean": (lambda m: sidebar(m).update(flexible="yes"), "flexible"),
    "legacy location": (lambda m: sidebar(m).update(url="_legacy"), "legacy"),
    "noTemplate in v2": (lambda m: m.update(noTemplate=True), "noTemplate"),
    "parameters not array": (lambda m: m.update(parameters={"sidebar_url": {}}), "parameters"),
    "duplicate parameter": (add_parameters({"name": "sidebar_url", "type": "text"}), "duplicate"),
    "parameter called name": (add_parameters({"name": "name", "type": "text"}), "called name"),
    "unknown parameter type": (add_parameters({"name": "pwd", "type": "password"}), "invalid type"),
    "hidden and required": (add_parameters({"name": "h", "type": "hidden", "required": True}), "hidden"),
    "required not boolean": (lambda m: m["parameters"][0].update(required="yes"), "required"),
    "two oauth parameters": (add_parameters({"name": "a", "type": "oauth"}, {"name": "b", "type": "oauth"}),
                             "one oauth"),
    "secure oauth parameter": (add_parameters({"name": "t", "type": "oauth", "secure": True}), "cannot be secure"),
    "scopes on a plain parameter": (add_parameters({"name": "k", "type": "text", "scopes": ["header"]}), "scopes"),
    "unknown scope": (add_parameters({"name": "k", "type": "text", "secure": True, "scopes": ["cookie"]}), "scopes"),
    "oauth block incomplete": (lambda m: m.update(oauth={"client_id": "x"}), "oauth is missing"),
    "oauth without oauth parameter": (lambda m: m.update(oauth=dict.fromkeys(OAUTH_KEYS, "x")),
                                      "parameter of type oauth"),
    "bad defaultLocale": (lambda m: m.update(defaultLocale="English"), "locale"),
    "defaultLocale without file": (lambda m: m.update(defaultLocale="fr"), "translations/fr.json"),
}


@pytest.mark.parametrize("case", sorted(BROKEN_MANIFESTS))
def test_each_manifest_rule_rejects_a_broken_manifest(good_files, case):
    change, expected = BROKEN_MANIFESTS[case]
    errors = validate_package(with_manifest(good_files, change))
    assert errors, f"{case} was accepted"
    assert any(expected in e for e in errors), errors


def translations(app: dict) -> bytes:
    return json.dumps({"app": app}).encode()


def put(path: str, data: bytes):
    return lambda files: files.update({path: data})


BROKEN_PACKAGES = {
    "no manifest": (lambda f: f.pop("manifest.json"), "manifest.json is missing"),
    "nested manifest": (lambda f: f.update({"app/manifest.json": f.pop("manifest.json")}), "root"),
    "manifest not json": (lambda f: f.update({"manifest.json": b"{nope"}), "not valid JSON"),
    "manifest not object": (lambda f: f.update({"manifest.json": b"[]"}), "JSON object"),
    "translation without app.name": (put("translations/en.json", translations({"short_description": "x"})),
                                     "app.name"),
    "translation not json": (put("translations/en.json", b"nope"), "not valid JSON"),
    "parameter without label": (put("translations/en.json", translations(
        {"name": "C", "parameters": {"sidebar_url": {"helpText": "x"}}})), "label"),
    "parameters not an object": (put("translations/en.json", translations({"name": "C", "parameters": []})),
                                 "app.parameters"),
    "translation with bad locale name": (put("translations/english.json", translations({"name": "C"})), "locale"),
    "missing logo": (lambda f: f.pop("assets/logo.png"), "assets/logo.png is missing"),
    "missing small logo": (lambda f: f.pop("assets/logo-small.png"), "logo-small.png is missing"),
    "logo wrong size": (put("assets/logo.png", png((300, 300))), "320x320"),
    "small logo wrong size": (put("assets/logo-small.png", png((320, 320))), "128x128"),
    "logo not png": (put("assets/logo.png", png((320, 320), "JPEG")), "PNG"),
    "logo not an image": (put("assets/logo.png", b"text"), "not an image"),
    "private key shipped": (put("assets/key.pem", b"-----BEGIN PRIVATE KEY-----\nabc"), "secret"),
}


@pytest.mark.parametrize("case", sorted(BROKEN_PACKAGES))
def test_each_package_rule_rejects_a_broken_package(good_files, case):
    change, expected = BROKEN_PACKAGES[case]
    files = copy.deepcopy(good_files)
    change(files)
    errors = validate_package(files)
    assert any(expected in e for e in errors), errors


def test_public_apps_need_the_marketplace_texts(good_files):
    files = with_manifest(good_files, lambda m: m.update(private=False))
    assert validate_package(files) == []
    files["translations/en.json"] = translations({"name": "ChargeDesk"})
    errors = validate_package(files)
    assert {e.split("app.")[1].split(" ")[0] for e in errors} == {
        "short_description", "installation_instructions", "long_description"}


def test_the_committed_sources_validate(good_files):
    assert validate_package(good_files) == []
    assert Path(APP_DIR / "assets" / "logo.png").is_file()
