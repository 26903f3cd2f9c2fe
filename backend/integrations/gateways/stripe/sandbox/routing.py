"""The route table: handler modules register `(method, rule) -> handler` with their allowed params."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from werkzeug.routing import Map, Rule


@dataclass(frozen=True)
class Route:
    method: str
    rule: str
    handler: Callable
    params: tuple[str, ...] | None  # allowed top-level params; None = not checked


ROUTES: list[Route] = []

LIST_PARAMS = ("limit", "starting_after", "ending_before", "created")


def route(method: str, rule: str, params: tuple[str, ...] | None = ()) -> Callable:
    """Register a handler `fn(call, **url_args)`; unknown params get Stripe's 400."""
    def register(fn: Callable) -> Callable:
        ROUTES.append(Route(method, rule, fn, params))
        return fn
    return register


def build_map() -> Map:
    """A werkzeug Map whose endpoints are Route objects (one rule per method + path)."""
    rules = [Rule(r.rule, endpoint=r, methods=[r.method]) for r in ROUTES]
    return Map(rules, strict_slashes=False, merge_slashes=False)
