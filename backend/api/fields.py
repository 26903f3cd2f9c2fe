"""Integer fields and path converters bounded to what a PostgreSQL bigint holds.

A client may send any integer; the database refuses anything past 64 bits with an error that
would surface as a 500. Bounding the field (422 with a message) and the URL converter (no route:
404) keeps such values out of every query, and documents the bounds in OpenAPI.
"""
from __future__ import annotations

from marshmallow import fields, validate
from werkzeug.routing import IntegerConverter

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
INT64_RANGE = validate.Range(INT64_MIN, INT64_MAX, error="Must be a 64-bit integer (between {min} and {max}).")


class Int64(fields.Integer):
    """An integer that fits a bigint column; extra validators still apply."""

    def __init__(self, *, validate=None, **kwargs):
        extra = [] if validate is None else ([validate] if callable(validate) else list(validate))
        super().__init__(validate=[INT64_RANGE, *extra], **kwargs)


class Int64Converter(IntegerConverter):
    """`<int:...>` in URLs, at most a bigint: a larger id matches no route (404), never a query."""

    def __init__(self, map, *args, **kwargs):  # noqa: A002 - werkzeug's parameter name
        kwargs.setdefault("max", INT64_MAX)
        super().__init__(map, *args, **kwargs)
