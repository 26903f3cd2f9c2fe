"""The billing summary in Help Scout's sidebar markup (legacy dynamic apps), from the one view model.

Help Scout's own classes (c-sb-section, c-sb-list, badge ...); no scripts or forms, so actions are
links to our confirm page. Everything is escaped by Jinja's autoescape; the template is compiled once.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any, Callable

from jinja2 import Environment

BADGES = {"succeeded": "green", "paid": "green", "active": "green", "trialing": "blue", "refunded": "blue",
          "partially_refunded": "blue", "pending": "pending", "open": "pending", "failed": "red",
          "canceled": "red", "past_due": "red", "disputed": "red", "uncollectible": "red", "void": "red"}
LABELS = {"refund": "Refund", "capture": "Capture", "void": "Void", "cancel_subscription": "Cancel",
          "send_invoice": "Send invoice"}
TEMPLATE = """\
{%- macro badge(status) -%}<span class="badge {{ badges.get(status, 'pending') }}">{{ status|replace('_', ' ')|capitalize }}</span>{%- endmacro -%}
{%- macro links(obj, type) -%}{% for kind in obj.actions %}{% set url = link(kind, type, obj.id) %}{% if url %} <a href="{{ url }}" target="_blank" rel="noopener" data-action="{{ kind }}">{{ labels[kind] }}</a>{% endif %}{% endfor %}{%- endmacro -%}
{%- if message -%}
<div class="c-sb-section"><div class="c-sb-section__body"><p class="muted">{{ message }}</p></div></div>
{%- elif not customer -%}
<div class="c-sb-section"><div class="c-sb-section__title">ChargeDesk</div><div class="c-sb-section__body">
{%- if view.matches %}<p class="muted">{{ view.matches|length }} billing customers match; open the ChargeDesk app to choose one.</p>
<ul class="c-sb-list c-sb-list--two-line">{% for m in view.matches %}<li class="c-sb-list-item"><span class="c-sb-list-item__label">{{ m.name or m.email }}</span><span class="c-sb-list-item__text">{{ m.email }}</span></li>{% endfor %}</ul>
{%- else %}<p class="muted">No billing customer matches {{ emails|join(', ') or 'this customer' }}.</p>{% endif %}
</div></div>
{%- else -%}
<div class="c-sb-section"><div class="c-sb-section__title">{{ customer.name or customer.email }}</div><div class="c-sb-section__body">
<ul class="c-sb-list c-sb-list--two-line">
<li class="c-sb-list-item"><span class="c-sb-list-item__label">Lifetime value</span><span class="c-sb-list-item__text" data-ltv>{% for v in customer.lifetime_value %}{{ v.display }}{% if not loop.last %}, {% endif %}{% else %}none{% endfor %}</span></li>
<li class="c-sb-list-item"><span class="c-sb-list-item__label">{{ customer.gateway.name or customer.gateway.kind }}</span><span class="c-sb-list-item__text">{{ customer.email }}</span></li>
</ul>{% if read_only %}<p class="muted" data-read-only>Read only: ask a ChargeDesk admin to link your Help Scout user to act here.</p>{% endif %}
</div></div>
{%- if customer.subscriptions %}
<div class="c-sb-section c-sb-section--toggle"><div class="c-sb-section__title js-sb-toggle">Subscriptions</div><div class="c-sb-section__body">
<ul class="c-sb-list c-sb-list--two-line">{% for s in customer.subscriptions %}<li class="c-sb-list-item" data-type="subscription" data-id="{{ s.id }}"><span class="c-sb-list-item__label">{{ s.plan_name or s.price_external_id }} {{ badge(s.status) }}</span><span class="c-sb-list-item__text">{{ s.amount_display or '' }}{% if s.interval %} / {{ s.interval }}{% endif %}{% if s.cancellation == 'cancel_at_period_end' %} · cancels at period end{% endif %}{{ links(s, 'subscription') }}</span></li>{% endfor %}</ul>
</div></div>
{%- endif %}
<div class="c-sb-section c-sb-section--toggle"><div class="c-sb-section__title js-sb-toggle">Charges</div><div class="c-sb-section__body">
<ul class="c-sb-list c-sb-list--two-line">{% for ch in customer.charges %}<li class="c-sb-list-item" data-type="charge" data-id="{{ ch.id }}" data-refunded="{{ ch.amount_refunded }}"><span class="c-sb-list-item__label">{{ ch.amount_display }} {{ badge(ch.status) }}</span><span class="c-sb-list-item__text">{{ ch.created_at[:10] if ch.created_at else '' }}{% if ch.card_brand %} · {{ ch.card_brand|capitalize }} {{ ch.card_last4 or '' }}{% endif %}{% if ch.refunded_display %} · Refunded {{ ch.refunded_display }} of {{ ch.amount_display }}{% endif %}{% if ch.external %} · External refund{% endif %}{{ links(ch, 'charge') }}</span></li>{% else %}<li class="c-sb-list-item"><span class="c-sb-list-item__text muted">No charges</span></li>{% endfor %}</ul>
</div></div>
{%- if customer.invoices.open %}
<div class="c-sb-section c-sb-section--toggle"><div class="c-sb-section__title js-sb-toggle">Open invoices</div><div class="c-sb-section__body">
<ul class="c-sb-list c-sb-list--two-line">{% for inv in customer.invoices.open %}<li class="c-sb-list-item" data-type="invoice" data-id="{{ inv.id }}"><span class="c-sb-list-item__label">{{ inv.number or inv.external_id }} {{ badge(inv.status) }}</span><span class="c-sb-list-item__text">{{ inv.amount_due_display or inv.total_display }}{{ links(inv, 'invoice') }}</span></li>{% endfor %}</ul>
</div></div>
{%- endif %}
{%- if view.runs %}
<div class="c-sb-section c-sb-section--toggle"><div class="c-sb-section__title js-sb-toggle">Recent ChargeDesk actions</div><div class="c-sb-section__body">
<ul class="c-sb-list c-sb-list--two-line">{% for r in view.runs[:5] %}<li class="c-sb-list-item" data-run="{{ r.id }}"><span class="c-sb-list-item__label">{{ labels.get(r.kind, r.kind|replace('_', ' ')|capitalize) }} {{ r.amount_display or '' }} {{ badge(r.status) }}</span><span class="c-sb-list-item__text">{{ r.requested_by or '' }}</span></li>{% endfor %}</ul>
</div></div>
{%- endif %}
{%- endif %}
"""


@lru_cache(maxsize=1)
def _template():
    env = Environment(autoescape=True, trim_blocks=False, lstrip_blocks=False)
    env.globals.update(badges=BADGES, labels=LABELS)
    return env.from_string(TEMPLATE)


def render_summary(view: dict[str, Any], *, link: Callable[[str, str, int], str | None], read_only: bool,
                   emails: tuple[str, ...]) -> str:
    """The sidebar HTML for the view model; `link(kind, target_type, id)` gives an action's URL or None."""
    return _template().render(view=view, customer=view.get("customer"), link=link, read_only=read_only,
                              emails=emails, message=None)


def render_message(message: str) -> str:
    """An error or notice in Help Scout's markup (Help Scout shows the html of a 200 answer)."""
    return _template().render(message=message, view={}, customer=None, link=lambda *a: None, read_only=True,
                              emails=())
