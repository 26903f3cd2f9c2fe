"""The billing summary as Intercom Canvas Kit components, from the one sidebar view model.

Pure functions: view model (plain dicts) in, components out. The first canvas stays within
Intercom's ~400 px guidance for the inbox (a header, a three-row table, the latest charges and the
current subscription, a refund button for the latest refundable charge, a "more" button); the rest,
and every other allowed action (on the charge, subscription or invoice canvas), is one click away. Component ids name what a click
means: `open:<type>:<id>`, `act:<kind>:<type>:<id>`, `pick:<customer id>`, `more`, `back`, `confirm`,
`refresh`.
Docs: https://developers.intercom.com/docs/references/canvas-kit/interactivecomponents/
"""
from __future__ import annotations

from typing import Any

FIRST_CHARGES = 2  # with the subscription and the table, the first canvas stays under ~400 px
MORE_ITEMS = 10
LABELS = {"refund": "Refund", "capture": "Capture", "void": "Void", "cancel_subscription": "Cancel subscription",
          "send_invoice": "Send invoice"}
ACTIONS = {"charge": ("refund", "capture", "void"), "subscription": ("cancel_subscription",),
           "invoice": ("send_invoice",)}
READ_ONLY = "Read only: ask a ChargeDesk admin to link your Intercom teammate to act here."
SUBMIT = {"type": "submit"}


def text(value: Any, style: str = "paragraph") -> dict:
    return {"type": "text", "text": _clip(value, 300) or " ", "style": style}


def button(id_: str, label: str, style: str = "primary") -> dict:
    return {"type": "button", "id": id_[:100], "label": _clip(label, 60), "action": SUBMIT, "style": style}


def table(rows: list[tuple[str, Any]]) -> dict:
    return {"type": "data-table", "items": [{"type": "field-value", "field": _clip(f, 40), "value": _clip(v, 120) or "—"}
                                           for f, v in rows]}


def item_list(items: list[dict]) -> dict:
    return {"type": "list", "items": items}


def item(id_: str, title: Any, subtitle: Any = None, tertiary: Any = None, *, clickable: bool = True) -> dict:
    out = {"type": "item", "id": id_, "title": _clip(title, 80) or " "}
    if subtitle:
        out["subtitle"] = _clip(subtitle, 100)
    if tertiary:
        out["tertiary_text"] = _clip(tertiary, 60)
    if clickable:
        out["action"] = SUBMIT
    return out


def canvas(components: list[dict], stored: dict | None = None) -> dict:
    body: dict = {"content": {"components": components}}
    if stored:
        body["stored_data"] = stored
    return {"canvas": body}


# --- the summary ----------------------------------------------------------------------------------
def summary_components(view: dict, *, read_only: bool) -> list[dict]:
    """The first canvas: the chooser, the empty state, or the chosen customer's latest billing."""
    customer = view.get("customer")
    if not customer:
        return chooser_components(view)
    subscriptions = customer.get("subscriptions") or []
    charges = customer.get("charges") or []
    open_invoices = (customer.get("invoices") or {}).get("open") or []
    out = [text(customer.get("name") or customer.get("email"), "header"),
           table([("Email", customer.get("email")), ("Gateway", _gateway(customer)),
                  ("Lifetime value", _ltv(customer))])]
    shown = charges[:FIRST_CHARGES if subscriptions else FIRST_CHARGES + 1]
    out.append(item_list([charge_item(ch) for ch in shown]) if shown else text("No charges", "muted"))
    if subscriptions:
        out.append(item_list([subscription_item(subscriptions[0])]))
    quick = next((ch for ch in shown if "refund" in (ch.get("actions") or ())), None)
    if quick is not None and not read_only:  # the one-click action agents use most, on the first canvas
        out.append(button(f"act:refund:charge:{quick['id']}", f"Refund {quick.get('amount_display')} charge"))
    hidden = len(charges) - len(shown) + max(len(subscriptions) - 1, 0) + len(open_invoices)
    if hidden > 0 or view.get("runs"):
        out.append(button("more", f"More ({hidden} more items)" if hidden else "More", "secondary"))
    if read_only:
        out.append(text(READ_ONLY, "muted"))
    return out


def more_components(view: dict) -> list[dict]:
    """Everything the first canvas left out: all charges, subscriptions, invoices, recent actions."""
    customer = view.get("customer") or {}
    invoices = customer.get("invoices") or {}
    out = [text(customer.get("name") or customer.get("email"), "header")]
    sections = [("Charges", [charge_item(ch) for ch in customer.get("charges") or ()]),
                ("Subscriptions", [subscription_item(s) for s in customer.get("subscriptions") or ()]),
                ("Open invoices", [invoice_item(i) for i in invoices.get("open") or ()]),
                ("Past invoices", [invoice_item(i) for i in invoices.get("past") or ()]),
                ("Recent ChargeDesk actions", [run_item(r) for r in view.get("runs") or ()])]
    for title, items in sections:
        if items:
            out += [text(title, "muted"), item_list(items[:MORE_ITEMS])]
    return out + [button("back", "Back", "secondary")]


def chooser_components(view: dict) -> list[dict]:
    matches = view.get("matches") or []
    if not matches:
        message = (view.get("empty") or {}).get("message") or "No billing customer matches this contact."
        return [text("ChargeDesk", "header"), text(message, "muted")]
    items = [item(f"pick:{m['id']}", m.get("name") or m.get("email"),
                  " · ".join(p for p in (m.get("email"), _gateway(m)) if p)) for m in matches[:MORE_ITEMS]]
    return [text("ChargeDesk", "header"), text(f"{len(matches)} billing customers match; choose one.", "muted"),
            item_list(items)]


def target_components(obj: dict, target_type: str) -> list[dict]:
    """One charge / subscription / invoice with a button per allowed action."""
    rows = {"charge": _charge_rows, "subscription": _subscription_rows, "invoice": _invoice_rows}[target_type](obj)
    out = [text(_target_title(obj, target_type), "header"), table(rows)]
    for kind in obj.get("actions") or ():
        if kind in ACTIONS.get(target_type, ()):
            out.append(button(f"act:{kind}:{target_type}:{obj['id']}", LABELS[kind]))
    return out + [button("back", "Back", "secondary")]


def charge_item(ch: dict) -> dict:
    status = _humanize(ch.get("status"))
    details = [(ch.get("created_at") or "")[:10]]
    if ch.get("card_brand"):
        details.append(f"{_humanize(ch['card_brand'])} {ch.get('card_last4') or ''}".strip())
    tertiary = None
    if ch.get("refunded_display"):
        tertiary = f"Refunded {ch['refunded_display']}" + (" (external)" if ch.get("external") else "")
    return item(f"open:charge:{ch['id']}", f"{ch.get('amount_display')} · {status}",
                " · ".join(d for d in details if d), tertiary)


def subscription_item(s: dict) -> dict:
    price = (s.get("amount_display") or "") + (f" / {s['interval']}" if s.get("interval") else "")
    tertiary = "Cancels at period end" if s.get("cancellation") == "cancel_at_period_end" else None
    return item(f"open:subscription:{s['id']}", f"{s.get('plan_name') or s.get('price_external_id')} · "
                f"{_humanize(s.get('status'))}", price, tertiary)


def invoice_item(inv: dict) -> dict:
    return item(f"open:invoice:{inv['id']}", f"{inv.get('number') or inv.get('external_id')} · "
                f"{_humanize(inv.get('status'))}", inv.get("amount_due_display") or inv.get("total_display"))


def run_item(r: dict) -> dict:
    return item(f"run:{r.get('id')}", f"{LABELS.get(r.get('kind'), _humanize(r.get('kind')))} "
                f"{r.get('amount_display') or ''} · {_humanize(r.get('status'))}", r.get("requested_by"),
                clickable=False)


def _charge_rows(ch: dict) -> list[tuple[str, Any]]:
    rows = [("Amount", ch.get("amount_display")), ("Status", _humanize(ch.get("status"))),
            ("Date", (ch.get("created_at") or "")[:10])]
    if ch.get("refunded_display"):
        rows.append(("Refunded", ch["refunded_display"] + (" (external)" if ch.get("external") else "")))
    if ch.get("refundable_display"):
        rows.append(("Refundable", ch["refundable_display"]))
    return rows


def _subscription_rows(s: dict) -> list[tuple[str, Any]]:
    return [("Plan", s.get("plan_name") or s.get("price_external_id")), ("Status", _humanize(s.get("status"))),
            ("Price", s.get("amount_display")), ("Next billing", (s.get("next_billing") or "")[:10])]


def _invoice_rows(inv: dict) -> list[tuple[str, Any]]:
    return [("Number", inv.get("number") or inv.get("external_id")), ("Status", _humanize(inv.get("status"))),
            ("Total", inv.get("total_display")), ("Due", inv.get("amount_due_display"))]


def _target_title(obj: dict, target_type: str) -> str:
    if target_type == "charge":
        return f"Charge {obj.get('amount_display')}"
    if target_type == "subscription":
        return f"Subscription {obj.get('plan_name') or obj.get('external_id')}"
    return f"Invoice {obj.get('number') or obj.get('external_id')}"


def _gateway(obj: dict) -> str:
    gateway = obj.get("gateway") or {}
    return str(gateway.get("name") or gateway.get("kind") or "")


def _ltv(customer: dict) -> str:
    return ", ".join(str(v.get("display")) for v in customer.get("lifetime_value") or ()) or "none"


def _humanize(code: Any) -> str:
    value = str(code or "").replace("_", " ")
    return value[:1].upper() + value[1:]


def _clip(value: Any, limit: int) -> str:
    value = "" if value is None else str(value)
    return value if len(value) <= limit else value[: limit - 1] + "…"
