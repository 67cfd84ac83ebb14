"""The events notifications publishes, each built naming every contract field."""

from datetime import datetime

from dealflow_schemas.notifications import NotificationFailed, NotificationSent
from notifications.domain.model import Send


def notification_sent(send: Send) -> NotificationSent:
    if send.sent_at is None:
        raise ValueError(f"send {send.id} has not been sent")
    return NotificationSent(
        notification_id=send.id,
        tenant_id=send.tenant_id,
        meeting_id=send.meeting_id,
        kind=send.kind,
        offset_minutes=send.offset_minutes,
        recipients=send.recipients,
        from_address=send.from_address,
        subject=send.subject,
        transport=send.transport,
        attempts=send.attempts,
        caused_by=send.source_event_id,
        provider_message_id=send.provider_message_id,
        sent_at=send.sent_at,
    )


def notification_failed(send: Send, at: datetime) -> NotificationFailed:
    return NotificationFailed(
        notification_id=send.id,
        tenant_id=send.tenant_id,
        meeting_id=send.meeting_id,
        kind=send.kind,
        offset_minutes=send.offset_minutes,
        recipients=send.recipients,
        from_address=send.from_address,
        subject=send.subject,
        transport=send.transport,
        attempts=send.attempts,
        caused_by=send.source_event_id,
        reason=send.reason or "failed",
        error_code=send.error_code,
        failed_at=at,
    )
