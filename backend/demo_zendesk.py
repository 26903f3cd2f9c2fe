"""Moved to backend/integrations/helpdesks/zendesk/demo.py; this name is an alias of that module for
backend/demo_seed.py, which can start every registered host's demo with
`helpdesk_host(kind).start_demo(app, account)` instead, and then drop this file."""
import sys

from .integrations.helpdesks.zendesk import demo

sys.modules[__name__] = demo
