"""The billing context every sidebar shows: one plain view model built from the local mirror."""
from .context import ContextQuery, build_context
from .links import LinkError, remember_link

__all__ = ["ContextQuery", "LinkError", "build_context", "remember_link"]
