from datetime import datetime, timezone

from backend.db import transaction
from backend.models import ApiKey


def _assert_json_error(resp, status):
    assert resp.status_code == status
    body = resp.get_json()
    assert set(body) >= {"code", "message", "errors"} and body["code"] == status and body["message"]
    return body


def test_missing_key_is_401_json(client, account):
    body = _assert_json_error(client.get("/api/v1/account"), 401)
    assert "Authorization" in body["message"]


def test_wrong_key_is_401_json(client, api_key):
    _assert_json_error(client.get("/api/v1/account", headers={"Authorization": "Bearer cdk_000000000000_nope"}), 401)
    _assert_json_error(client.get("/api/v1/account", headers={"Authorization": f"Bearer {api_key}x"}), 401)
    _assert_json_error(client.get("/api/v1/account", headers={"Authorization": f"Basic {api_key}"}), 401)


def test_revoked_key_is_401_json(client, api_key, auth_headers):
    assert client.get("/api/v1/account", headers=auth_headers).status_code == 200
    with transaction() as s:
        row = s.query(ApiKey).one()
        row.revoked_at = datetime.now(timezone.utc)
    _assert_json_error(client.get("/api/v1/account", headers=auth_headers), 401)


def test_valid_key_acts_as_owner(client, auth_headers):
    body = client.get("/api/v1/account", headers=auth_headers).get_json()
    assert body["slug"] == "acme" and body["principal"]["role"] == "owner"


def test_key_is_stored_hashed(ctx, api_key):
    from backend.db import session

    row = session().query(ApiKey).one()
    assert api_key not in (row.key_hash, row.prefix) and len(row.key_hash) == 64


def test_unknown_api_route_is_json_404(client):
    _assert_json_error(client.get("/api/v1/nope"), 404)


def test_openapi_and_offline_docs(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["info"]["title"] == "ChargeDesk API" and "/api/v1/account" in spec["paths"]
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200 and b"/api/v1/account" in docs.data and b"cdn" not in docs.data.lower()


def test_healthz_reports_database_and_redis(client):
    body = client.get("/healthz").get_json()
    assert body == {"status": "ok", "database": "ok", "jobs": {"mode": "redis", "status": "ok"}}


def test_healthz_degraded_when_redis_is_down(app_settings):
    from backend import create_app

    broken = create_app(dict(app_settings, REDIS_URL="redis://127.0.0.1:1/0"))
    resp = broken.test_client().get("/healthz")
    assert resp.status_code == 503 and resp.get_json()["jobs"]["status"].startswith("error")
