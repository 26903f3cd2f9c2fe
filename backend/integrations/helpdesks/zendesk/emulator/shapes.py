"""Zendesk's JSON shapes (users, tickets, comments, audits, errors) as the real API returns them."""
from __future__ import annotations

from datetime import datetime, timezone
from html import escape

from .state import Ticket, ZendeskUser


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def user_json(user: ZendeskUser, base: str) -> dict:
    """GET /api/v2/users/{id}.json `user` object (documented fields)."""
    staff = user.role in ("admin", "agent")
    return {
        "id": user.id, "url": f"{base}/api/v2/users/{user.id}.json", "name": user.name,
        "email": user.email, "created_at": iso(user.created_at), "updated_at": iso(user.created_at),
        "time_zone": "Eastern Time (US & Canada)", "iana_time_zone": "America/New_York",
        "phone": None, "shared_phone_number": None, "photo": None, "locale_id": 1, "locale": "en-US",
        "organization_id": None, "role": user.role, "verified": True, "external_id": None,
        "tags": [], "alias": "", "active": user.active, "shared": False, "shared_agent": False,
        "last_login_at": iso(user.created_at), "two_factor_auth_enabled": False, "signature": "",
        "details": "", "notes": "", "role_type": None, "custom_role_id": None, "moderator": staff,
        "ticket_restriction": None if staff else "requested", "only_private_comments": False,
        "restricted_agent": False, "suspended": user.suspended, "default_group_id": None,
        "report_csv": user.role == "admin", "user_fields": {},
    }


def comment_json(*, comment_id: int, author_id: int, body: str, public: bool, audit_id: int,
                 created_at: float) -> dict:
    return {
        "id": comment_id, "type": "Comment", "author_id": author_id, "body": body,
        "html_body": f'<div class="zd-comment" dir="auto"><p dir="auto">{escape(body)}</p></div>',
        "plain_body": body, "public": public, "attachments": [], "audit_id": audit_id,
        "via": {"channel": "api", "source": {"from": {}, "to": {}, "rel": None}},
        "created_at": iso(created_at), "metadata": {"system": {"client": "ChargeDesk"}, "custom": {}},
    }


def ticket_json(ticket: Ticket, base: str) -> dict:
    return {
        "url": f"{base}/api/v2/tickets/{ticket.id}.json", "id": ticket.id, "external_id": None,
        "via": {"channel": "web", "source": {"from": {}, "to": {}, "rel": None}},
        "created_at": iso(ticket.created_at), "updated_at": iso(ticket.created_at), "type": None,
        "subject": ticket.subject, "raw_subject": ticket.subject, "description": ticket.subject,
        "priority": None, "status": ticket.status, "recipient": None,
        "requester_id": ticket.requester_id, "submitter_id": ticket.requester_id,
        "assignee_id": None, "organization_id": None, "group_id": None, "collaborator_ids": [],
        "follower_ids": [], "email_cc_ids": [], "forum_topic_id": None, "problem_id": None,
        "has_incidents": False, "is_public": True, "due_at": None, "tags": [], "custom_fields": [],
        "satisfaction_rating": None, "sharing_agreement_ids": [], "fields": [],
        "followup_ids": [], "brand_id": 360000000001, "allow_channelback": False,
        "allow_attachments": True, "from_messaging_channel": False,
    }


def audit_json(*, audit_id: int, ticket: Ticket, author_id: int, created_at: float,
               events: list[dict]) -> dict:
    return {"id": audit_id, "ticket_id": ticket.id, "created_at": iso(created_at),
            "author_id": author_id, "metadata": {"system": {"client": "ChargeDesk"}, "custom": {}},
            "events": events, "via": {"channel": "api", "source": {"from": {}, "to": {}, "rel": None}}}


def app_installation_json(installation) -> dict:
    """GET /api/v2/apps/installations/{id}.json (documented fields)."""
    return {
        "id": installation.id, "app_id": installation.app_id, "product": "support",
        "settings": {"name": "ChargeDesk", "title": "ChargeDesk"}, "settings_objects": [],
        "enabled": installation.enabled, "paid": False, "has_unpaid_subscription": False,
        "has_incomplete_subscription": False, "collapsible": True, "location_ids": [],
        "created_at": iso(installation.created_at), "updated_at": iso(installation.created_at),
        "updated": iso(installation.created_at), "recurring_payment": False, "pending_deployment": False,
    }


def oauth_error(error: str, description: str) -> dict:
    """The OAuth endpoints' error body."""
    return {"error": error, "error_description": description}


def api_error(error: str, description: str) -> dict:
    """The REST API's error body (note: `description`, not `error_description`)."""
    return {"error": error, "description": description}


INVALID_TOKEN = oauth_error(
    "invalid_token", "The access token provided is expired, revoked, malformed or invalid for other reasons.")
FORBIDDEN = api_error("Forbidden", "You do not have access to this page. Please contact the account owner "
                                   "of this help desk for further help.")
NOT_FOUND = api_error("RecordNotFound", "Not found")
RATE_LIMITED = api_error("APIRateLimitExceeded", "Number of allowed API requests per minute exceeded")
SERVER_ERROR = api_error("InternalServerError", "Something went wrong on our end. Please try again.")
