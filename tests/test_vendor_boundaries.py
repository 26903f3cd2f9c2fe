"""Vendor SDK boundaries (DESIGN §2): each SDK is imported only by its integration's client module."""
from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ALLOWED = {
    "stripe": {"backend/integrations/gateways/stripe/client.py"},
    "braintree": {"backend/integrations/gateways/braintree/client.py"},
    "recurly": {"backend/integrations/gateways/recurly/client.py"},
    "zenpy": {"backend/integrations/helpdesks/zendesk/client.py"},
    "freshdesk": set(),
    "authlib": {"backend/integrations/helpdesks/zendesk/oauth.py",  # OAuth clients: each helpdesk's oauth.py
                "backend/integrations/helpdesks/helpscout/oauth.py"},
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
    for sdk, paths in ALLOWED.items():  # the allow-list is not stale: each client does import it
        assert all(sdk in imported_roots(REPO / p) for p in paths), sdk
