"""The helpdesk host contract: what differs between Zendesk, Help Scout, Intercom, Front, Freshdesk.

A host is one object per helpdesk kind, registered by name in `backend.integrations.helpdesks`.
Everything generic (the sidebar view, agent provisioning, admin sign-in, the CLI, the contract
test suite) talks to hosts only through this protocol, so a new helpdesk is one folder and one
registry line. Records crossing the boundary are frozen dataclasses; the vendor's own shapes stay
inside its folder.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Mapping, Protocol, runtime_checkable

if TYPE_CHECKING:  # typing only: nothing here imports Flask or the models at run time
    from flask import Flask
    from sqlalchemy.orm import Session

    from backend.models import Account, HelpdeskInstallation

    from . import HelpdeskConfig


# --- errors -------------------------------------------------------------------------------------
class HostVerificationError(Exception):
    """A sidebar load we cannot trust; the reason is for logs only, never for the page."""


class HostSetupError(ValueError):
    """A refused installation or settings value; the message is shown to a person as is."""


# --- records ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SidebarLoad:
    """The parts of the host's HTTP request a signature may cover (read once by the generic view)."""

    method: str
    args: Mapping[str, str]  # query parameters, in the order they arrived
    form: Mapping[str, str]
    headers: Mapping[str, str]
    body: bytes = b""


@dataclass(frozen=True)
class HostClaims:
    """What a verified sidebar load tells us; only signed facts, never the unsigned query."""

    installation_id: int  # our HelpdeskInstallation.id
    external_user_id: str  # the agent's user id in the helpdesk
    location: str = "ticket_sidebar"
    ticket_id: str | None = None  # ticket / conversation id, where the host signs it
    requester_emails: tuple[str, ...] = ()  # where the host sends them (Help Scout dynamic app)


@dataclass(frozen=True)
class HostUser:
    """A helpdesk user as its API describes them: enough to provision or sign in an agent."""

    external_id: str
    email: str | None
    name: str | None
    role: str  # the vendor's own role name, kept for the audit trail
    is_staff: bool  # may use the sidebar (agents and admins, not end users)
    is_admin: bool  # may connect the helpdesk to an account
    active: bool = True


@dataclass(frozen=True)
class OAuthStart:
    """Where to send an admin for consent, and what to keep in the session until the callback."""

    url: str
    state: str
    code_verifier: str
    external_id: str  # the helpdesk account the grant is for ("" when the host has one global one)
    api_base: str | None = None  # the base it was started against, None for the vendor's own (emulators)


@dataclass(frozen=True)
class SettingField:
    """One value an admin gives: on the sign-in form (Zendesk subdomain) or the host's settings form."""

    name: str
    label: str
    help: str = ""
    required: bool = True
    secret: bool = False  # stored in the encrypted credentials, never shown back
    multiline: bool = False
    verifies_loads: bool = False  # checks sidebar loads (an app key): owners only, stamped, owners mailed


@dataclass(frozen=True)
class InstallOption:
    """One `chargedesk helpdesk add KIND` option (`--public-key-file` when from_file: its content)."""

    name: str  # snake_case; the CLI spells it --kebab-case
    help: str
    required: bool = True
    from_file: bool = False


@dataclass(frozen=True)
class NewInstallation:
    """A validated installation to store: credentials are encrypted at rest, settings are not."""

    external_id: str
    credentials: Mapping[str, Any] = field(default_factory=dict)
    settings: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SidebarAssets:
    """What the sidebar shell loads for this host, and who may frame it (resolved per request)."""

    sdk_url: Callable[[], str]  # the host's SDK: our copy of the npm package, else the vendor's CDN
    host_script_url: Callable[[], str]  # our adapter between the host SDK and the sidebar UI
    frame_ancestors: str  # CSP frame-ancestors of the helpdesk's agent UI
    sdk_origin: str = ""  # the CDN origin allowed in script-src when the SDK comes from there


@dataclass(frozen=True)
class DemoHelpdesk:
    """A running demo of the host (emulator + seeded installation) and where to preview it."""

    label: str
    preview_path: str
    stop: Callable[[], None]


# --- the protocol -------------------------------------------------------------------------------
@runtime_checkable
class HelpdeskApi(Protocol):
    """The vendor API for one installation (built from a HelpdeskConfig; raises HelpdeskError)."""

    def current_user(self) -> HostUser:
        """Who the stored token belongs to ("who am I")."""

    def find_user(self, external_id: str) -> HostUser:
        """An agent by helpdesk user id, to provision them on their first sidebar load."""

    def post_private_note(self, *, ticket_id: str, body: str, idempotency_key: str | None = None) -> None:
        """An internal note on the ticket, visible to agents only (after an action). With a key
        (the action run id), at most once: the note carries a marker of the key and a retry that
        finds it on the ticket posts nothing."""

    def create_ticket(self, *, requester_email: str, requester_name: str | None, subject: str,
                      body: str, private_note: str | None = None) -> str:
        """A new ticket from a customer, with our context as a private note; returns its id (portal)."""


@runtime_checkable
class HelpdeskHost(Protocol):
    """One helpdesk kind: everything generic code needs from it, and nothing more."""

    kind: ClassVar[str]  # the registry key, also HelpdeskInstallation.kind and the URL segment
    label: ClassVar[str]  # for people: "Zendesk"
    install_options: ClassVar[tuple[InstallOption, ...]]  # `chargedesk helpdesk add KIND` options
    admin_settings: ClassVar[tuple[SettingField, ...]]  # the host's settings form in the admin page
    sign_in_field: ClassVar[SettingField | None]  # asked before OAuth (Zendesk: subdomain), or None

    # sidebar
    def verify_sidebar_load(self, session: Session, load: SidebarLoad) -> HostClaims:
        """Check the host's signature and find our installation; HostVerificationError otherwise."""

    def sidebar_assets(self) -> SidebarAssets:
        """Host SDK and host script of the shell page."""

    def has_api_access(self, installation: HelpdeskInstallation) -> bool:
        """Whether unknown agents can be looked up through the API (OAuth tokens stored)."""

    # OAuth
    def oauth_configured(self) -> bool:
        """Whether our OAuth client for this helpdesk is configured (admin sign-in possible)."""

    def normalize_external_id(self, value: str) -> str:
        """The sign-in field's value as the installation's external id; HostSetupError if invalid."""

    def start_oauth(self, session: Session, *, external_id: str, redirect_uri: str) -> OAuthStart:
        """The consent URL with fresh state and PKCE verifier."""

    def exchange_code(self, *, start: OAuthStart, code: str, redirect_uri: str) -> dict:
        """The callback's code -> credentials to store (HelpdeskError if refused)."""

    def refresh_credentials(self, config: HelpdeskConfig) -> dict:
        """A new token pair from the stored refresh token (persist it at once: it may rotate)."""

    # API client
    def api(self, config: HelpdeskConfig) -> HelpdeskApi:
        """The API client of one installation (secrets in config, tokens refreshed when due)."""

    def api_for(self, installation: HelpdeskInstallation) -> HelpdeskApi:
        """The API client of a stored installation (refreshed tokens saved, revocations marked)."""

    def post_private_note(self, *, installation_id: int, ticket_id: str, body: str,
                          idempotency_key: str | None = None) -> None:
        """A note for a stored installation, once per key (HelpdeskApi.post_private_note); a
        revoked grant marks it reconnect_required."""

    # installations and settings
    def new_installation(self, options: Mapping[str, str]) -> NewInstallation:
        """`chargedesk helpdesk add` options -> what to store; HostSetupError names the bad one."""

    def validated_settings(self, installation: HelpdeskInstallation, form: Mapping[str, str]) -> dict:
        """The admin_settings fields given (non-empty) -> settings to merge in; HostSetupError if one is
        refused. Secret fields are only checked here: the caller stores them in the credentials."""

    def paste_urls(self, *, base_url: str, installation: HelpdeskInstallation) -> list[tuple[str, str]]:
        """(what, url) pairs an admin pastes into the helpdesk's app configuration."""

    # wiring and demo
    def init_app(self, app: Flask) -> None:
        """Bind the host's own routes (SDK copy, extra endpoints, demo harness in demo envs)."""

    def start_demo(self, app: Flask, account: Account) -> DemoHelpdesk | None:
        """Start the emulator and seed a previewable installation for `chargedesk demo`."""


__all__ = [
    "DemoHelpdesk", "HelpdeskApi", "HelpdeskHost", "HostClaims", "HostSetupError", "HostUser",
    "HostVerificationError", "InstallOption", "NewInstallation", "OAuthStart", "SettingField",
    "SidebarAssets", "SidebarLoad",
]
