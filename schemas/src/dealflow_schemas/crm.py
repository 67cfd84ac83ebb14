"""CRM push contracts: `dealflow.crm.v1`, published by crm_push.

- `CrmPushed`: the result of one push, keyed by the meeting or deal it was about. One event is
  published per push each time it ends (succeeded, skipped, parked); a parked push retried later
  publishes again with its new result.
- `CrmConnectionChanged`: a tenant's CRM or Notion connection was made, broke or was removed,
  keyed by tenant id.
"""

from enum import StrEnum
from typing import ClassVar
from uuid import UUID

from pydantic import Field

from dealflow_schemas.base import EventModel
from dealflow_schemas.bounded import Instant

CRM_TOPIC = "dealflow.crm.v1"


class CrmProvider(StrEnum):
    HUBSPOT = "hubspot"
    PIPEDRIVE = "pipedrive"
    CLOSE = "close"
    NOTION = "notion"


class PushTarget(StrEnum):
    CRM = "crm"
    NOTION = "notion"


class PushEntity(StrEnum):
    MEETING = "meeting"
    DEAL = "deal"


class PushOutcome(StrEnum):
    SUCCEEDED = "succeeded"
    SKIPPED = "skipped"
    PARKED = "parked"
    """Failed after its retries (or at once, for errors a retry cannot fix); kept for a manual
    retry (`POST /v1/crm/logs/{id}/retry`) or a replay."""


class CrmPushed(EventModel):
    """What one push did in the tenant's CRM (or Notion table)."""

    ce_type: ClassVar[str] = "dealflow.crm.pushed.v1"

    push_id: UUID = Field(description="The push (crm_push's id); `GET /v1/crm/pushes/{id}`.")
    tenant_id: str = Field(examples=["acme"])
    target: PushTarget
    provider: CrmProvider | None = Field(
        description="The connected system; null when none is connected (then skipped)."
    )
    entity: PushEntity
    meeting_id: UUID | None = None
    deal_id: UUID | None = None
    source_event_id: str = Field(description="Id of the event that asked for the push.")
    source_event_type: str = Field(examples=["dealflow.meeting.booked.v1"])
    outcome: PushOutcome
    success: bool = Field(description="outcome == succeeded.")
    skipped: bool = Field(description="outcome == skipped.")
    reason: str | None = Field(
        default=None,
        description="Why it was skipped, or what was decided (e.g. which owner and why).",
        examples=["no CRM connected"],
    )
    crm_contact_id: str | None = None
    crm_org_id: str | None = Field(
        default=None, description="HubSpot company, Pipedrive organization, Close lead."
    )
    crm_deal_id: str | None = Field(default=None, description="Deal / opportunity.")
    crm_activity_id: str | None = Field(default=None, description="The meeting's activity.")
    notion_page_id: str | None = None
    error: str | None = Field(default=None, description="The last error, for a parked push.")
    error_code: str | None = None
    attempts: int = Field(description="Attempts made so far.", examples=[1])
    completed_at: Instant
    caused_by: str | None = Field(
        default=None, description="Id of the event behind the push (= source_event_id)."
    )


class ConnectionStatus(StrEnum):
    CONNECTED = "connected"
    ERROR = "error"
    DISCONNECTED = "disconnected"


class CrmConnectionChanged(EventModel):
    """A tenant's connection to a CRM or to Notion changed state."""

    ce_type: ClassVar[str] = "dealflow.crm.connection_changed.v1"

    tenant_id: str
    target: PushTarget
    provider: CrmProvider
    status: ConnectionStatus
    reason: str | None = Field(default=None, description="Why, for `error`.")
    changed_at: Instant


CRM_EVENTS: tuple[type[EventModel], ...] = (CrmPushed, CrmConnectionChanged)
