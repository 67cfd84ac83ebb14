"""Notification contracts: `dealflow.notifications.v1`, published by notifications, keyed by
meeting id.

- `NotificationSent`: an email was accepted by the provider (Resend or SMTP), once per logical
  send (kind, meeting, offset, version).
- `NotificationFailed`: a send was given up (parked after its attempts, refused, or skipped for a
  suppressed address); it can be resent by hand.
"""

from enum import StrEnum
from typing import ClassVar
from uuid import UUID

from pydantic import Field

from dealflow_schemas.base import EventModel
from dealflow_schemas.bounded import Instant

NOTIFICATIONS_TOPIC = "dealflow.notifications.v1"


class NotificationKind(StrEnum):
    CONFIRMATION = "confirmation"
    RESCHEDULE = "reschedule"
    CANCELLATION = "cancellation"
    REMINDER = "reminder"


class NotificationTransport(StrEnum):
    RESEND = "resend"
    SMTP = "smtp"


class NotificationEvent(EventModel):
    ce_type: ClassVar[str]

    notification_id: UUID = Field(description="`GET /v1/notifications/{id}`.")
    tenant_id: str = Field(examples=["acme"])
    meeting_id: UUID
    kind: NotificationKind
    offset_minutes: int | None = Field(
        default=None, description="For a reminder: how long before the start it is due."
    )
    recipients: list[str] = Field(description="The attendees it was addressed to.")
    from_address: str = Field(examples=["team@outboundsolutions.com"])
    subject: str
    transport: NotificationTransport
    attempts: int
    caused_by: str | None = Field(default=None, description="Id of the meeting event behind it.")


class NotificationSent(NotificationEvent):
    ce_type: ClassVar[str] = "dealflow.notification.sent.v1"

    provider_message_id: str | None = Field(
        default=None, description="The provider's id (Resend email id, SMTP Message-ID)."
    )
    sent_at: Instant


class NotificationFailed(NotificationEvent):
    ce_type: ClassVar[str] = "dealflow.notification.failed.v1"

    reason: str = Field(examples=["suppressed: jane@acme.com bounced on 2026-11-30"])
    error_code: str | None = Field(default=None, examples=["validation_error"])
    failed_at: Instant


NOTIFICATION_EVENTS: tuple[type[EventModel], ...] = (NotificationSent, NotificationFailed)
