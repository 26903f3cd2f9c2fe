"""The billing summary in Help Scout's sidebar markup (legacy dynamic apps), from the one view model.

Help Scout's own classes (c-sb-section, c-sb-list, badge ...); no scripts or forms, so actions are
links to our confirm page. Built with plain string joins over escaped values (every value from the
view model or the request goes through `_e`), since it runs on every conversation load.
"""
from __future__ import annotations

import re
from html import escape
from typing import Any, Callable

BADGES = {"succeeded": "green", "paid": "green", "active": "green", "trialing": "blue", "refunded": "blue",
          "partially_refunded": "blue", "pending": "pending", "open": "pending", "failed": "red",
          "canceled": "red", "past_due": "red", "disputed": "red", "uncollectible": "red", "void": "red"}
LABELS = {"refund": "Refund", "capture": "Capture", "void": "Void", "cancel_subscription": "Cancel",
          "send_invoice": "Send invoice"}
READ_ONLY = ('<p class="muted" data-read-only>Read only: ask a ChargeDesk admin to link your Help Scout user '
             'to act here.</p>')
Linker = Callable[[str, str, int], "str | None"]
NEEDS_ESCAPE = re.compile(r'[&<>"\']')  # what html.escape(quote=True) replaces


def _e(value: Any) -> str:
    """html.escape of the value's text; most values (ids, dates, amounts) have nothing to escape."""
    if value is None:
        return ""
    text = value if type(value) is str else str(value)
    return escape(text, quote=True) if NEEDS_ESCAPE.search(text) else text


def _humanize(code: Any) -> str:
    text = str(code or "").replace("_", " ")
    return text[:1].upper() + text[1:]


def _badge(status: Any) -> str:
    return f'<span class="badge {BADGES.get(status, "pending")}">{_e(_humanize(status))}</span>'


def _links(obj: dict, target_type: str, link: Linker) -> str:
    out = []
    for kind in obj.get("actions") or ():
        url = link(kind, target_type, obj["id"])
        if url:
            out.append(f' <a href="{_e(url)}" target="_blank" rel="noopener" data-action="{_e(kind)}">'
                       f'{_e(LABELS.get(kind, kind))}</a>')
    return "".join(out)


def _item(label: str, text: str, attrs: str = "") -> str:
    return (f'<li class="c-sb-list-item"{attrs}><span class="c-sb-list-item__label">{label}</span>'
            f'<span class="c-sb-list-item__text">{text}</span></li>')


def _section(title: str, items: list[str], *, toggle: bool = True, extra: str = "") -> str:
    cls = "c-sb-section c-sb-section--toggle" if toggle else "c-sb-section"
    title_cls = "c-sb-section__title js-sb-toggle" if toggle else "c-sb-section__title"
    return (f'<div class="{cls}"><div class="{title_cls}">{title}</div><div class="c-sb-section__body">'
            f'<ul class="c-sb-list c-sb-list--two-line">{"".join(items)}</ul>{extra}</div></div>')


def _charge(ch: dict, link: Linker) -> str:
    text = [_e((ch.get("created_at") or "")[:10])]
    if ch.get("card_brand"):
        text.append(f' · {_e(_humanize(ch["card_brand"]))} {_e(ch.get("card_last4") or "")}')
    if ch.get("refunded_display"):
        text.append(f' · Refunded {_e(ch["refunded_display"])} of {_e(ch.get("amount_display"))}')
    if ch.get("external"):
        text.append(" · External refund")
    attrs = f' data-type="charge" data-id="{_e(ch["id"])}" data-refunded="{_e(ch.get("amount_refunded"))}"'
    return _item(f'{_e(ch.get("amount_display"))} {_badge(ch.get("status"))}',
                 "".join(text) + _links(ch, "charge", link), attrs)


def _subscription(s: dict, link: Linker) -> str:
    text = _e(s.get("amount_display") or "") + (f' / {_e(s["interval"])}' if s.get("interval") else "")
    if s.get("cancellation") == "cancel_at_period_end":
        text += " · cancels at period end"
    return _item(f'{_e(s.get("plan_name") or s.get("price_external_id"))} {_badge(s.get("status"))}',
                 text + _links(s, "subscription", link), f' data-type="subscription" data-id="{_e(s["id"])}"')


def _invoice(inv: dict, link: Linker) -> str:
    return _item(f'{_e(inv.get("number") or inv.get("external_id"))} {_badge(inv.get("status"))}',
                 _e(inv.get("amount_due_display") or inv.get("total_display")) + _links(inv, "invoice", link),
                 f' data-type="invoice" data-id="{_e(inv["id"])}"')


def _run(r: dict) -> str:
    label = _e(LABELS.get(r.get("kind"), _humanize(r.get("kind"))))
    return _item(f'{label} {_e(r.get("amount_display") or "")} {_badge(r.get("status"))}',
                 _e(r.get("requested_by") or ""), f' data-run="{_e(r.get("id"))}"')


def _no_customer(view: dict, emails: tuple[str, ...]) -> str:
    matches = view.get("matches") or []
    if matches:
        body = (f'<p class="muted">{len(matches)} billing customers match; open the ChargeDesk app to choose one.</p>'
                '<ul class="c-sb-list c-sb-list--two-line">'
                + "".join(_item(_e(m.get("name") or m.get("email")), _e(m.get("email"))) for m in matches) + "</ul>")
    else:
        body = f'<p class="muted">No billing customer matches {_e(", ".join(emails) or "this customer")}.</p>'
    return f'<div class="c-sb-section"><div class="c-sb-section__title">ChargeDesk</div>' \
           f'<div class="c-sb-section__body">{body}</div></div>'


def render_summary(view: dict[str, Any], *, link: Linker, read_only: bool, emails: tuple[str, ...]) -> str:
    """The sidebar HTML for the view model; `link(kind, target_type, id)` gives an action's URL or None."""
    customer = view.get("customer")
    if not customer:
        return _no_customer(view, emails)
    gateway = customer.get("gateway") or {}
    ltv = ", ".join(_e(v.get("display")) for v in customer.get("lifetime_value") or ()) or "none"
    parts = [_section(_e(customer.get("name") or customer.get("email")), [
        _item("Lifetime value", f"<span data-ltv>{ltv}</span>"),
        _item(_e(gateway.get("name") or gateway.get("kind")), _e(customer.get("email")))],
        toggle=False, extra=READ_ONLY if read_only else "")]
    if customer.get("subscriptions"):
        parts.append(_section("Subscriptions", [_subscription(s, link) for s in customer["subscriptions"]]))
    charges = [_charge(ch, link) for ch in customer.get("charges") or ()]
    parts.append(_section("Charges", charges or [
        '<li class="c-sb-list-item"><span class="c-sb-list-item__text muted">No charges</span></li>']))
    open_invoices = (customer.get("invoices") or {}).get("open") or []
    if open_invoices:
        parts.append(_section("Open invoices", [_invoice(inv, link) for inv in open_invoices]))
    if view.get("runs"):
        parts.append(_section("Recent ChargeDesk actions", [_run(r) for r in view["runs"][:5]]))
    return "".join(parts)


def render_message(message: str) -> str:
    """An error or notice in Help Scout's markup (Help Scout shows the html of a 200 answer)."""
    return f'<div class="c-sb-section"><div class="c-sb-section__body"><p class="muted">{_e(message)}</p></div></div>'
