import pytest
from cryptography.fernet import Fernet

from backend.config import ConfigError, load_settings

GOOD = {"SECRET_KEY": "x" * 40, "ENCRYPTION_KEY": Fernet.generate_key().decode()}


def test_production_requires_secret_key(tmp_path):
    with pytest.raises(ConfigError, match="SECRET_KEY is not set"):
        load_settings({"INSTANCE_PATH": str(tmp_path)}, environ={})


def test_production_rejects_short_secret(tmp_path):
    with pytest.raises(ConfigError, match="too short"):
        load_settings(dict(GOOD, SECRET_KEY="short", INSTANCE_PATH=str(tmp_path)), environ={})


def test_malformed_encryption_key_is_one_clear_line(tmp_path):
    with pytest.raises(ConfigError) as err:
        load_settings(dict(GOOD, ENCRYPTION_KEY="not-a-key", INSTANCE_PATH=str(tmp_path)), environ={})
    assert "ENCRYPTION_KEY is malformed" in str(err.value) and "\n" not in str(err.value)


def test_env_prefix_and_defaults(tmp_path):
    env = {"CHARGEDESK_SECRET_KEY": "s" * 40, "CHARGEDESK_ENCRYPTION_KEY": GOOD["ENCRYPTION_KEY"],
           "CHARGEDESK_INSTANCE_PATH": str(tmp_path), "CHARGEDESK_DATABASE_URL": "postgresql://u@h/db"}
    s = load_settings(environ=env)
    assert s.database_url == "postgresql+psycopg://u@h/db"
    assert s.redis_url is None and s.embedded_jobs
    assert s.base_url == "http://127.0.0.1:5000"


def test_sqlite_in_instance_folder_when_database_unset(tmp_path):
    s = load_settings(dict(GOOD, INSTANCE_PATH=str(tmp_path)), environ={})
    assert s.database_url == f"sqlite:///{tmp_path / 'chargedesk.sqlite3'}"


def test_demo_mode_generates_and_keeps_keys(tmp_path):
    first = load_settings({"ENV": "demo", "INSTANCE_PATH": str(tmp_path)}, environ={})
    second = load_settings({"ENV": "demo", "INSTANCE_PATH": str(tmp_path)}, environ={})
    assert first.secret_key == second.secret_key and first.encryption_keys == second.encryption_keys


def test_rotation_keys_are_all_validated(tmp_path):
    keys = f"{Fernet.generate_key().decode()},{Fernet.generate_key().decode()}"
    assert len(load_settings(dict(GOOD, ENCRYPTION_KEY=keys, INSTANCE_PATH=str(tmp_path)), environ={}).encryption_keys) == 2
    with pytest.raises(ConfigError):
        load_settings(dict(GOOD, ENCRYPTION_KEY=keys + ",broken", INSTANCE_PATH=str(tmp_path)), environ={})
