"""Configuration from CHARGEDESK_* environment variables, validated once at start-up."""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.fernet import Fernet

PREFIX = "CHARGEDESK_"
EMBEDDED_ENVS = ("demo", "development", "test")
DEFAULT_MAIL_FROM = "ChargeDesk <chargedesk@localhost>"


class ConfigError(Exception):
    """A configuration problem, phrased as one line a person can act on."""


@dataclass
class Settings:
    env: str
    instance_path: Path
    database_url: str
    redis_url: str | None
    secret_key: str
    encryption_keys: tuple[str, ...]
    base_url: str
    queue_name: str = "chargedesk"
    extra: dict = field(default_factory=dict)
    smtp_url: str | None = None  # None: mail is written to <instance path>/outbox/ (backend.mail)
    mail_from: str = DEFAULT_MAIL_FROM

    @property
    def embedded_jobs(self) -> bool:
        """No Redis configured: jobs run on an in-process worker thread (demo only)."""
        return not self.redis_url


def _validate_fernet_keys(raw: str) -> tuple[str, ...]:
    keys = tuple(k.strip() for k in raw.split(",") if k.strip())
    if not keys:
        raise ConfigError(f"{PREFIX}ENCRYPTION_KEY is empty")
    for key in keys:
        try:
            Fernet(key.encode())
        except (ValueError, TypeError):
            raise ConfigError(
                f"{PREFIX}ENCRYPTION_KEY is malformed: each comma-separated key must be 32 url-safe "
                "base64-encoded bytes (make one with `chargedesk keys generate`)"
            ) from None
    return keys


def _validate_smtp_url(raw: str | None) -> str | None:
    """CHARGEDESK_SMTP_URL: smtp://user:pass@host:port (?starttls=1) or smtps://...; empty: none."""
    if not raw:
        return None
    from .mail.smtp import parse_smtp_url

    try:
        parse_smtp_url(raw)
    except ValueError as exc:
        raise ConfigError(f"{PREFIX}SMTP_URL is malformed: {exc}") from None
    return raw


def _validate_mail_from(raw: str | None) -> str:
    """CHARGEDESK_MAIL_FROM: the default From, 'Name <address>' or a bare address."""
    if not raw:
        return DEFAULT_MAIL_FROM
    from email.utils import parseaddr

    if any(c in raw for c in "\r\n") or "@" not in parseaddr(raw)[1]:
        raise ConfigError(f"{PREFIX}MAIL_FROM must be one email address, e.g. 'ChargeDesk <billing@example.com>'")
    return raw.strip()


def _embedded_secrets(instance_path: Path) -> tuple[str, str]:
    """Demo/dev only: keep generated keys in the instance folder so restarts can decrypt."""
    instance_path.mkdir(parents=True, exist_ok=True)
    path = instance_path / "dev-secrets.txt"
    if path.exists():
        secret, key = path.read_text().split()[:2]
        return secret, key
    secret, key = secrets.token_urlsafe(48), Fernet.generate_key().decode()
    path.write_text(f"{secret}\n{key}\n")
    path.chmod(0o600)
    return secret, key


def load_settings(overrides: dict | None = None, environ: dict | None = None) -> Settings:
    """Read CHARGEDESK_* variables (overrides win: keys without the prefix, e.g. DATABASE_URL)."""
    environ = os.environ if environ is None else environ
    values = {k[len(PREFIX):]: v for k, v in environ.items() if k.startswith(PREFIX)}
    values.update({k: v for k, v in (overrides or {}).items() if v is not None})
    env = str(values.get("ENV", "production")).lower()
    instance_path = Path(values.get("INSTANCE_PATH") or Path.cwd() / "instance").resolve()
    secret_key, enc = values.get("SECRET_KEY"), values.get("ENCRYPTION_KEY")
    if env in EMBEDDED_ENVS and (not secret_key or not enc):
        gen_secret, gen_key = _embedded_secrets(instance_path)
        secret_key, enc = secret_key or gen_secret, enc or gen_key
    if not secret_key:
        raise ConfigError(f"{PREFIX}SECRET_KEY is not set (use at least 32 random characters)")
    if len(secret_key) < 32:
        raise ConfigError(f"{PREFIX}SECRET_KEY is too short: use at least 32 random characters")
    if not enc:
        raise ConfigError(f"{PREFIX}ENCRYPTION_KEY is not set (make one with `chargedesk keys generate`)")
    database_url = values.get("DATABASE_URL") or f"sqlite:///{instance_path / 'chargedesk.sqlite3'}"
    if database_url.startswith("postgres://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgres://"):]
    elif database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgresql://"):]
    known = {"ENV", "INSTANCE_PATH", "SECRET_KEY", "ENCRYPTION_KEY", "DATABASE_URL", "REDIS_URL",
             "BASE_URL", "QUEUE_NAME", "SMTP_URL", "MAIL_FROM"}
    return Settings(
        env=env,
        instance_path=instance_path,
        database_url=database_url,
        redis_url=values.get("REDIS_URL") or None,
        secret_key=secret_key,
        encryption_keys=_validate_fernet_keys(enc),
        base_url=str(values.get("BASE_URL") or "http://127.0.0.1:5000").rstrip("/"),
        queue_name=values.get("QUEUE_NAME") or "chargedesk",
        extra={k: v for k, v in values.items() if k not in known},
        smtp_url=_validate_smtp_url(values.get("SMTP_URL")),
        mail_from=_validate_mail_from(values.get("MAIL_FROM")),
    )
