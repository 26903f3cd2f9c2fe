"""A stand-in implementation of our HelpdeskClient contract (not an SDK mock) that records notes."""
from __future__ import annotations


class FakeHelpdesk:
    name = "fakedesk"
    notes: list[tuple[int, str, str]] = []  # (installation id, ticket id, body)
    failure: Exception | None = None

    def __init__(self, config) -> None:
        self.config = config

    def post_private_note(self, *, ticket_id: str, body: str) -> None:
        if FakeHelpdesk.failure is not None:
            raise FakeHelpdesk.failure
        FakeHelpdesk.notes.append((self.config.installation_id, ticket_id, body))
