"""Helpdesk integrations: the host contract suite, the CLI, one folder per helpdesk."""
