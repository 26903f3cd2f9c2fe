"""HelpScoutHost: the HelpdeskHost contract over this folder's modules.

Sidebar loads: the iframe app (GET, signed query) and the legacy dynamic app (POST, signed body).
Our callback URLs carry `app=<installation external id>`, our own parameter, which Help Scout
leaves out of the signature; the installation's secret key (encrypted credentials) checks it.
"""
from __future__ import annotations

import json
import secrets
from typing import ClassVar, Mapping
from urllib.parse import urlencode, urlsplit

from flask import Flask, current_app, url_for
from sqlalchemy.orm import Session

from backend.models import Account, HelpdeskInstallation

from .. import HelpdeskConfig, HelpdeskError
from ..host import (
    DemoHelpdesk, HostClaims, HostSetupError, HostUser, HostVerificationError, InstallOption,
    NewInstallation, OAuthStart, SettingField, SidebarAssets, SidebarLoad,
)
from .client import HelpScoutHelpdesk, HelpScoutUser
from .installations import KIND, client_for, find_installation, mark_reconnect_required
from .oauth import client_config_from, exchange_code, merged_credentials, refresh_credentials, start_authorization
from .signature import SIGNATURE_HEADER, SignatureError, verify_body_signature, verify_query_signature

APP_PARAM = "app"  # our own callback URL parameter: the installation's external id
SECRET_KEY_MAX = 40  # Help Scout: "a randomly generated 40-character or less string"
USER_PARAM, CONVERSATION_PARAM = "user-id", "conversation-id"


class HelpScoutApi:
    """HelpdeskApi over HelpScoutHelpdesk; with an installation id, a revoked grant is marked at once."""

    def __init__(self, client: HelpScoutHelpdesk, *, installation_id: int | None = None):
        self.client = client
        self.installation_id = installation_id

    def current_user(self) -> HostUser:
        return host_user(self._marking(self.client.current_user))

    def find_user(self, external_id: str) -> HostUser:
        return host_user(self._marking(lambda: self.client.get_user(external_id)))

    def post_private_note(self, *, ticket_id: str, body: str, idempotency_key: str | None = None) -> None:
        self._marking(lambda: self.client.post_private_note(ticket_id=ticket_id, body=body,
                                                            idempotency_key=idempotency_key))

    def create_ticket(self, *, requester_email: str, requester_name: str | None, subject: str,
                      body: str, private_note: str | None = None) -> str:
        mailbox = (self.client.config.settings or {}).get("mailbox_id")
        if not mailbox:
            raise HelpdeskError("set the Help Scout mailbox id in ChargeDesk's admin page to create conversations")
        return str(self._marking(lambda: self.client.create_conversation(
            mailbox_id=mailbox, customer_email=requester_email, subject=subject, customer_text=body,
            note=private_note)))

    def _marking(self, call):
        try:
            return call()
        except HelpdeskError as exc:
            if exc.reconnect and self.installation_id:
                mark_reconnect_required(self.installation_id, reason=exc.message)
            raise


def host_user(user: HelpScoutUser) -> HostUser:
    return HostUser(external_id=str(user.id), email=user.email, name=user.name, role=user.role,
                    is_staff=user.is_staff, is_admin=user.is_admin)


class HelpScoutHost:
    """Help Scout: iframe apps and legacy dynamic apps (HMAC-SHA1), OAuth, the Mailbox API v2."""

    kind: ClassVar[str] = KIND
    label: ClassVar[str] = "Help Scout"
    install_options: ClassVar[tuple[InstallOption, ...]] = (
        InstallOption("secret_key", "The app's Secret Key (at most 40 characters; the same one in Help Scout)."),
        InstallOption("api_base", "Help Scout's base URL (a loopback emulator in tests); default Help Scout's own.",
                      required=False),
    )
    admin_settings: ClassVar[tuple[SettingField, ...]] = (
        SettingField("secret_key", "App secret key", "The Secret Key of the Help Scout app (max 40 characters).",
                     secret=True),
        SettingField("mailbox_id", "Mailbox id", "Where portal questions become conversations (digits).",
                     required=False),
        SettingField("support_email", "Support address", "Reply-To of receipts.", required=False),
    )
    sign_in_field: ClassVar[SettingField | None] = None  # one global authorize endpoint

    # --- sidebar ----------------------------------------------------------------------------
    def verify_sidebar_load(self, session: Session, load: SidebarLoad) -> HostClaims:
        if load.method == "POST":
            return self.verify_dynamic_load(session, app_id=load.args.get(APP_PARAM, ""), body=load.body,
                                            signature=_header(load.headers, SIGNATURE_HEADER))[0]
        installation = _installation(session, load.args.get(APP_PARAM, ""))
        query = urlencode(list(load.args.items()))
        try:
            context = verify_query_signature(_secret(installation), query, own_params=(APP_PARAM,))
        except SignatureError as exc:
            raise HostVerificationError(str(exc)) from None
        user_id = _id_text(context.get(USER_PARAM))
        if not user_id:
            raise HostVerificationError("the signed query names no Help Scout user (user-id)")
        return HostClaims(installation_id=installation.id, external_user_id=user_id,
                          location="conversation", ticket_id=_id_text(context.get(CONVERSATION_PARAM)) or None)

    def verify_dynamic_load(self, session: Session, *, app_id: str, body: bytes,
                            signature: str | None) -> tuple[HostClaims, dict]:
        """A legacy dynamic app POST: (claims, the parsed body); HostVerificationError if unsigned.

        A body that is signed but not the JSON Help Scout sends raises ValueError (answered as html)."""
        return verify_dynamic_body(_installation(session, app_id), body=body, signature=signature)

    def sidebar_assets(self) -> SidebarAssets:
        from sidebar_apps.helpscout import sdk

        return SidebarAssets(sdk_url=sdk.script_url,
                             host_script_url=lambda: url_for("helpscout_sidebar.static", filename="helpscout.js"),
                             frame_ancestors="https://secure.helpscout.net")

    def has_api_access(self, installation: HelpdeskInstallation) -> bool:
        return bool((installation.credentials or {}).get("access_token"))

    # --- OAuth ------------------------------------------------------------------------------
    def oauth_configured(self) -> bool:
        return client_config_from(_extra()) is not None

    def normalize_external_id(self, value: str) -> str:
        text = (value or "").strip()
        if text and (len(text) > 64 or not all(c.isalnum() or c in "-_" for c in text)):
            raise HostSetupError("A Help Scout installation id has letters, digits, '-' and '_' only.")
        return text

    def start_oauth(self, session: Session, *, external_id: str, redirect_uri: str) -> OAuthStart:
        api_base = _api_base_for(session, external_id)
        start = start_authorization(client=_oauth_client(), redirect_uri=redirect_uri, api_base=api_base)
        return OAuthStart(url=start.url, state=start.state, code_verifier="", external_id=external_id,
                          api_base=api_base)

    def exchange_code(self, *, start: OAuthStart, code: str, redirect_uri: str) -> dict:
        return exchange_code(client=_oauth_client(), code=code, api_base=start.api_base)

    def refresh_credentials(self, config: HelpdeskConfig) -> dict:
        tokens = refresh_credentials(client=_oauth_client(), api_base=config.api_base,
                                     refresh_token=str((config.credentials or {}).get("refresh_token") or ""))
        return merged_credentials(config.credentials or {}, tokens)

    # --- API --------------------------------------------------------------------------------
    def api(self, config: HelpdeskConfig) -> HelpScoutApi:
        return HelpScoutApi(HelpScoutHelpdesk(config, oauth_client=client_config_from(_extra())))

    def api_for(self, installation: HelpdeskInstallation) -> HelpScoutApi:
        try:
            client = client_for(installation)
        except HelpdeskError as exc:
            if exc.reconnect:
                mark_reconnect_required(installation.id, reason=exc.message)
            raise
        return HelpScoutApi(client, installation_id=installation.id)

    def post_private_note(self, *, installation_id: int, ticket_id: str, body: str,
                          idempotency_key: str | None = None) -> None:
        from backend.db import session

        installation = session().get(HelpdeskInstallation, installation_id)
        if installation is None:
            raise HelpdeskError(f"helpdesk installation {installation_id} does not exist")
        self.api_for(installation).post_private_note(ticket_id=ticket_id, body=body, idempotency_key=idempotency_key)

    # --- installations and settings ---------------------------------------------------------
    def new_installation(self, options: Mapping[str, str]) -> NewInstallation:
        settings = {}
        api_base = (options.get("api_base") or "").strip()
        if api_base:
            settings["api_base"] = checked_api_base(api_base)
        return NewInstallation(external_id=f"hs-{secrets.token_urlsafe(12)}",
                               credentials={"secret_key": checked_secret_key(options.get("secret_key", ""))},
                               settings=settings)

    def validated_settings(self, installation: HelpdeskInstallation, form: Mapping[str, str]) -> dict:
        values: dict = {}
        mailbox = (form.get("mailbox_id") or "").strip()
        if mailbox:
            if not mailbox.isdigit() or len(mailbox) > 18:
                raise HostSetupError("The mailbox id is the number in the mailbox's URL (digits only).")
            values["mailbox_id"] = int(mailbox)
        email = (form.get("support_email") or "").strip()
        if email:
            from backend.emails import normalize_email

            if normalize_email(email) is None:
                raise HostSetupError("The support email address is not valid.")
            values["support_email"] = normalize_email(email)
        if (form.get("secret_key") or "").strip():
            checked_secret_key(form["secret_key"])  # stored in credentials by the caller (secret field)
        return values

    def paste_urls(self, *, base_url: str, installation: HelpdeskInstallation) -> list[tuple[str, str]]:
        base, app = base_url.rstrip("/"), urlencode({APP_PARAM: installation.external_id})
        return [("app callback URL", f"{base}/sidebar/{KIND}?{app}"),
                ("dynamic app callback URL", f"{base}/sidebar/{KIND}/dynamic?{app}"),
                ("OAuth redirect URL", f"{base}/admin/oauth/{KIND}/callback")]

    # --- wiring and demo --------------------------------------------------------------------
    def init_app(self, app: Flask) -> None:
        from sidebar_apps.helpscout import init_app

        init_app(app)

    def start_demo(self, app: Flask, account: Account) -> DemoHelpdesk | None:
        from .demo import start_demo_helpscout

        demo = start_demo_helpscout(app, account)
        return DemoHelpdesk(label="Help Scout sidebar preview (iframe app and legacy dynamic app)",
                            preview_path=demo.preview_path, stop=demo.stop)


# --- helpers ------------------------------------------------------------------------------------
def verify_dynamic_body(installation: HelpdeskInstallation, *, body: bytes,
                        signature: str | None) -> tuple[HostClaims, dict]:
    """A dynamic app POST for an installation already found: (claims, body); see verify_dynamic_load."""
    try:
        verify_body_signature(_secret(installation), body, signature)
    except SignatureError as exc:
        raise HostVerificationError(str(exc)) from None
    data = parse_dynamic_body(body)
    ticket = data.get("ticket") if isinstance(data.get("ticket"), dict) else {}
    user = data.get("user") if isinstance(data.get("user"), dict) else {}
    claims = HostClaims(installation_id=installation.id, external_user_id=_id_text(user.get("id")),
                        location="conversation", ticket_id=_id_text(ticket.get("id")) or None,
                        requester_emails=customer_emails(data.get("customer")))
    return claims, data


def parse_dynamic_body(body: bytes) -> dict:
    """The dynamic app's JSON object; ValueError says what is wrong with it."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ValueError("the request body is not JSON") from None
    if not isinstance(data, dict):
        raise ValueError("the request body is not a JSON object")
    return data


def customer_emails(customer) -> tuple[str, ...]:
    """customer.emails (all addresses) and customer.email, de-duplicated, as sent."""
    if not isinstance(customer, dict):
        return ()
    values = [customer.get("email"), *(customer.get("emails") if isinstance(customer.get("emails"), list) else [])]
    out: list[str] = []
    for value in values:
        text = value.get("value") if isinstance(value, dict) else value
        if isinstance(text, str) and text.strip() and text.strip() not in out:
            out.append(text.strip())
    return tuple(out[:20])


def checked_secret_key(value: str) -> str:
    key = (value or "").strip()
    if not key or len(key) > SECRET_KEY_MAX or not key.isprintable():
        raise HostSetupError(f"--secret-key must be the Help Scout app's Secret Key: 1 to {SECRET_KEY_MAX} "
                             "printable characters.")
    return key


def checked_api_base(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise HostSetupError("--api-base must be an http(s) URL such as https://api.helpscout.net.")
    return value.rstrip("/")


def _installation(session: Session, app_id: str) -> HelpdeskInstallation:
    installation = find_installation(session, app_id)
    if installation is None:
        raise HostVerificationError(f"no Help Scout installation {app_id[:64]!r}")
    return installation


def _secret(installation: HelpdeskInstallation) -> str:
    secret = str((installation.credentials or {}).get("secret_key") or "")
    if not secret:
        raise HostVerificationError(f"Help Scout installation {installation.id} has no secret key")
    return secret


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    return None


def _id_text(value) -> str:
    if isinstance(value, bool) or value is None:
        return ""
    text = str(value).strip()
    return text if text.isdigit() and len(text) <= 20 else ""


def _extra() -> Mapping:
    return current_app.config["SETTINGS"].extra


def _oauth_client():
    client = client_config_from(_extra())
    if client is None:
        raise HelpdeskError("Help Scout sign-in is not configured: set CHARGEDESK_HELPSCOUT_CLIENT_ID and "
                            "CHARGEDESK_HELPSCOUT_CLIENT_SECRET")
    return client


def _api_base_for(session: Session, external_id: str) -> str | None:
    """An installation's own api_base (demo, emulator), else CHARGEDESK_HELPSCOUT_BASE_URL, else Help Scout."""
    installation = find_installation(session, external_id) if external_id else None
    if installation is not None and (installation.settings or {}).get("api_base"):
        return installation.settings["api_base"]
    return _extra().get("HELPSCOUT_BASE_URL") or None
