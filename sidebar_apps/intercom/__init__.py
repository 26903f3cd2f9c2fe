"""Sidebar app for intercom."""
