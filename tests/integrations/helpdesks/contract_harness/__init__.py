"""Per-helpdesk harnesses for the one host contract suite (tests/integrations/helpdesks/test_host_contract.py).

Adding a helpdesk to the suite = one HostHarness subclass in a `<kind>_harness.py` module of this
package. The suite runs over every registered helpdesk and fails for one that has no harness, so
a new host cannot skip the contract.
"""
from __future__ import annotations

from importlib import import_module

from .base import HostHarness


def harness_class(kind: str) -> type[HostHarness] | None:
    """The harness of `kind` (module `<kind>_harness`, the one HostHarness subclass in it), if any."""
    try:
        module = import_module(f"{__name__}.{kind}_harness")
    except ModuleNotFoundError as exc:
        if exc.name == f"{__name__}.{kind}_harness":
            return None
        raise
    found = [v for v in vars(module).values()
             if isinstance(v, type) and issubclass(v, HostHarness) and v is not HostHarness and v.kind == kind]
    return found[0] if found else None


__all__ = ["HostHarness", "harness_class"]
