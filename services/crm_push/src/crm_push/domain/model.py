"""What crm_push keeps: connections and pushes."""

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from crm_push.providers.base import Provider
from dealflow_schemas.crm import ConnectionStatus, PushEntity, PushTarget


class PushStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    SKIPPED = "skipped"
    PARKED = "parked"


class Operation(StrEnum):
    SYNC_MEETING = "sync_meeting"
    """Contact (+ company) and the meeting activity, from a meeting event's snapshot."""
    SYNC_DEAL = "sync_deal"
    """Contact (+ company) and the deal, from a deal event's snapshot."""
    MEETING_JOURNEY = "meeting_journey"
    """The attendee's attribution fields, from MeetingAttributed."""
    NOTION_MEETING = "notion_meeting"
    """The Notion row of the attendee, from a meeting event's snapshot."""


#: Operations that write an entity's whole state: an older state never overwrites a newer one.
VERSIONED: frozenset[Operation] = frozenset(
    {Operation.SYNC_MEETING, Operation.SYNC_DEAL, Operation.NOTION_MEETING}
)


@dataclass
class Connection:
    tenant_id: str
    target: PushTarget
    provider: Provider
    status: ConnectionStatus
    updated_at: datetime
    status_reason: str | None = None
    credentials: str | None = None
    """Sealed JSON (secretbox, context `crm:<tenant>:<target>`); never leaves the service."""
    token_expires_at: datetime | None = None
    account_id: str | None = None
    config: dict[str, Any] = field(default_factory=dict)
    connected_at: datetime | None = None


@dataclass
class CrmIds:
    contact_id: str | None = None
    org_id: str | None = None
    deal_id: str | None = None
    activity_id: str | None = None
    notion_page_id: str | None = None


@dataclass
class Push:
    id: uuid.UUID
    tenant_id: str
    target: PushTarget
    provider: Provider | None
    entity: PushEntity
    entity_id: uuid.UUID
    source_event_id: str
    source_event_type: str
    operation: Operation
    payload: dict[str, Any]
    version: datetime
    status: PushStatus
    created_at: datetime
    updated_at: datetime
    next_attempt_at: datetime
    meeting_id: uuid.UUID | None = None
    deal_id: uuid.UUID | None = None
    attempts: int = 0
    recover: bool = False
    reason: str | None = None
    error: str | None = None
    error_code: str | None = None
    ids: CrmIds = field(default_factory=CrmIds)
    completed_at: datetime | None = None
    seq: int | None = None
    correlation_id: str | None = None
    traceparent: str | None = None
