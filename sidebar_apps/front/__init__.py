"""Sidebar app for front."""
