"""Zendesk without Zendesk: the host harness and the demo preview (demo, test and development only).

The harness page plays Zendesk's agent UI for the real ZAF SDK running in our sidebar: it POSTs
a signed-URL JWT into an iframe exactly as Zendesk does (form field `token`, RS256, with `origin`
and `app_guid` in the URL) and answers the SDK's postMessage protocol (handshake, get, invoke).
The browser test and `chargedesk demo` load the same page.

The demo installation's private key lives in its settings, readable by these routes only; the
routes and `seed_zendesk_demo` exist only in demo/test/development, where nothing is real.
"""
from __future__ import annotations

import secrets
import time
import uuid
from typing import Any
from urllib.parse import urlencode

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Blueprint, Flask, abort, make_response, render_template, request
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.db import session
from backend.models import Account, AgentIdentity, Customer, HelpdeskInstallation, User

from ..shell import is_demo_env

bp = Blueprint("demo_host", __name__)
KEY_SETTING = "harness_private_key_pem"
ZENDESK_USER_ID_BASE = 360000000  # demo Zendesk user ids: base + our user id
DEMO_TICKETS_FROM_CUSTOMERS = 4
JWT_LIFETIME_SECONDS = 300


def seed_zendesk_demo(session: Session, account: Account, *, subdomain: str | None = None,
                      tickets: list[dict] | None = None, api_base: str | None = None) -> dict[str, Any]:
    """A Zendesk installation the harness can sign for, agent identities, and demo tickets."""
    if not is_demo_env():
        raise RuntimeError("seed_zendesk_demo runs only in demo, test or development environments")
    private_pem, public_pem = new_key_pair()
    subdomain = subdomain or account.slug
    app_installation_id = str(10**8 + secrets.randbelow(9 * 10**8))
    agents = [_agent(user) for user in _users(session, account)]
    settings = {"app_installation_id": app_installation_id, "public_key_pem": public_pem, KEY_SETTING: private_pem,
                "harness": {"tickets": tickets if tickets is not None else demo_tickets(session, account),
                            "agents": agents}}
    if api_base:
        settings["api_base"] = api_base
    installation = HelpdeskInstallation(account_id=account.id, kind="zendesk", external_id=subdomain,
                                        settings=settings)
    session.add(installation)
    session.flush()
    for agent in agents:
        session.add(AgentIdentity(account_id=account.id, user_id=agent["user_id"], installation_id=installation.id,
                                  external_user_id=str(agent["id"])))
    session.flush()
    return {"installation_id": installation.id, "subdomain": subdomain, "app_installation_id": app_installation_id,
            "tickets": settings["harness"]["tickets"], "agents": agents, "preview_path": "/demo/zendesk"}


def new_key_pair() -> tuple[str, str]:
    """(private PEM, public PEM) of a fresh RSA key, like the one Zendesk signs app JWTs with."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return private, public


def _users(session: Session, account: Account) -> list[User]:
    stmt = select(User).where(User.account_id == account.id, User.disabled_at.is_(None)).order_by(User.id)
    return list(session.scalars(stmt))


def _agent(user: User) -> dict[str, Any]:
    zendesk_role = "admin" if user.role in ("owner", "admin") else "agent"
    return {"id": ZENDESK_USER_ID_BASE + user.id, "user_id": user.id, "name": user.name or user.email,
            "email": user.email, "role": user.role, "zendesk_role": zendesk_role}


def demo_tickets(session: Session, account: Account) -> list[dict]:
    """A ticket from each of the first customers, and one from a stranger (the empty state)."""
    stmt = (select(Customer.email, Customer.name).where(Customer.account_id == account.id,
                                                       Customer.email.is_not(None), Customer.deleted_at.is_(None))
            .order_by(Customer.id).limit(DEMO_TICKETS_FROM_CUSTOMERS * 3))
    tickets, seen = [], set()
    for email, name in session.execute(stmt):
        if email not in seen and len(tickets) < DEMO_TICKETS_FROM_CUSTOMERS:
            seen.add(email)
            tickets.append(_ticket(1001 + len(tickets), email, name, "Question about my last payment"))
    tickets.append(_ticket(1001 + len(tickets), "new.person@example.org", "New Person", "Do you have my card on file?"))
    return tickets


def _ticket(ticket_id: int, email: str, name: str | None, subject: str) -> dict:
    return {"id": ticket_id, "subject": subject, "requester": {"id": 500000 + ticket_id, "email": email,
                                                               "name": name or email}}


def mint_app_jwt(installation: HelpdeskInstallation, *, zendesk_user_id: int | str, location: str,
                 now: int | None = None) -> str:
    """The RS256 token Zendesk posts to a signed-URL location, signed with the harness key."""
    settings = installation.settings or {}
    issued = int(now if now is not None else time.time())
    claims = {"iss": f"{installation.external_id}.zendesk.com",
              "aud": (f"https://{installation.external_id}.zendesk.com/api/v2/apps/installations/"
                      f"{settings['app_installation_id']}.json"),
              "sub": str(zendesk_user_id), "iat": issued, "nbf": issued, "exp": issued + JWT_LIFETIME_SECONDS,
              "context": {"product": "support", "location": location}}
    return jwt.encode(claims, settings[KEY_SETTING], algorithm="RS256")


def _harness_installations() -> list[HelpdeskInstallation]:
    stmt = select(HelpdeskInstallation).where(HelpdeskInstallation.kind == "zendesk").order_by(HelpdeskInstallation.id)
    return [i for i in session().scalars(stmt) if KEY_SETTING in (i.settings or {})]


@bp.get("/demo/zendesk")
def preview():
    """The demo preview: a few tickets, each opening the harness as one of the account's agents."""
    installations = [(i, i.settings["harness"]) for i in _harness_installations()]
    return _no_store(render_template("zendesk/demo_index.html", installations=installations))


@bp.get("/demo/zendesk/<int:installation_id>/tickets/<int:ticket_id>")
def harness(installation_id: int, ticket_id: int):
    """One ticket in a fake Zendesk agent UI, with our app in the sidebar iframe."""
    installation = next((i for i in _harness_installations() if i.id == installation_id), None)
    if installation is None:
        abort(404)
    harness_settings = installation.settings["harness"]
    ticket = next((t for t in harness_settings["tickets"] if t["id"] == ticket_id), None)
    agent = _chosen_agent(harness_settings["agents"], request.args.get("agent", type=int))
    if ticket is None or agent is None:
        abort(404)
    location = "user_sidebar" if request.args.get("location") == "user_sidebar" else "ticket_sidebar"
    origin = request.host_url.rstrip("/")
    app_guid = str(uuid.uuid4())
    host = {"origin": origin, "app_guid": app_guid, "location": location, "ticket": ticket,
            "current_user": {k: agent[k] for k in ("id", "name", "email")} | {"role": agent["zendesk_role"]},
            "account": {"subdomain": installation.external_id},
            "installation_id": int(installation.settings["app_installation_id"])}
    token = mint_app_jwt(installation, zendesk_user_id=agent["id"], location=location)
    page = render_template("zendesk/harness.html", host=host, ticket=ticket, agent=agent, token=token,
                           installation=installation, agents=harness_settings["agents"],
                           launch_url="/sidebar/zendesk?" + urlencode({"origin": origin, "app_guid": app_guid}))
    response = _no_store(page)
    response.headers["Content-Security-Policy"] = ("default-src 'none'; script-src 'self'; style-src 'self'; "
                                                   "frame-src 'self'; form-action 'self'; base-uri 'none'")
    return response


def _chosen_agent(agents: list[dict], zendesk_user_id: int | None) -> dict | None:
    """The agent asked for, else the first plain agent, else anyone."""
    if zendesk_user_id is not None:
        return next((a for a in agents if a["id"] == zendesk_user_id), None)
    return next((a for a in agents if a["role"] == "agent"), agents[0] if agents else None)


def _no_store(html: str):
    response = make_response(html)
    response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
