"""Sidebar app for helpscout."""
