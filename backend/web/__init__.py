"""Plain pages: health check and the landing page."""
