"""The send log: every logical email, its content, its attempts; resend."""

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from dealflow_libs.http import ApiError
from dealflow_libs.pagination import after_cursor, page_of
from dealflow_schemas.bounded import Email, Instant
from dealflow_schemas.notifications import NotificationKind
from notifications import use_cases
from notifications.api.deps import Ctx, Tenant
from notifications.db.repository import SendFilter
from notifications.domain.model import Send, SendStatus

router = APIRouter(prefix="/v1/notifications", tags=["notifications"])


class NotificationView(BaseModel):
    id: uuid.UUID
    meeting_id: uuid.UUID
    kind: str
    offset_minutes: int | None
    status: str = Field(description="pending | sending | sent | failed | skipped")
    recipients: list[str]
    from_address: str
    reply_to: str | None
    subject: str
    transport: str
    attempts: int
    provider_message_id: str | None
    delivery: str | None = Field(description="What the provider reported: delivered, bounced...")
    reason: str | None
    error_code: str | None
    error: str | None
    created_at: datetime
    sent_at: datetime | None


def view(send: Send) -> NotificationView:
    return NotificationView(
        id=send.id,
        meeting_id=send.meeting_id,
        kind=send.kind.value,
        offset_minutes=send.offset_minutes,
        status=send.status.value,
        recipients=send.recipients,
        from_address=send.from_address,
        reply_to=send.reply_to,
        subject=send.subject,
        transport=send.transport.value,
        attempts=send.attempts,
        provider_message_id=send.provider_message_id,
        delivery=send.delivery,
        reason=send.reason,
        error_code=send.error_code,
        error=send.error,
        created_at=send.created_at,
        sent_at=send.sent_at,
    )


class NotificationPage(BaseModel):
    items: list[NotificationView]
    next_cursor: str | None


@router.get("", response_model=NotificationPage, summary="Notifications, newest first")
async def list_notifications(
    ctx: Ctx,
    tenant: Tenant,
    meeting_id: uuid.UUID | None = None,
    kind: NotificationKind | None = None,
    status: SendStatus | None = None,
    recipient: Email | None = None,
    since: Instant | None = None,
    until: Instant | None = None,
    cursor: str | None = None,
    limit: int = Query(50, ge=1, le=500),
) -> NotificationPage:
    after = after_cursor(cursor, datetime.fromisoformat)
    where = SendFilter(meeting_id, kind, status, recipient, since, until)
    async with ctx.uow() as uow:
        rows = await uow.notifications.list_sends(tenant, where, after, limit + 1)
    page, next_cursor = page_of(rows, limit, lambda s: s.created_at.isoformat())
    return NotificationPage(items=[view(s) for s in page], next_cursor=next_cursor)


class AttemptView(BaseModel):
    attempt: int
    status: int | None = Field(description="HTTP status or SMTP reply; null without an answer.")
    error_code: str | None
    error: str | None
    duration_ms: int
    at: datetime


class NotificationDetail(NotificationView):
    html: str
    text: str
    ics: str | None
    attempt_log: list[AttemptView]


@router.get("/{notification_id}", response_model=NotificationDetail, summary="One notification")
async def get_notification(
    ctx: Ctx, tenant: Tenant, notification_id: uuid.UUID
) -> NotificationDetail:
    """The rendered content and every attempt with its status and duration."""
    async with ctx.uow() as uow:
        send = await uow.notifications.send(tenant, notification_id)
        attempts = await uow.notifications.attempts_of(notification_id) if send else []
    if send is None:
        raise ApiError(404, "not_found", f"no notification {notification_id}")
    return NotificationDetail(
        **view(send).model_dump(),
        html=send.html,
        text=send.text,
        ics=send.ics,
        attempt_log=[AttemptView(**_attempt(a)) for a in attempts],
    )


def _attempt(row: Any) -> dict[str, Any]:
    return {k: row[k] for k in ("attempt", "status", "error_code", "error", "duration_ms", "at")}


@router.post(
    "/{notification_id}/resend",
    response_model=NotificationView,
    status_code=201,
    summary="Send it again",
)
async def resend(
    ctx: Ctx, tenant: Tenant, notification_id: Annotated[uuid.UUID, "notification"]
) -> NotificationView:
    """A new send with the same content (failed, skipped or lost emails); 409 while the
    original is still being sent."""
    again = await use_cases.resend(ctx.uow(), tenant, notification_id)
    ctx.nudge()
    return view(again)
