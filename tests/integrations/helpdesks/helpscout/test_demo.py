"""`chargedesk demo`'s Help Scout: emulator, installation, conversations, and the preview page."""
from __future__ import annotations

import re
from html import unescape

from backend.integrations.helpdesks import helpdesk_host


def test_demo_preview_shows_the_dynamic_app_with_working_links(client, app, account, billing):
    demo = helpdesk_host("helpscout").start_demo(app, account)
    try:
        page = client.get(demo.preview_path)
        assert page.status_code == 200, page.text
        assert 'data-status="200"' in page.text and "$20.00" in page.text and "Ada Lovelace" in page.text
        link = unescape(re.search(r'<a href="([^"]+)" target="_blank" rel="noopener" data-action="refund"',
                                  page.text).group(1))
        confirm = client.get(link.replace("http://localhost", ""))
        assert confirm.status_code == 200 and "Refund charge" in confirm.text
    finally:
        demo.stop()
