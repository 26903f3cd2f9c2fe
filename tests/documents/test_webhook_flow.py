"""End to end: signed Stripe webhooks from the sandbox -> stored -> drained -> receipt/credit note -> outbox."""
from __future__ import annotations

import email
import hashlib
import hmac
import json
import time
from email import policy
from pathlib import Path

from tests.conftest import wait_for
from tests.sync.conftest import seeder, stripe_connection, stripe_sandbox  # noqa: F401 - fixtures

from .conftest import documents

SECRET = "whsec_test_secret"  # stripe_connection's


def _deliver(client, connection_id, seeder, object_path, event_id, type_):
    obj = seeder.get(object_path)
    body = json.dumps({"id": event_id, "object": "event", "type": type_, "created": int(time.time()),
                       "api_version": "2026-10-28.endive", "livemode": False, "data": {"object": obj}}).encode()
    t = int(time.time())
    mac = hmac.new(SECRET.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    resp = client.post(f"/webhooks/stripe/{connection_id}", data=body,
                       headers={"Content-Type": "application/json", "Stripe-Signature": f"t={t},v1={mac}"})
    assert resp.status_code == 200, resp.get_json()


def _outbox_subjects(instance: Path) -> list[str]:
    folder = instance / "outbox"
    return [email.message_from_bytes(p.read_bytes(), policy=policy.default)["Subject"]
            for p in sorted(folder.glob("*.eml"))] if folder.exists() else []


def test_stripe_webhooks_make_one_receipt_and_one_credit_note_each_emailed_once(
        app, ctx, client, stripe_connection, seeder, rq_worker, tmp_path):  # noqa: F811
    cus = seeder.customer("buyer@example.com", name="Bea Buyer")
    ch = seeder.charge(cus["id"], 2500, currency="eur")
    charge_path, customer_path = f"/v1/charges/{ch['id']}", f"/v1/customers/{cus['id']}"
    rq_worker(env_extra={"CHARGEDESK_INSTANCE_PATH": str(tmp_path)})  # its own outbox
    _deliver(client, stripe_connection.id, seeder, charge_path, "evt_1", "charge.succeeded")
    _deliver(client, stripe_connection.id, seeder, charge_path, "evt_1b", "charge.succeeded")  # another delivery
    time.sleep(1)  # the customer's event arrives after its charge's: the receipt waits for it
    _deliver(client, stripe_connection.id, seeder, customer_path, "evt_0", "customer.created")
    receipt = wait_for(lambda: [d for d in documents("receipt") if d.send_status == "sent"], timeout=60,
                       message="the receipt, sent")[0]
    re = seeder.refund(ch["id"], 1000)
    _deliver(client, stripe_connection.id, seeder, charge_path, "evt_2", "charge.refunded")
    _deliver(client, stripe_connection.id, seeder, f"/v1/refunds/{re['id']}", "evt_3", "refund.created")
    note = wait_for(lambda: [d for d in documents("credit_note") if d.send_status == "sent"], timeout=60,
                    message="the credit note, sent")[0]
    assert len(documents("receipt")) == 1 and note.reverses_document_id == receipt.id
    assert (receipt.total_minor, note.total_minor, receipt.currency) == (2500, 1000, "EUR")
    assert receipt.sent_to == "buyer@example.com" and receipt.content["buyer"]["name"] == "Bea Buyer"
    assert sorted(_outbox_subjects(tmp_path)) == sorted([f"Your receipt {receipt.display_number} from Acme Inc",
                                   f"Your credit note {note.display_number} from Acme Inc"])
