"""Answer shapes of the crm_push API. Credentials never appear: only a masked hint."""

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, Field

from crm_push.domain.model import Connection, Push


class ConnectionView(BaseModel):
    target: str
    provider: str
    status: str = Field(description="connected | error | disconnected")
    status_reason: str | None
    credential: str | None = Field(description="The credential, masked (last 4 characters).")
    account_id: str | None = Field(description="HubSpot portal id, Notion database id.")
    token_expires_at: datetime | None
    connected_at: datetime | None
    updated_at: datetime


def connection_view(connection: Connection, credential_hint: str | None) -> ConnectionView:
    return ConnectionView(
        target=connection.target.value,
        provider=connection.provider.value,
        status=connection.status.value,
        status_reason=connection.status_reason,
        credential=credential_hint,
        account_id=connection.account_id,
        token_expires_at=connection.token_expires_at,
        connected_at=connection.connected_at,
        updated_at=connection.updated_at,
    )


class PushView(BaseModel):
    id: UUID
    target: str
    provider: str | None
    entity: str
    meeting_id: UUID | None
    deal_id: UUID | None
    operation: str
    source_event_id: str
    source_event_type: str
    status: str = Field(description="pending | running | succeeded | skipped | parked")
    attempts: int
    next_attempt_at: datetime | None
    reason: str | None
    error: str | None
    error_code: str | None
    crm_contact_id: str | None
    crm_org_id: str | None
    crm_deal_id: str | None
    crm_activity_id: str | None
    notion_page_id: str | None
    created_at: datetime
    completed_at: datetime | None


def push_view(push: Push) -> PushView:
    return PushView(
        id=push.id,
        target=push.target.value,
        provider=push.provider.value if push.provider else None,
        entity=push.entity.value,
        meeting_id=push.meeting_id,
        deal_id=push.deal_id,
        operation=push.operation.value,
        source_event_id=push.source_event_id,
        source_event_type=push.source_event_type,
        status=push.status.value,
        attempts=push.attempts,
        next_attempt_at=push.next_attempt_at if push.status == "pending" else None,
        reason=push.reason,
        error=push.error,
        error_code=push.error_code,
        crm_contact_id=push.ids.contact_id,
        crm_org_id=push.ids.org_id,
        crm_deal_id=push.ids.deal_id,
        crm_activity_id=push.ids.activity_id,
        notion_page_id=push.ids.notion_page_id,
        created_at=push.created_at,
        completed_at=push.completed_at,
    )


class CallView(BaseModel):
    """One HTTP call to a CRM, as the push log keeps it (secrets redacted)."""

    id: int
    push_id: UUID
    provider: str
    meeting_id: UUID | None
    deal_id: UUID | None
    attempt: int
    operation: str
    method: str
    path: str
    status: int | None = Field(description="HTTP status; null when no answer came.")
    error_code: str | None
    error_message: str | None
    duration_ms: int
    crm_id: str | None
    started_at: datetime
    request_body: Any = None
    response_body: Any = None


def call_view(row: Any, *, bodies: bool) -> CallView:
    return CallView(
        id=row["id"],
        push_id=row["push_id"],
        provider=row["provider"],
        meeting_id=row["meeting_id"],
        deal_id=row["deal_id"],
        attempt=row["attempt"],
        operation=row["operation"],
        method=row["method"],
        path=row["path"],
        status=row["status"],
        error_code=row["error_code"],
        error_message=row["error_message"],
        duration_ms=row["duration_ms"],
        crm_id=row["crm_id"],
        started_at=row["started_at"],
        request_body=row["request_body"] if bodies else None,
        response_body=row["response_body"] if bodies else None,
    )
