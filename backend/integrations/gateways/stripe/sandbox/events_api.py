"""Events (list/retrieve) and webhook endpoints (`secret` only in the create response)."""
from __future__ import annotations

from .errors import missing_param
from .forms import get_bool, get_list, get_str, merge_metadata
from .lists import list_response
from .routing import LIST_PARAMS, route
from .state import Call


def add_endpoint(call: Call, url: str, enabled_events: list[str], secret: str | None = None,
                 description: str | None = None, metadata: dict | None = None) -> dict:
    endpoint = call.insert({
        "id": call.new_id("we_"), "object": "webhook_endpoint", "created": call.now(),
        "description": description, "enabled_events": list(enabled_events), "metadata": metadata or {},
        "status": "enabled", "url": url,
    })
    call.state.secrets[endpoint["id"]] = secret or "whsec_" + call.store.random_token(32)
    return endpoint


def _type_matcher(call: Call):
    single, many = get_str(call.params, "type"), get_list(call.params, "types")
    patterns = ([single] if single else []) + (many or [])
    if not patterns:
        return None

    def matches(event: dict) -> bool:
        return any(event["type"] == p or (p.endswith("*") and event["type"].startswith(p[:-1])) for p in patterns)
    return matches


@route("GET", "/v1/events", LIST_PARAMS + ("type", "types", "delivery_success"))
def list_events(call: Call) -> dict:
    single = get_str(call.params, "type")
    if single and "*" not in single and not call.params.get("types"):
        return list_response(call, "event", "/v1/events", where={"type": single})
    return list_response(call, "event", "/v1/events", predicate=_type_matcher(call))


@route("GET", "/v1/events/<event_id>")
def retrieve_event(call: Call, event_id: str) -> dict:
    return call.get("event", event_id)


@route("POST", "/v1/webhook_endpoints", ("url", "enabled_events", "description", "metadata", "api_version",
                                         "connect"))
def create_webhook_endpoint(call: Call) -> dict:
    url = get_str(call.params, "url", required=True)
    events = get_list(call.params, "enabled_events")
    if not events:
        raise missing_param("enabled_events")
    endpoint = add_endpoint(call, url, events, description=get_str(call.params, "description"),
                            metadata=merge_metadata({}, call.params))
    return {**endpoint, "secret": call.state.secrets[endpoint["id"]]}


@route("GET", "/v1/webhook_endpoints/<endpoint_id>")
def retrieve_webhook_endpoint(call: Call, endpoint_id: str) -> dict:
    return call.get("webhook_endpoint", endpoint_id)


@route("POST", "/v1/webhook_endpoints/<endpoint_id>", ("url", "enabled_events", "description", "metadata",
                                                       "disabled"))
def update_webhook_endpoint(call: Call, endpoint_id: str) -> dict:
    endpoint = call.get("webhook_endpoint", endpoint_id)
    changes = {"metadata": merge_metadata(endpoint.get("metadata"), call.params)}
    if get_str(call.params, "url"):
        changes["url"] = call.params["url"]
    if get_list(call.params, "enabled_events"):
        changes["enabled_events"] = call.params["enabled_events"]
    if "disabled" in call.params:
        changes["status"] = "disabled" if get_bool(call.params, "disabled") else "enabled"
    call.update(endpoint, changes)
    return endpoint


@route("DELETE", "/v1/webhook_endpoints/<endpoint_id>")
def delete_webhook_endpoint(call: Call, endpoint_id: str) -> dict:
    call.get("webhook_endpoint", endpoint_id)
    call.store.remove("webhook_endpoint", endpoint_id)
    call.state.secrets.pop(endpoint_id, None)
    return {"id": endpoint_id, "object": "webhook_endpoint", "deleted": True}


@route("GET", "/v1/webhook_endpoints", LIST_PARAMS)
def list_webhook_endpoints(call: Call) -> dict:
    return list_response(call, "webhook_endpoint", "/v1/webhook_endpoints")
