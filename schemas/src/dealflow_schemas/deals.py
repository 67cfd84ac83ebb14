"""Deal events: the public stream other teams subscribe to (`dealflow.deals.v1`, keyed by deal id).

Every event carries the deal's full state, the company and the meeting it came from.
"""

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import ClassVar
from uuid import UUID

from pydantic import Field

from dealflow_schemas.base import AwareDatetime, EventModel

DEALS_TOPIC = "dealflow.deals.v1"


class DealStage(StrEnum):
    BOOKED = "booked"
    MET = "met"
    QUALIFICATION = "qualification"
    PROPOSAL = "proposal"
    NEGOTIATION = "negotiation"
    VERBAL_COMMIT = "verbal_commit"
    CONTRACT_SENT = "contract_sent"
    CLOSED_WON = "closed_won"
    CLOSED_LOST = "closed_lost"


#: Stages that end a deal; every other stage is open.
CLOSED_STAGES: tuple[DealStage, ...] = (DealStage.CLOSED_WON, DealStage.CLOSED_LOST)


class DealStatus(StrEnum):
    ACTIVE = "active"
    WON = "won"
    LOST = "lost"
    CANCELLED = "cancelled"


class LostReason(StrEnum):
    PRICE_TOO_HIGH = "price_too_high"
    CHOSE_COMPETITOR = "chose_competitor"
    NO_BUDGET = "no_budget"
    TIMING_NOT_RIGHT = "timing_not_right"
    NO_DECISION = "no_decision"
    CHAMPION_LEFT = "champion_left"
    PROJECT_CANCELLED = "project_cancelled"
    WENT_SILENT = "went_silent"
    BAD_FIT = "bad_fit"
    OTHER = "other"


class CompanyRef(EventModel):
    company_id: UUID
    domain: str = Field(examples=["acme.co.uk"])
    name: str = Field(examples=["Acme"])


class MeetingRef(EventModel):
    """The meeting the deal came from, as it was when the deal last changed because of it."""

    meeting_id: UUID
    title: str | None = None
    meeting_type: str | None = None
    scheduled_at: AwareDatetime | None = None
    status: str | None = None
    primary_email: str | None = None
    organizer_email: str | None = None
    utm_source: str | None = None
    utm_campaign: str | None = None


class DealSnapshot(EventModel):
    deal_id: UUID
    tenant_id: str
    name: str
    company: CompanyRef
    status: DealStatus
    stage: DealStage
    probability: int = Field(ge=0, le=100, description="Percent.")
    value: Decimal | None = Field(default=None, description="Deal amount in `currency`.")
    currency: str = Field(examples=["USD"])
    weighted_value: Decimal | None = Field(default=None, description="value x probability / 100.")
    expected_close_date: date | None = None
    owner: str | None = None
    primary_contact_email: str | None = None
    source_meeting_id: UUID | None = None
    meeting_ids: list[UUID] = Field(
        default_factory=list, description="Every meeting linked to the deal."
    )
    converting_activity_id: str | None = None
    converting_channel: str | None = None
    lost_reason: LostReason | None = None
    lost_notes: str | None = None
    closed_at: AwareDatetime | None = None
    days_to_close: int | None = None
    external_ids: dict[str, str] = Field(
        default_factory=dict, description="CRM name -> the CRM's deal id, once synced."
    )
    created_at: AwareDatetime
    updated_at: AwareDatetime
    stage_entered_at: AwareDatetime | None = Field(
        default=None,
        description="When the deal entered its current stage or status (created, moved, won, "
        "lost, cancelled or reopened): days in stage count from here.",
    )


class DealEvent(EventModel):
    ce_type: ClassVar[str]

    deal_id: UUID
    tenant_id: str
    occurred_at: AwareDatetime
    changed_by: str | None = Field(default=None, description="Who or what made the change.")
    caused_by: str | None = Field(default=None, description="Id of the event or request behind it.")
    deal: DealSnapshot
    meeting: MeetingRef | None = Field(
        default=None, description="The meeting behind this change, if any."
    )


class DealCreated(DealEvent):
    ce_type: ClassVar[str] = "dealflow.deal.created.v1"


class DealStageChanged(DealEvent):
    ce_type: ClassVar[str] = "dealflow.deal.stage_changed.v1"

    from_stage: DealStage
    to_stage: DealStage
    reason: str | None = None


class DealValueChanged(DealEvent):
    ce_type: ClassVar[str] = "dealflow.deal.value_changed.v1"

    previous_value: Decimal | None = None
    previous_currency: str | None = None


class DealWon(DealEvent):
    ce_type: ClassVar[str] = "dealflow.deal.won.v1"


class DealLost(DealEvent):
    ce_type: ClassVar[str] = "dealflow.deal.lost.v1"

    reason: LostReason
    notes: str | None = None


class DealCancelled(DealEvent):
    ce_type: ClassVar[str] = "dealflow.deal.cancelled.v1"

    reason: str | None = None


class DealReopened(DealEvent):
    ce_type: ClassVar[str] = "dealflow.deal.reopened.v1"

    from_status: DealStatus
    reason: str | None = None


class DealUpdated(DealEvent):
    """Name, owner or expected close date edited (value edits are DealValueChanged)."""

    ce_type: ClassVar[str] = "dealflow.deal.updated.v1"

    changed_fields: list[str]


DEAL_EVENTS: tuple[type[DealEvent], ...] = (
    DealCreated,
    DealStageChanged,
    DealValueChanged,
    DealWon,
    DealLost,
    DealCancelled,
    DealReopened,
    DealUpdated,
)
