"""ZendeskHost: the HelpdeskHost contract over the Zendesk modules of this folder.

Signed-URL JWTs (jwt.py), OAuth with PKCE (oauth.py), the zenpy client (client.py) and the stored
installation's upkeep (installations.py) stay where they are; this module only adapts them to the
generic records (HostClaims, HostUser, ...) so generic code never needs to know it is Zendesk.
"""
from __future__ import annotations

import re
from typing import ClassVar, Mapping

from flask import Flask, current_app, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.models import Account, HelpdeskInstallation

from .. import HelpdeskConfig, HelpdeskError
from ..host import (
    DemoHelpdesk, HostClaims, HostSetupError, HostUser, HostVerificationError, InstallOption,
    NewInstallation, OAuthStart, SettingField, SidebarAssets, SidebarLoad,
)
from .client import ZendeskHelpdesk, ZendeskUser
from .installations import client_for, mark_reconnect_required, post_private_note
from .jwt import ZafTokenError, load_public_key_pem, unverified_subdomain, verify_zendesk_jwt
from .oauth import client_config_from, exchange_code, refresh_credentials, start_authorization
from .urls import SubdomainError, base_url_template, is_default_base, normalize_subdomain, zendesk_base_url

KIND = "zendesk"
APP_INSTALLATION_ID_RE = re.compile(r"^[0-9]{1,20}$")


class ZendeskApi:
    """HelpdeskApi over ZendeskHelpdesk; with an installation id, a revoked grant is marked at once."""

    def __init__(self, client: ZendeskHelpdesk, *, installation_id: int | None = None):
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
        return self._marking(lambda: self.client.create_ticket(
            requester_email=requester_email, requester_name=requester_name, subject=subject, body=body,
            private_note=private_note))

    def _marking(self, call):
        try:
            return call()
        except HelpdeskError as exc:
            if exc.reconnect and self.installation_id:
                mark_reconnect_required(self.installation_id, reason=exc.message)
            raise


def host_user(user: ZendeskUser) -> HostUser:
    """Zendesk's user record as the generic one (admins and agents are staff, end users are not)."""
    return HostUser(external_id=str(user.id), email=user.email, name=user.name, role=user.role,
                    is_staff=user.is_staff, is_admin=user.is_admin,
                    active=user.active and not user.suspended)


class ZendeskHost:
    """Zendesk Support: ZAF v2 signed URLs, OAuth per subdomain, the Support API through zenpy."""

    kind: ClassVar[str] = KIND
    label: ClassVar[str] = "Zendesk"
    install_options: ClassVar[tuple[InstallOption, ...]] = (
        InstallOption("subdomain", "The 'acme' of acme.zendesk.com."),
        InstallOption("app_installation_id", "The installed app's id (digits; zcli apps:create prints it)."),
        InstallOption("public_key_file", "The app's public key PEM (GET /api/v2/apps/{app_id}/public_key.pem).",
                      from_file=True),
    )
    admin_settings: ClassVar[tuple[SettingField, ...]] = (
        SettingField("app_installation_id", "App installation id", "The number Zendesk shows for the installed app.",
                     verifies_loads=True),
        SettingField("public_key_pem", "App public key", "PEM; signed URLs are checked with it.", multiline=True,
                     verifies_loads=True),
        SettingField("support_email", "Support address", "Reply-To of receipts.", required=False),
    )
    sign_in_field: ClassVar[SettingField | None] = SettingField(
        "subdomain", "Zendesk subdomain", "The 'acme' of acme.zendesk.com.")

    # --- sidebar ----------------------------------------------------------------------------
    def verify_sidebar_load(self, session: Session, load: SidebarLoad) -> HostClaims:
        token = load.form.get("token", "") if load.method == "POST" else ""
        try:
            subdomain = unverified_subdomain(token)
            installation = find_installation(session, subdomain)
            if installation is None:
                raise ZafTokenError("no installation for this subdomain")
            settings = installation.settings or {}
            claims = verify_zendesk_jwt(token, subdomain=subdomain,
                                        app_installation_id=str(settings.get("app_installation_id") or ""),
                                        public_key_pem=str(settings.get("public_key_pem") or ""))
        except ZafTokenError as exc:
            raise HostVerificationError(str(exc)) from None
        return HostClaims(installation_id=installation.id, external_user_id=claims.user_id,
                          location=claims.location)

    def sidebar_assets(self) -> SidebarAssets:
        from sidebar_apps.zendesk import zaf_sdk

        return SidebarAssets(
            sdk_url=zaf_sdk.script_url,
            host_script_url=lambda: url_for("zendesk_app.static", filename="zendesk.js"),
            frame_ancestors="https://*.zendesk.com", sdk_origin="https://static.zdassets.com")

    def has_api_access(self, installation: HelpdeskInstallation) -> bool:
        return bool((installation.credentials or {}).get("access_token"))

    # --- OAuth ------------------------------------------------------------------------------
    def oauth_configured(self) -> bool:
        return client_config_from(_extra()) is not None

    def normalize_external_id(self, value: str) -> str:
        try:
            return normalize_subdomain(value)
        except SubdomainError as exc:
            raise HostSetupError(str(exc)) from None

    def start_oauth(self, session: Session, *, external_id: str, redirect_uri: str) -> OAuthStart:
        base_url = _base_url_for(session, external_id)
        start = start_authorization(base_url=base_url, client=_oauth_client(), redirect_uri=redirect_uri)
        return OAuthStart(url=start.url, state=start.state, code_verifier=start.code_verifier,
                          external_id=external_id,
                          api_base=None if is_default_base(external_id, base_url) else base_url)

    def exchange_code(self, *, start: OAuthStart, code: str, redirect_uri: str) -> dict:
        base_url = start.api_base or zendesk_base_url(start.external_id)
        return exchange_code(base_url=base_url, client=_oauth_client(), redirect_uri=redirect_uri, code=code,
                             code_verifier=start.code_verifier)

    def refresh_credentials(self, config: HelpdeskConfig) -> dict:
        return refresh_credentials(base_url=zendesk_base_url(config.external_id, api_base=config.api_base),
                                   client=_oauth_client(),
                                   refresh_token=str((config.credentials or {}).get("refresh_token") or ""))

    # --- API --------------------------------------------------------------------------------
    def api(self, config: HelpdeskConfig) -> ZendeskApi:
        return ZendeskApi(ZendeskHelpdesk(config, oauth_client=client_config_from(_extra())))

    def api_for(self, installation: HelpdeskInstallation) -> ZendeskApi:
        try:
            client = client_for(installation)
        except HelpdeskError as exc:
            if exc.reconnect:
                mark_reconnect_required(installation.id, reason=exc.message)
            raise
        return ZendeskApi(client, installation_id=installation.id)

    def post_private_note(self, *, installation_id: int, ticket_id: str, body: str,
                          idempotency_key: str | None = None) -> None:
        post_private_note(installation_id=installation_id, ticket_id=ticket_id, body=body,
                          idempotency_key=idempotency_key)

    # --- installations and settings ---------------------------------------------------------
    def new_installation(self, options: Mapping[str, str]) -> NewInstallation:
        subdomain = self.normalize_external_id(options.get("subdomain", ""))
        settings = app_settings(options.get("app_installation_id", ""), options.get("public_key_file", ""))
        return NewInstallation(external_id=subdomain, credentials={}, settings=settings)

    def validated_settings(self, installation: HelpdeskInstallation, form: Mapping[str, str]) -> dict:
        """The fields given (a field left out is kept): installation id, public key, support email."""
        values = {}
        if (form.get("app_installation_id") or "").strip():
            values["app_installation_id"] = valid_app_installation_id(form["app_installation_id"])
        if (form.get("public_key_pem") or "").strip():
            values["public_key_pem"] = valid_public_key(form["public_key_pem"])
        email = (form.get("support_email") or "").strip()
        if email:
            from backend.emails import normalize_email

            normalized = normalize_email(email)
            if normalized is None:
                raise HostSetupError("The support email address is not valid.")
            values["support_email"] = normalized
        return values

    def paste_urls(self, *, base_url: str, installation: HelpdeskInstallation) -> list[tuple[str, str]]:
        base = base_url.rstrip("/")
        return [("sidebar URL (app setting sidebar_url, signed)", f"{base}/sidebar/{KIND}"),
                ("OAuth redirect URL", f"{base}/admin/oauth/{KIND}/callback")]

    # --- wiring and demo --------------------------------------------------------------------
    def init_app(self, app: Flask) -> None:
        from sidebar_apps import zendesk

        from . import admin_routes

        zendesk.init_app(app)
        admin_routes.init_app(app)

    def start_demo(self, app: Flask, account: Account) -> DemoHelpdesk:
        from .demo import start_demo_zendesk

        demo = start_demo_zendesk(app, account)
        return DemoHelpdesk(label="Zendesk sidebar preview (click refunds, cancellations ...)",
                            preview_path=demo.preview_path, stop=demo.stop)


def app_settings(app_installation_id: str, public_key_pem: str) -> dict:
    """The signed-URL settings: the app installation id (digits) and an RSA public key PEM."""
    return {"app_installation_id": valid_app_installation_id(app_installation_id),
            "public_key_pem": valid_public_key(public_key_pem)}


def valid_app_installation_id(value: str) -> str:
    app_id = (value or "").strip()
    if not APP_INSTALLATION_ID_RE.match(app_id):
        raise HostSetupError("The app installation id is the number Zendesk shows for the installed app "
                             "(digits only).")
    return app_id


def valid_public_key(value: str) -> str:
    pem = (value or "").strip()
    try:
        load_public_key_pem(pem)
    except ValueError as exc:
        raise HostSetupError(f"The app public key is not usable: {exc}.") from None
    return pem + "\n"


def find_installation(session: Session, subdomain: str) -> HelpdeskInstallation | None:
    return session.scalars(select(HelpdeskInstallation).where(
        HelpdeskInstallation.kind == KIND, HelpdeskInstallation.external_id == subdomain)).first()


def _extra() -> Mapping:
    return current_app.config["SETTINGS"].extra


def _oauth_client():
    client = client_config_from(_extra())
    if client is None:
        raise HelpdeskError("Zendesk sign-in is not configured: set CHARGEDESK_ZENDESK_CLIENT_ID and "
                            "CHARGEDESK_ZENDESK_CLIENT_SECRET")
    return client


def _base_url_for(session: Session, subdomain: str) -> str:
    """An installation's own api_base (demo, emulator) wins over CHARGEDESK_ZENDESK_BASE_URL."""
    installation = find_installation(session, subdomain)
    api_base = (installation.settings or {}).get("api_base") if installation else None
    try:
        template = base_url_template(_extra())
    except SubdomainError as exc:
        raise HelpdeskError(f"Zendesk sign-in is misconfigured: {exc}") from None
    return zendesk_base_url(subdomain, api_base=api_base, template=template)
