"""Fixtures: a loopback Intercom emulator, Acme's installation, Ada's Stripe mirror, and a signed
Canvas Kit request helper whose every answer is checked against Intercom's Canvas Kit schema."""
from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path

import pytest

from backend.integrations.helpdesks.intercom.emulator import IntercomEmulator

CLIENT_ID = "ic-chargedesk-test"
CLIENT_SECRET = "intercom-client-secret-for-tests"
REDIRECT_URI = "http://testserver/admin/oauth/intercom/callback"
WORKSPACE = "ws-acme"
CONVERSATION = "7001"
SCHEMA_PATH = Path("/work/shared/reference/vendor/intercom-canvas-kit.schema.json")
MAX_CONTENT_BYTES = 64 * 1024


def schema_validator():
    """A jsonschema validator of Canvas Kit responses, or None where the vendor schema is absent."""
    if not SCHEMA_PATH.is_file():
        return None
    import jsonschema

    schema = json.loads(SCHEMA_PATH.read_text())
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


_VALIDATOR = schema_validator()


def check_canvas(response) -> dict:
    """Every canvas answer: 200, JSON, under 64 KB, and valid against the schema (where it is present)."""
    assert response.status_code == 200, response.text
    assert len(response.get_data()) < MAX_CONTENT_BYTES
    data = response.get_json()
    if _VALIDATOR is not None:
        errors = sorted(_VALIDATOR.iter_errors(data), key=str)
        assert not errors, f"not a valid Canvas Kit response: {errors[0].message} in {json.dumps(data)[:2000]}"
    assert set(data) <= {"canvas", "card_creation_options", "event"}
    return data


def requires_schema():
    return pytest.mark.skipif(_VALIDATOR is None, reason=f"the Canvas Kit schema {SCHEMA_PATH} is absent "
                                                         "(it lives beside the project; CI has it)")


def canvas_body(*, admin_id: str, admin_email: str = "olga@acme.test", emails=("ada@example.com",),
                conversation: str | None = CONVERSATION, workspace: str = WORKSPACE, component_id: str | None = None,
                stored_data: dict | None = None, input_values: dict | None = None) -> bytes:
    """An Inbox Initialize (or, with component_id, Submit) request body in API 2.x's shape."""
    data: dict = {"workspace_id": workspace, "workspace_region": "us",
                  "admin": {"type": "admin", "id": admin_id, "email": admin_email, "name": "Teammate"},
                  "context": {"conversation_id": conversation, "location": "conversation", "locale": "en"},
                  "conversation": {"type": "conversation", "id": conversation} if conversation else None,
                  "contact": {"type": "contact", "id": "c1", "email": emails[0] if emails else None},
                  "card_creation_options": {}}
    if len(emails) > 1:
        data["conversation"]["contacts"] = {"contacts": [{"type": "contact", "email": e} for e in emails[1:]]}
    if component_id is not None:
        data.update(component_id=component_id, input_values=input_values or {},
                    current_canvas={"content": {"components": []}, "stored_data": stored_data or {}})
    return json.dumps(data, indent=1).encode()  # not compact: the signature covers these exact bytes


def sign(body: bytes, secret: str = CLIENT_SECRET) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class Intercom:
    """Plays Intercom's inbox against our endpoints: initialize, then submits carrying stored_data."""

    def __init__(self, client, admin_id: str, **body):
        self.client, self.admin_id, self.body = client, admin_id, body
        self.stored: dict = {}
        self.last: dict = {}

    def post(self, path: str, body: bytes, signature: str | None = None):
        return self.client.post(path, data=body, headers={"Content-Type": "application/json",
                                                          "X-Body-Signature": signature or sign(body)})

    def initialize(self) -> dict:
        return self._keep(self.post("/sidebar/intercom/initialize", canvas_body(admin_id=self.admin_id, **self.body)))

    def click(self, component_id: str, **inputs) -> dict:
        body = canvas_body(admin_id=self.admin_id, component_id=component_id, stored_data=self.stored,
                           input_values=inputs, **self.body)
        return self._keep(self.post("/sidebar/intercom/submit", body))

    def _keep(self, response) -> dict:
        data = check_canvas(response)
        self.last = data
        self.stored = data["canvas"].get("stored_data") or {}
        return data


def components(data: dict) -> list[dict]:
    return data["canvas"]["content"]["components"]


def ids(data: dict) -> list[str]:
    """Every clickable id: buttons and list items with an action."""
    out = []
    for c in components(data):
        if c["type"] == "button":
            out.append(c["id"])
        if c["type"] == "list":
            out += [i["id"] for i in c["items"] if i.get("action")]
    return out


def texts(data: dict) -> str:
    out = []
    for c in components(data):
        out += [str(c.get(k)) for k in ("text", "label", "value") if c.get(k)]
        out += [f"{i['field']}: {i['value']}" for i in c.get("items", []) if i.get("type") == "field-value"]
        out += [" ".join(str(i.get(k) or "") for k in ("title", "subtitle", "tertiary_text"))
                for i in c.get("items", []) if i.get("type") == "item"]
    return "\n".join(out)


@pytest.fixture(scope="session")
def intercom_server():
    emulator = IntercomEmulator()
    emulator.start()
    yield emulator
    emulator.stop()


@pytest.fixture
def intercom(intercom_server):
    intercom_server.reset()
    intercom_server.register_app(CLIENT_ID, CLIENT_SECRET, redirect_uri=REDIRECT_URI)
    return intercom_server


@pytest.fixture
def configured(intercom, app, monkeypatch):
    extra = app.config["SETTINGS"].extra
    monkeypatch.setitem(extra, "INTERCOM_CLIENT_ID", CLIENT_ID)
    monkeypatch.setitem(extra, "INTERCOM_CLIENT_SECRET", CLIENT_SECRET)
    monkeypatch.setitem(extra, "INTERCOM_BASE_URL", intercom.url)
    return intercom


@pytest.fixture
def ic_admin(intercom) -> str:
    return intercom.add_admin(email="olga@acme.test", name="Olga Owner")


@pytest.fixture
def installation(configured, account, ic_admin):
    """Acme's Intercom installation: client secret, emulator base, Olga's token, Olga linked to our owner."""
    from backend.db import transaction
    from backend.integrations.helpdesks.intercom.seeding import install_for_account
    from backend.models import User

    with transaction() as s:
        owner = s.query(User).filter_by(account_id=account.id, role="owner").one()
        return install_for_account(s, account, configured, client_secret=CLIENT_SECRET, workspace_id=WORKSPACE,
                                   admin=owner, admin_intercom_id=ic_admin)


@pytest.fixture
def billing(account):
    """Ada's Stripe mirror: $20.00, $49.00 and $7.00 charges and a Pro subscription."""
    from tests.sidebar.conftest import Mirror

    mirror = Mirror(account)
    conn = mirror.connection()
    customer, customer_id = mirror.customer(conn, "ada@example.com", name="Ada Lovelace")
    small = mirror.charge(conn, customer, 2000)
    large = mirror.charge(conn, customer, 4900, days_ago=3)
    old = mirror.charge(conn, customer, 700, days_ago=9)
    subscription = mirror.subscription(conn, customer)
    return {"customer_id": customer_id, "small": small, "large": large, "old": old, "subscription": subscription,
            "mirror": mirror, "conn": conn}
