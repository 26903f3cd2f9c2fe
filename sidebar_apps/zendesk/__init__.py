"""Sidebar app for zendesk."""
