"""IntercomHost: the HelpdeskHost contract over this folder's modules.

A sidebar load is Intercom's Canvas Kit POST (Initialize or Submit): JSON signed with X-Body-Signature
(hex HMAC-SHA256 of the raw body with the app's client secret). Its `workspace_id` finds our
installation (external id), its `admin` is the teammate, `contact`/`customer` give the emails and
`conversation`/`context` the conversation id. Intercom tokens do not expire: there is no refresh.
"""
from __future__ import annotations

from typing import Any, ClassVar, Mapping
from urllib.parse import urlsplit

from flask import Flask, current_app
from sqlalchemy.orm import Session

from backend.models import Account, HelpdeskInstallation

from .. import HelpdeskConfig, HelpdeskError
from ..host import (
    DemoHelpdesk, HostClaims, HostSetupError, HostUser, HostVerificationError, InstallOption,
    NewInstallation, OAuthStart, SettingField, SidebarAssets, SidebarLoad,
)
from .client import IntercomAdmin, IntercomHelpdesk
from .installations import KIND, client_for, find_installation, mark_reconnect_required
from .oauth import client_config_from, exchange_code, start_authorization
from .canvas_requests import unverified_field, verify_canvas_body
from .signature import SIGNATURE_HEADER
from .urls import API_BASES

class IntercomApi:
    """HelpdeskApi over IntercomHelpdesk; with an installation id, a revoked grant is marked at once."""

    def __init__(self, client: IntercomHelpdesk, *, installation_id: int | None = None):
        self.client = client
        self.installation_id = installation_id

    def current_user(self) -> HostUser:
        return host_user(self._marking(self.client.me))

    def find_user(self, external_id: str) -> HostUser:
        return host_user(self._marking(lambda: self.client.get_admin(external_id)))

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


def host_user(admin: IntercomAdmin) -> HostUser:
    """Intercom has no role on a teammate: the token's own teammate (who could install the app) is
    an admin here, every other teammate an agent until an account admin promotes them."""
    return HostUser(external_id=admin.id, email=admin.email, name=admin.name,
                    role="workspace admin" if admin.owner else "teammate", is_staff=True,
                    is_admin=admin.owner, active=admin.active)


class IntercomHost:
    """Intercom: a Canvas Kit inbox app (Initialize/Submit URLs), OAuth, REST API notes."""

    kind: ClassVar[str] = KIND
    label: ClassVar[str] = "Intercom"
    install_options: ClassVar[tuple[InstallOption, ...]] = (
        InstallOption("workspace_id", "The Intercom workspace id (app id in app.intercom.com/a/apps/<id>)."),
        InstallOption("client_secret", "The app's client secret (Developer Hub › Basic info); it signs requests."),
        InstallOption("region", "Where the workspace is hosted: us, eu or au (default us).", required=False),
        InstallOption("api_base", "Intercom's API base URL (a loopback emulator in tests); overrides --region.",
                      required=False),
    )
    admin_settings: ClassVar[tuple[SettingField, ...]] = (
        SettingField("client_secret", "App client secret", "Checks X-Body-Signature of Canvas Kit requests.",
                     secret=True),
        SettingField("region", "Region", "us, eu or au: where the Intercom workspace is hosted.", required=False),
    )
    sign_in_field: ClassVar[SettingField | None] = SettingField(
        "workspace_id", "Intercom workspace id", "The id in your Intercom URL: app.intercom.com/a/apps/<id>.")

    # --- sidebar ----------------------------------------------------------------------------
    def verify_sidebar_load(self, session: Session, load: SidebarLoad) -> HostClaims:
        return self.verify_canvas_request(session, body=load.body,
                                          signature=_header(load.headers, SIGNATURE_HEADER))[0]

    def verify_canvas_request(self, session: Session, *, body: bytes,
                              signature: str | None) -> tuple[HostClaims, dict]:
        """(claims, the parsed body) of a signed Canvas Kit request; HostVerificationError otherwise.

        Nothing of the body is trusted before the signature matched the installation's secret."""
        workspace_id = unverified_field(body, "workspace_id")
        installation = find_installation(session, workspace_id)
        if installation is None:
            raise HostVerificationError(f"no Intercom installation for workspace {workspace_id[:64]!r}")
        return verify_canvas_body(installation.id, installation.credentials, body=body, signature=signature)

    def sidebar_assets(self) -> SidebarAssets:
        from sidebar_apps.intercom import assets

        return SidebarAssets(sdk_url=assets.canvas_renderer_url, host_script_url=assets.canvas_renderer_url,
                             frame_ancestors="'none'")

    def has_api_access(self, installation: HelpdeskInstallation) -> bool:
        return bool((installation.credentials or {}).get("access_token"))

    # --- OAuth ------------------------------------------------------------------------------
    def oauth_configured(self) -> bool:
        return client_config_from(_extra()) is not None

    def normalize_external_id(self, value: str) -> str:
        return checked_workspace_id(value)

    def start_oauth(self, session: Session, *, external_id: str, redirect_uri: str) -> OAuthStart:
        api_base = _api_base_for(session, external_id)
        start = start_authorization(client=_oauth_client(), redirect_uri=redirect_uri, api_base=api_base)
        return OAuthStart(url=start.url, state=start.state, code_verifier="", external_id=external_id,
                          api_base=api_base)

    def exchange_code(self, *, start: OAuthStart, code: str, redirect_uri: str) -> dict:
        """The token, plus the consenting teammate's id (notes are posted as them); refused when the
        token is for another workspace than the one the sign-in named (/me's app.id_code)."""
        credentials = exchange_code(client=_oauth_client(), code=code, redirect_uri=redirect_uri,
                                    api_base=start.api_base)
        me = IntercomHelpdesk(HelpdeskConfig(installation_id=0, external_id=start.external_id,
                                             credentials=credentials, api_base=start.api_base)).me()
        if start.external_id and me.workspace_id != start.external_id:
            raise HelpdeskError(f"this Intercom sign-in is for workspace {me.workspace_id!r}, not "
                                f"{start.external_id!r}")
        return {**credentials, "admin_id": me.id}

    def refresh_credentials(self, config: HelpdeskConfig) -> dict:
        raise HelpdeskError("Intercom access tokens do not expire and cannot be refreshed; an Intercom admin "
                            "reconnects Intercom in ChargeDesk's admin page to replace a revoked one", reconnect=True)

    # --- API --------------------------------------------------------------------------------
    def api(self, config: HelpdeskConfig) -> IntercomApi:
        return IntercomApi(IntercomHelpdesk(config))

    def api_for(self, installation: HelpdeskInstallation) -> IntercomApi:
        try:
            client = client_for(installation)
        except HelpdeskError as exc:
            if exc.reconnect:
                mark_reconnect_required(installation.id, reason=exc.message)
            raise
        return IntercomApi(client, installation_id=installation.id)

    def post_private_note(self, *, installation_id: int, ticket_id: str, body: str,
                          idempotency_key: str | None = None) -> None:
        """`idempotency_key` (the action run id): a retried job posts the note once (a marker on the note)."""
        from backend.db import session

        installation = session().get(HelpdeskInstallation, installation_id)
        if installation is None:
            raise HelpdeskError(f"helpdesk installation {installation_id} does not exist")
        self.api_for(installation).post_private_note(ticket_id=ticket_id, body=body, idempotency_key=idempotency_key)

    # --- installations and settings ---------------------------------------------------------
    def new_installation(self, options: Mapping[str, str]) -> NewInstallation:
        settings: dict[str, Any] = {}
        if (options.get("region") or "").strip():
            settings["region"] = checked_region(options["region"])
        if (options.get("api_base") or "").strip():
            settings["api_base"] = checked_api_base(options["api_base"])
        return NewInstallation(external_id=checked_workspace_id(options.get("workspace_id", "")),
                               credentials={"client_secret": checked_client_secret(options.get("client_secret", ""))},
                               settings=settings)

    def validated_settings(self, installation: HelpdeskInstallation, form: Mapping[str, str]) -> dict:
        values: dict = {}
        if (form.get("region") or "").strip():
            values["region"] = checked_region(form["region"])
        if (form.get("client_secret") or "").strip():
            checked_client_secret(form["client_secret"])  # stored in credentials by the caller (secret field)
        return values

    def paste_urls(self, *, base_url: str, installation: HelpdeskInstallation) -> list[tuple[str, str]]:
        base = base_url.rstrip("/")
        return [("initialize URL", f"{base}/sidebar/{KIND}/initialize"),
                ("submit URL", f"{base}/sidebar/{KIND}/submit"),
                ("OAuth redirect URL", f"{base}/admin/oauth/{KIND}/callback")]

    # --- wiring and demo --------------------------------------------------------------------
    def init_app(self, app: Flask) -> None:
        from sidebar_apps.intercom import init_app

        init_app(app)

    def start_demo(self, app: Flask, account: Account) -> DemoHelpdesk | None:
        from .demo import start_demo_intercom

        demo = start_demo_intercom(app, account)
        return DemoHelpdesk(label="Intercom inbox app preview (Canvas Kit canvases rendered)",
                            preview_path=demo.preview_path, stop=demo.stop)


# --- helpers ------------------------------------------------------------------------------------
def checked_workspace_id(value: str) -> str:
    text = (value or "").strip()
    if not text or len(text) > 64 or not all(c.isalnum() or c in "-_" for c in text):
        raise HostSetupError("--workspace-id must be the Intercom workspace id: letters, digits, '-' and '_' "
                             "(the id in app.intercom.com/a/apps/<id>).")
    return text


def checked_client_secret(value: str) -> str:
    secret = (value or "").strip()
    if len(secret) < 8 or len(secret) > 200 or not secret.isprintable() or " " in secret:
        raise HostSetupError("--client-secret must be the Intercom app's client secret (8 to 200 characters, "
                             "no spaces).")
    return secret


def checked_region(value: str) -> str:
    region = (value or "").strip().lower()
    if region not in API_BASES:
        raise HostSetupError(f"--region must be one of: {', '.join(API_BASES)}.")
    return region


def checked_api_base(value: str) -> str:
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise HostSetupError("--api-base must be an http(s) URL such as https://api.intercom.io.")
    return value.strip().rstrip("/")


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    return None


def _extra() -> Mapping:
    return current_app.config["SETTINGS"].extra


def _oauth_client():
    client = client_config_from(_extra())
    if client is None:
        raise HelpdeskError("Intercom sign-in is not configured: set CHARGEDESK_INTERCOM_CLIENT_ID and "
                            "CHARGEDESK_INTERCOM_CLIENT_SECRET")
    return client


def _api_base_for(session: Session, external_id: str) -> str | None:
    """The installation's api_base or region, else CHARGEDESK_INTERCOM_BASE_URL, else Intercom's US host."""
    installation = find_installation(session, external_id) if external_id else None
    settings = (installation.settings or {}) if installation is not None else {}
    if settings.get("api_base"):
        return settings["api_base"]
    if settings.get("region") and settings["region"] != "us":
        return API_BASES[settings["region"]]
    return _extra().get("INTERCOM_BASE_URL") or None
