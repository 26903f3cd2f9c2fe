"""The sidebar page every host renders (placeholder until the sidebar UI lands)."""
from __future__ import annotations

from flask import Flask, Response, render_template_string


def render_shell(*, host: str, token: str, agent: dict, location: str) -> Response:
    """HTML of the sidebar for `host`, carrying the short-lived sidebar token (no cookies)."""
    html = render_template_string(
        "<!doctype html><meta charset=utf-8><title>ChargeDesk</title>"
        "<div id=app data-host='{{ host }}' data-token='{{ token }}' data-location='{{ location }}'>"
        "Billing for {{ agent.name }}</div>", host=host, token=token, agent=agent, location=location)
    return Response(html, mimetype="text/html")


def init_app(app: Flask) -> None:
    pass
