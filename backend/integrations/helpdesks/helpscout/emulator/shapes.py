"""Help Scout Mailbox API v2 JSON shapes (users, conversations, threads, errors)."""
from __future__ import annotations

from datetime import datetime, timezone

from .state import Conversation, HelpScoutUser


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def user_json(user: HelpScoutUser, base: str) -> dict:
    """https://developer.helpscout.com/mailbox-api/endpoints/users/get/"""
    return {"id": user.id, "firstName": user.first_name, "lastName": user.last_name, "email": user.email,
            "role": user.role, "timezone": "America/New_York", "photoUrl": "", "createdAt": iso(user.created_at),
            "updatedAt": iso(user.created_at), "type": "user", "mention": user.first_name.lower(),
            "initials": (user.first_name[:1] + user.last_name[:1]).upper(), "jobTitle": "", "phone": "",
            "alternateEmails": [], "_links": {"self": {"href": f"{base}/v2/users/{user.id}"}}}


def conversation_json(conv: Conversation, base: str) -> dict:
    """https://developer.helpscout.com/mailbox-api/endpoints/conversations/get/"""
    customer = {"id": 1, "email": conv.customer_email, "type": "customer"} if conv.customer_email else None
    return {"id": conv.id, "number": conv.number, "threads": len(conv.threads), "type": "email",
            "folderId": 1, "status": conv.status, "state": "published", "subject": conv.subject,
            "preview": "", "mailboxId": conv.mailbox_id, "createdAt": iso(conv.created_at),
            "primaryCustomer": customer, "tags": [], "cc": [], "bcc": [],
            "_links": {"self": {"href": f"{base}/v2/conversations/{conv.id}"},
                       "threads": {"href": f"{base}/v2/conversations/{conv.id}/threads"}}}


def thread_json(*, thread_id: int, kind: str, text: str, user: HelpScoutUser | None, created_at: float) -> dict:
    """https://developer.helpscout.com/mailbox-api/endpoints/conversations/threads/list/"""
    created_by = ({"id": user.id, "type": "user", "first": user.first_name, "last": user.last_name,
                   "email": user.email} if user else None)
    return {"id": thread_id, "type": kind, "status": "nochange", "state": "published", "action": None,
            "body": text, "source": {"type": "api", "via": "user"}, "customer": None,
            "createdBy": created_by, "assignedTo": None, "savedReplyId": 0, "to": [], "cc": [], "bcc": [],
            "attachments": [], "createdAt": iso(created_at)}


def error_json(message: str, *, status: int, errors: list[dict] | None = None) -> dict:
    """Help Scout's vnd.error body."""
    body = {"logRef": "emulator", "message": message, "_links": {"about": {"href": "https://developer.helpscout.com"}}}
    if errors:
        body["_embedded"] = {"errors": errors}
    return body


def oauth_error(error: str, description: str) -> dict:
    return {"error": error, "error_description": description}
