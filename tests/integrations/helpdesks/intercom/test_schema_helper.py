"""The Canvas Kit schema check every Intercom test applies is a real check (not a pass-through)."""
from __future__ import annotations

import json

import pytest

from sidebar_apps.intercom import canvas

from .conftest import _VALIDATOR, requires_schema

pytestmark = requires_schema()


def valid(data: dict) -> bool:
    return not list(_VALIDATOR.iter_errors(data))


def test_the_schema_refuses_what_intercom_would_not_render():
    good = canvas.canvas([canvas.text("Hi", "header"), canvas.button("more", "More")])
    assert valid(good)
    assert not valid({"canvas": {"content": {"components": [{"type": "text"}]}}})  # text without text
    assert not valid({"canvas": {"content": {"components": [{"type": "button", "id": "b", "label": "B"}]}}})
    assert not valid({"canvas": {"content": {"components": [{"type": "text", "text": "x", "style": "loud"}]}}})
    assert not valid({"html": "<p>not a canvas</p>"})


@pytest.mark.parametrize("value", ["", None, "x" * 5000, "<script>alert(1)</script>", "Ünïcødé · €"])
def test_builders_clip_and_fill_odd_values_into_valid_components(value):
    data = canvas.canvas([canvas.text(value), canvas.table([("Field", value)]),
                          canvas.item_list([canvas.item("open:charge:1", value, value, value)])])
    assert valid(data) and len(json.dumps(data)) < 4000
