"""Vendor SDK boundaries: zenpy only in zendesk/client.py, authlib only in zendesk/oauth.py."""
from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
ALLOWED = {
    "zenpy": {"backend/integrations/helpdesks/zendesk/client.py"},
    "authlib": {"backend/integrations/helpdesks/zendesk/oauth.py"},
}


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_vendor_sdks_are_imported_only_by_their_client_module():
    offenders = []
    for folder in ("backend", "sidebar_apps", "portal"):
        for path in sorted((REPO / folder).rglob("*.py")) if (REPO / folder).exists() else []:
            relative = path.relative_to(REPO).as_posix()
            for sdk in imported_roots(path) & set(ALLOWED):
                if relative not in ALLOWED[sdk]:
                    offenders.append(f"{relative} imports {sdk}")
    assert offenders == []
    assert all("zenpy" in imported_roots(REPO / p) for p in ALLOWED["zenpy"])
