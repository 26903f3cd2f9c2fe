"""`chargedesk demo`'s Intercom: emulator, installation, conversations, and the preview page that plays
Intercom's inbox (signs requests) and renders our canvases."""
from __future__ import annotations

import json
import re
from html import unescape

from backend.integrations.helpdesks import helpdesk_host

from .conftest import _VALIDATOR


def embedded_canvas(html: str) -> dict:
    return json.loads(unescape(re.search(r'<script type=application/json id=canvas-data>(.*?)</script>',
                                         html, re.S).group(1)))


def test_demo_preview_renders_the_canvas_and_clicks_go_through(client, app, account, billing):
    demo = helpdesk_host("intercom").start_demo(app, account)
    try:
        page = client.get(demo.preview_path)
        assert page.status_code == 200, page.text
        assert 'data-status="200"' in page.text and "canvas.js" in page.text
        first = embedded_canvas(page.text)
        assert "$20.00" in json.dumps(first) and "Ada Lovelace" in json.dumps(first)
        charge = next(i["id"] for c in first["canvas"]["content"]["components"] if c["type"] == "list"
                      for i in c["items"] if i["id"].startswith("open:charge:"))
        context = json.loads(unescape(re.search(r'id=canvas-context>(.*?)</script>', page.text).group(1)))
        opened = client.post("/demo/intercom/canvas", json={**context, "component_id": charge,
                                                            "stored_data": first["canvas"]["stored_data"]})
        assert opened.status_code == 200 and "Refund" in opened.text
        for answer in (first, opened.get_json()):
            assert _VALIDATOR is None or not list(_VALIDATOR.iter_errors(answer))
        assert client.post("/demo/intercom/canvas", json={"nope": 1}).status_code == 400
    finally:
        demo.stop()
