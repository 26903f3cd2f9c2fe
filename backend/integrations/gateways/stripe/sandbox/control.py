"""/_sandbox/* : the same controls as the Python API, over HTTP, for out-of-process sandboxes."""
from __future__ import annotations

import json
from urllib.parse import parse_qsl

from werkzeug.wrappers import Request, Response

from . import hosted


def _body(request: Request) -> dict:
    raw = request.get_data(as_text=True)
    if request.mimetype == "application/json" and raw:
        return json.loads(raw)
    return dict(parse_qsl(raw, keep_blank_values=True)) | dict(request.args)


def _flag(value) -> bool:
    return value in (True, "true", "1", 1, "yes")


def _json(payload, status: int = 200) -> Response:
    return Response(json.dumps(payload), status=status, content_type="application/json")


def dispatch(sandbox, request: Request) -> Response:
    """Route one /_sandbox request to the sandbox's Python API."""
    path, method = request.path.rstrip("/"), request.method
    try:
        body = _body(request) if method == "POST" else dict(request.args)
        if method == "GET" and path.startswith("/_sandbox/objects/"):
            return _json({"data": sandbox.objects(path.rsplit("/", 1)[1])})
        if method == "GET" and path.startswith("/_sandbox/invoices/"):
            return _hosted_invoice(sandbox, path)
        handler = _ROUTES.get((method, path))
        if handler is None:
            return _json({"error": {"message": f"Unknown sandbox control {method} {path}"}}, 404)
        return _json(handler(sandbox, body))
    except (KeyError, ValueError, TypeError) as error:
        return _json({"error": {"message": f"Bad sandbox control request: {error}"}}, 400)
    except Exception as error:  # StripeApiError from open_dispute etc.
        status = getattr(error, "status", 500)
        body = error.body() if hasattr(error, "body") else {"error": {"message": str(error)}}
        return _json(body, status)


def _reset(sandbox, body: dict) -> dict:
    sandbox.reset()
    return {"ok": True}


def _fail(sandbox, body: dict) -> dict:
    sandbox.fail_next(count=int(body.get("count", 1)), status=int(body.get("status", 500)),
                      path_prefix=body.get("path_prefix") or "", after_commit=_flag(body.get("after_commit")))
    return {"ok": True}


def _webhook(sandbox, body: dict) -> dict:
    events = body.get("events") or ["*"]
    events = events.split(",") if isinstance(events, str) else events
    return {"secret": sandbox.add_webhook_endpoint(body["url"], secret=body.get("secret"), events=tuple(events))}


def _seed(sandbox, body: dict) -> dict:
    ids = sandbox.seed_charges(body["customer"], int(body.get("count", 1)), amount=int(body.get("amount", 1000)),
                               currency=body.get("currency", "usd"), events=_flag(body.get("events")))
    return {"count": len(ids), "first": ids[0] if ids else None, "last": ids[-1] if ids else None}


def _dispute(sandbox, body: dict) -> dict:
    amount = body.get("amount")
    return sandbox.open_dispute(body["charge"], reason=body.get("reason", "fraudulent"),
                                amount=int(amount) if amount not in (None, "") else None,
                                inquiry=_flag(body.get("inquiry")))


def _flush(sandbox, body: dict) -> dict:
    return {"flushed": sandbox.flush_webhooks(float(body.get("timeout", 10)))}


_ROUTES = {
    ("POST", "/_sandbox/reset"): _reset,
    ("POST", "/_sandbox/fail"): _fail,
    ("POST", "/_sandbox/webhook_endpoints"): _webhook,
    ("POST", "/_sandbox/seed_charges"): _seed,
    ("POST", "/_sandbox/disputes"): _dispute,
    ("POST", "/_sandbox/flush_webhooks"): _flush,
    ("GET", "/_sandbox/deliveries"): lambda sandbox, body: {"data": [list(d) for d in sandbox.deliveries]},
    ("GET", "/_sandbox/request_log"): lambda sandbox, body: {"data": [list(r) for r in sandbox.request_log]},
    ("GET", "/_sandbox/invoice_sends"): lambda sandbox, body: {"data": sandbox.invoice_sends},
}


def _hosted_invoice(sandbox, path: str) -> Response:
    """/_sandbox/invoices/<id> (HTML) and /_sandbox/invoices/<id>/pdf."""
    parts = path.split("/")[3:]
    invoice = sandbox.get(parts[0]) if parts and parts[0].startswith("in_") else None
    if invoice is None:
        return _json({"error": {"message": "No such invoice"}}, 404)
    return hosted.invoice_pdf(invoice) if parts[1:] == ["pdf"] else hosted.invoice_page(invoice)
