"""Vendor SDK boundaries (DESIGN §2): each SDK is imported only by its integration's client module."""
from __future__ import annotations

import ast
import re
from pathlib import Path, PurePosixPath

REPO = Path(__file__).resolve().parents[1]
ALLOWED = {
    "stripe": {"backend/integrations/gateways/stripe/client.py"},
    "braintree": {"backend/integrations/gateways/braintree/client.py"},
    "recurly": {"backend/integrations/gateways/recurly/client.py"},
    "zenpy": {"backend/integrations/helpdesks/zendesk/client.py"},
    "freshdesk": set(),
    "intercom": {"backend/integrations/helpdesks/intercom/client.py"},
    "authlib": {"backend/integrations/helpdesks/zendesk/oauth.py"},
}
# authlib is the OAuth client of every helpdesk: each helpdesk folder's oauth.py may import it.
ALLOWED_BY_ROLE = {"authlib": "backend/integrations/helpdesks/*/oauth.py"}


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
                by_role = sdk in ALLOWED_BY_ROLE and PurePosixPath(relative).match(ALLOWED_BY_ROLE[sdk])
                if relative not in ALLOWED[sdk] and not by_role:
                    offenders.append(f"{relative} imports {sdk}")
    assert offenders == []
    for sdk, paths in ALLOWED.items():  # the allow-list is not stale: each client does import it
        assert all(sdk in imported_roots(REPO / p) for p in paths), sdk


# --- registries, not branches (DESIGN §2) -------------------------------------------------------
# Every helpdesk and gateway name, registered or announced: comparing one of them to a kind is a
# branch on the vendor, which belongs in the registry or in that vendor's own folders.
VENDOR_NAMES = {"zendesk", "helpscout", "intercom", "front", "freshdesk", "stripe", "braintree", "recurly",
                "paypal", "woocommerce", "custom"}
REGISTRIES = {"backend/integrations/helpdesks/__init__.py", "backend/integrations/gateways/__init__.py"}


def own_folders(name: str) -> tuple[str, ...]:
    return (f"backend/integrations/helpdesks/{name}/", f"backend/integrations/gateways/{name}/",
            f"sidebar_apps/{name}/")


def vendor_comparisons(path: Path) -> list[tuple[int, str]]:
    """(line, name) of every comparison (==, !=, in, not in) with a vendor name as a string literal."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Compare):
            continue
        for operand in [node.left, *node.comparators]:
            literals = operand.elts if isinstance(operand, (ast.Tuple, ast.List, ast.Set)) else [operand]
            found += [(node.lineno, lit.value) for lit in literals
                      if isinstance(lit, ast.Constant) and lit.value in VENDOR_NAMES]
    return found


def test_no_branch_on_a_vendor_name_outside_the_registry_and_its_own_folders():
    offenders = []
    for folder in ("backend", "sidebar_apps", "portal"):
        for path in sorted((REPO / folder).rglob("*.py")) if (REPO / folder).exists() else []:
            relative = path.relative_to(REPO).as_posix()
            if relative in REGISTRIES:
                continue
            offenders += [f"{relative}:{line} compares with {name!r}" for line, name in vendor_comparisons(path)
                          if not relative.startswith(own_folders(name))]
    assert offenders == [], "ask the registry (helpdesk_host(kind), adapter_class(name)) instead"


def test_the_branch_rule_sees_the_comparisons_it_forbids(tmp_path):
    """The scanner itself: `kind == "zendesk"`, `!=`, `in (...)` and a query's `.kind == "stripe"`."""
    sample = tmp_path / "sample.py"
    sample.write_text('if kind == "zendesk": pass\nok = row.kind != "helpscout"\n'
                      'x = kind in ("front", "other")\nq = Model.kind == "stripe"\ny = kind == "acme"\n')
    assert vendor_comparisons(sample) == [(1, "zendesk"), (2, "helpscout"), (3, "front"), (4, "stripe")]


def test_templates_do_not_branch_on_a_vendor_name_outside_its_own_folders():
    """The same rule for Jinja templates: `kind == "zendesk"` belongs in that vendor's own partials."""
    pattern = re.compile(r"""kind\s*(?:==|!=)\s*["'](\w+)["']""")
    offenders = []
    for folder in ("backend", "sidebar_apps", "portal"):
        for path in sorted((REPO / folder).rglob("*.html")) if (REPO / folder).exists() else []:
            relative = path.relative_to(REPO).as_posix()
            offenders += [f"{relative} compares with {name!r}" for name in pattern.findall(path.read_text("utf-8"))
                          if name in VENDOR_NAMES and not relative.startswith(own_folders(name))]
    assert offenders == []
