"""Every action kind, happy path, through the API, a real worker and the Stripe sandbox."""
from backend.models import Charge, Customer, Invoice, Subscription, TaxId
from tests.actions.conftest import audit_events, row, wait_status


def _done(resp):
    assert resp.status_code == 202, resp.json
    run = wait_status(resp.json["id"], "succeeded", "failed")
    assert run.status == "succeeded", run.error_message
    return run


def test_capture_part_of_an_authorization_then_void_another(ctx, account, shop, mirror, act, rq_worker):
    customer = shop.customer()
    held, other = shop.charge(customer, 3000, capture=False), shop.charge(customer, 1200, capture=False)
    mirror()
    rq_worker()
    captured = _done(act("capture", row(Charge, external_id=held).id, params={"amount": 2000}))
    assert captured.result["summary"] == "Captured $20.00 of a $30.00 authorization"
    assert row(Charge, external_id=held).amount_captured_minor == 2000
    assert shop.sb.get(held)["captured"] is True

    voided = _done(act("void", row(Charge, external_id=other).id))
    assert voided.result["summary"] == "Voided the $12.00 authorization"
    assert row(Charge, external_id=other).status == "canceled"


def test_cancel_at_period_end_then_now(ctx, account, shop, mirror, act, rq_worker):
    subscription = shop.subscription(shop.customer(), shop.price())
    mirror()
    target = row(Subscription, external_id=subscription).id
    rq_worker()
    later = _done(act("cancel_subscription", target, params={"at_period_end": True}, reason="requested_by_customer"))
    assert later.result["summary"].startswith("Set the Pro plan subscription to cancel at the end of the period")
    assert row(Subscription, id=target).cancel_at_period_end is True
    assert act("cancel_subscription", target, params={"at_period_end": True},
               reason="requested_by_customer").status_code == 409

    now = _done(act("cancel_subscription", target, reason="other", note="chargeback risk"))
    assert now.result["summary"] == "Canceled the Pro plan subscription now"
    assert row(Subscription, id=target).status == "canceled"
    assert shop.sb.get(subscription)["status"] == "canceled"


def test_create_subscription(ctx, account, shop, mirror, act, rq_worker):
    customer, price = shop.customer(), shop.price(1500)
    mirror()
    rq_worker()
    run = _done(act("create_subscription", row(Customer, external_id=customer).id,
                    params={"price_id": price, "trial_days": 14}))
    assert run.result["summary"] == "Started a subscription to Pro plan ($15.00/month) with a 14-day trial"
    created = [s for s in shop.sb.objects("subscription") if s["customer"] == customer]
    assert len(created) == 1 and created[0]["metadata"]["chargedesk_key"] == run.id
    assert row(Subscription, external_id=created[0]["id"]).status == "trialing"


def test_send_an_existing_draft_invoice(ctx, account, shop, mirror, act, rq_worker):
    customer = shop.customer()
    draft = shop.v1.invoices.create({"customer": customer, "collection_method": "send_invoice",
                                     "days_until_due": 30})
    shop.v1.invoice_items.create({"customer": customer, "invoice": draft.id, "amount": 4200, "currency": "usd",
                                  "description": "Consulting"})
    mirror()
    rq_worker()
    run = _done(act("send_invoice", row(Invoice, external_id=draft.id).id))
    assert run.result["summary"].startswith("Sent invoice ") and run.result["summary"].endswith("for $42.00")
    assert row(Invoice, external_id=draft.id).status == "open"
    assert [s["invoice"] for s in shop.sb.invoice_sends] == [draft.id]


def test_create_and_send_an_invoice_for_a_customer(ctx, account, shop, mirror, act, rq_worker):
    customer = shop.customer()
    mirror()
    rq_worker()
    target = row(Customer, external_id=customer).id
    run = _done(act("send_invoice", target, target_type="customer", params={
        "lines": [{"description": "Setup", "amount": 5000}, {"description": "Support hours", "amount": 2500,
                                                             "quantity": 5}]}))
    invoice = row(Invoice, customer_id=target)
    assert (invoice.total_minor, invoice.status, invoice.currency) == (7500, "open", "USD")
    assert run.result["summary"].endswith("for $75.00") and len(shop.sb.invoice_sends) == 1


def test_apply_a_coupon_to_a_subscription(ctx, account, shop, mirror, act, rq_worker):
    subscription = shop.subscription(shop.customer(), shop.price())
    shop.v1.coupons.create({"id": "SAVE20", "percent_off": 20, "duration": "forever"})
    mirror()
    rq_worker()
    target = row(Subscription, external_id=subscription).id
    run = _done(act("apply_coupon", target, params={"code": "SAVE20"}))
    assert run.result["summary"] == "Applied coupon SAVE20 to the Pro plan subscription"
    assert "SAVE20" in row(Subscription, id=target).discount_codes
    assert act("apply_coupon", target, params={"code": "SAVE20"}).status_code == 409


def test_add_a_tax_id(ctx, account, shop, mirror, act, rq_worker):
    customer = shop.customer()
    mirror()
    rq_worker()
    target = row(Customer, external_id=customer).id
    run = _done(act("add_tax_id", target, params={"type": "eu_vat", "value": "de 123 456 789"}))
    assert run.result["summary"] == "Added tax ID eu_vat DE123456789"
    assert row(TaxId, customer_id=target).value == "DE123456789"
    assert act("add_tax_id", target, params={"type": "eu_vat", "value": "DE123456789"}).status_code == 409
    assert audit_events(account.id, run.id)[-1] == "action.succeeded"
