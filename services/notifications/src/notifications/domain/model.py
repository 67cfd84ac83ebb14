"""What notifications keeps: one `Send` per logical email."""

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from dealflow_schemas.notifications import NotificationKind, NotificationTransport


class SendStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    """Given up (attempts spent, or refused): visible, and resent by hand."""
    SKIPPED = "skipped"
    """Not worth sending (stale, suppressed, no sender configured): the reason says why."""


@dataclass
class Send:
    id: uuid.UUID
    tenant_id: str
    meeting_id: uuid.UUID
    kind: NotificationKind
    send_key: str
    logical: dict[str, object]
    """The domain's LogicalSend as JSON: what staleness is checked against before sending."""
    idempotency_key: str
    status: SendStatus
    recipients: list[str]
    from_address: str
    subject: str
    html: str
    text: str
    transport: NotificationTransport
    source_event_id: str
    created_at: datetime
    updated_at: datetime
    next_attempt_at: datetime
    offset_minutes: int | None = None
    reply_to: str | None = None
    ics: str | None = None
    attempts: int = 0
    provider_message_id: str | None = None
    delivery: str | None = None
    reason: str | None = None
    error_code: str | None = None
    error: str | None = None
    correlation_id: str | None = None
    traceparent: str | None = None
    sent_at: datetime | None = None
    extra: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Attempt:
    """One try at handing a send to its transport, as the send's detail lists it."""

    send_id: uuid.UUID
    attempt: int
    status: int | None  # HTTP status or SMTP reply code; None when no answer came
    error_code: str | None
    error: str | None
    duration_ms: int
    at: datetime
