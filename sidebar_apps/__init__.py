"""Per-helpdesk sidebar apps: the bundle each host loads and the host-facing endpoints."""
