"""Intercom: Canvas Kit inbox app (Initialize/Submit), OAuth, REST API notes, loopback emulator."""
