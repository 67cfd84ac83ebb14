"""From deals, companies and meeting records to the public deal events."""

from datetime import datetime
from typing import Any

from dealflow_schemas.deals import (
    CompanyRef,
    DealCancelled,
    DealCreated,
    DealEvent,
    DealLost,
    DealReopened,
    DealSnapshot,
    DealStageChanged,
    DealUpdated,
    DealValueChanged,
    DealWon,
    MeetingRef,
)
from deals.domain.company import Company, MeetingRecord
from deals.domain.deal import Deal, Kind, Transition

_EVENT_FOR: dict[Kind, type[DealEvent]] = {
    Kind.CREATED: DealCreated,
    Kind.STAGE_CHANGED: DealStageChanged,
    Kind.VALUE_CHANGED: DealValueChanged,
    Kind.WON: DealWon,
    Kind.LOST: DealLost,
    Kind.CANCELLED: DealCancelled,
    Kind.REOPENED: DealReopened,
    Kind.UPDATED: DealUpdated,
}


def snapshot(deal: Deal, company: Company) -> DealSnapshot:
    return DealSnapshot(
        deal_id=deal.id,
        tenant_id=deal.tenant_id,
        name=deal.name,
        company=CompanyRef(company_id=company.id, domain=company.domain, name=company.name),
        status=deal.status,
        stage=deal.stage,
        probability=deal.probability,
        value=deal.value,
        currency=deal.currency,
        weighted_value=deal.weighted_value,
        expected_close_date=deal.expected_close_date,
        owner=deal.owner,
        primary_contact_email=deal.primary_contact_email,
        source_meeting_id=deal.source_meeting_id,
        meeting_ids=list(deal.meeting_ids),
        converting_activity_id=deal.converting_activity_id,
        converting_channel=deal.converting_channel,
        lost_reason=deal.lost_reason,
        lost_notes=deal.lost_notes,
        closed_at=deal.closed_at,
        days_to_close=deal.days_to_close,
        external_ids=dict(deal.external_ids),
        created_at=deal.created_at,
        updated_at=deal.updated_at,
    )


def meeting_ref(record: MeetingRecord | None) -> MeetingRef | None:
    if record is None:
        return None
    return MeetingRef(
        meeting_id=record.meeting_id,
        title=record.title,
        meeting_type=record.meeting_type,
        scheduled_at=record.scheduled_at,
        status=record.status,
        primary_email=record.primary_email,
        organizer_email=record.organizer_email,
        utm_source=record.utm_source,
        utm_campaign=record.utm_campaign,
    )


def deal_event(
    deal: Deal,
    company: Company,
    transition: Transition,
    *,
    meeting: MeetingRecord | None,
    caused_by: str | None,
    now: datetime,
) -> DealEvent:
    extra: dict[str, Any] = dict(transition.details)
    if transition.kind is Kind.STAGE_CHANGED:
        extra.update(
            from_stage=transition.from_stage, to_stage=transition.to_stage, reason=transition.reason
        )
    return _EVENT_FOR[transition.kind](
        deal_id=deal.id,
        tenant_id=deal.tenant_id,
        occurred_at=now,
        changed_by=transition.by,
        caused_by=caused_by,
        deal=snapshot(deal, company),
        meeting=meeting_ref(meeting),
        **extra,
    )
