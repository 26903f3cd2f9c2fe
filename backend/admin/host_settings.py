"""A helpdesk installation's settings form, for any host: the fields its registry entry declares
(HelpdeskHost.admin_settings), validated by the host, saved and audited here.

What verifies a host's sidebar loads (a secret field, or one marked `verifies_loads`: an app key,
an installation id) decides who can open the sidebar as whom, so the rule of backend.auth.host_keys
holds for every host: only owners change it, the installation is stamped (version, who, when),
the change is audited as helpdesk.key_changed and every owner is mailed. Secret fields go to the
encrypted credentials and are never shown back; other fields to the settings.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.audit import append
from backend.auth.host_keys import key_fingerprint, with_key_change
from backend.integrations.helpdesks import helpdesk_host, helpdesk_names
from backend.integrations.helpdesks.host import HelpdeskHost, HostSetupError
from backend.models import HelpdeskInstallation

from .auth import AdminViewer
from .changes import FormError, actor_of, require_manager
from .notices import KEY_CHANGED


@dataclass(frozen=True)
class SettingsChange:
    changed: tuple[str, ...] = ()
    key_change_entry_id: int | None = None  # the audit entry to announce to the owners


def save_host_settings(session: Session, viewer: AdminViewer, installation_id: int, form: Mapping[str, str], *,
                       source: dict) -> SettingsChange:
    """Validate through the host, then write settings and secrets in the caller's transaction."""
    require_manager(viewer)
    installation = session.scalars(select(HelpdeskInstallation).where(
        HelpdeskInstallation.id == installation_id, HelpdeskInstallation.account_id == viewer.account.id)
        .with_for_update()).first()
    if installation is None or installation.kind not in helpdesk_names():
        raise FormError("That helpdesk installation is not part of this account.", status=404)
    host = helpdesk_host(installation.kind)
    given = {f.name: form.get(f.name, "") for f in host.admin_settings if (form.get(f.name) or "").strip()}
    try:
        values = dict(host.validated_settings(installation, given))
    except HostSetupError as exc:
        raise FormError(str(exc)) from None
    secrets = {f.name: given[f.name].strip() for f in host.admin_settings if f.secret and f.name in given}
    return _apply(session, viewer, host, installation, values, secrets, source)


def _apply(session: Session, viewer: AdminViewer, host: HelpdeskHost, installation: HelpdeskInstallation,
           values: dict, secrets: dict, source: dict) -> SettingsChange:
    old_settings, old_secrets = dict(installation.settings or {}), dict(installation.credentials or {})
    changed = tuple(sorted([k for k, v in values.items() if old_settings.get(k) != v]
                           + [k for k, v in secrets.items() if old_secrets.get(k) != v]))
    if not changed:
        return SettingsChange()
    verifying = {f.name for f in host.admin_settings if f.secret or f.verifies_loads}
    key_change = bool(verifying & set(changed))
    if key_change and not viewer.is_owner:
        raise FormError(f"Only an owner can change what verifies {host.label}'s sidebar loads "
                        f"({', '.join(sorted(verifying & set(changed)))}).", status=403)
    settings = {**old_settings, **values}
    installation.credentials = {**old_secrets, **secrets} if secrets else installation.credentials
    details = {"kind": installation.kind, "external_id": installation.external_id, "changed": list(changed)}
    if not key_change:
        installation.settings = settings
        append(session, account_id=viewer.account.id, event="settings.helpdesk_changed", actor=actor_of(viewer),
               subject_type="helpdesk_installation", subject_id=str(installation.id), source=source,
               details=details)
        return SettingsChange(changed)
    material = "\n".join(str({**old_secrets, **secrets, **settings}.get(name, "")) for name in sorted(verifying))
    installation.settings, stamp = with_key_change(settings, changed_by_user_id=viewer.user.id, via="pasted",
                                                   fingerprint=key_fingerprint(material))
    entry = append(session, account_id=viewer.account.id, event=KEY_CHANGED, actor=actor_of(viewer),
                   subject_type="helpdesk_installation", subject_id=str(installation.id), source=source,
                   details={**details, "via": "pasted", "key_version": stamp.version,
                            "fingerprint": key_fingerprint(material)})
    return SettingsChange(changed, entry.id)
