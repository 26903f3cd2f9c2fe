"""Fixtures: a loopback SMTP server, and the app's mail settings pointed at it (or at an outbox)."""
from __future__ import annotations

import pytest

from .smtp_server import LoopbackSmtpServer


@pytest.fixture
def mail_settings(app, tmp_path, monkeypatch):
    """The app's settings, with no SMTP server and a private instance folder (outbox)."""
    settings = app.config["SETTINGS"]
    monkeypatch.setattr(settings, "smtp_url", None)
    monkeypatch.setattr(settings, "instance_path", tmp_path)
    return settings


@pytest.fixture
def smtp_server(mail_settings, monkeypatch):
    with LoopbackSmtpServer(username="mailer", password="p@ss word") as server:
        monkeypatch.setattr(mail_settings, "smtp_url", server.url)
        yield server
