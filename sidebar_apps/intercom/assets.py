"""Static assets of the Intercom app: a small renderer of canvas JSON (the demo preview; the generic
shell's host script, since Intercom itself renders canvases natively and loads no page of ours)."""
from __future__ import annotations

from flask import url_for


def canvas_renderer_url() -> str:
    return url_for("intercom_sidebar.static", filename="canvas.js")
