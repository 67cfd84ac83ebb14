"""From deals, companies and meeting records to the public deal events.

Every contract field is named here, one builder per event: mypy (pydantic plugin) flags a new
required field, and tests check that no field is left to its default.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypedDict

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
        stage_entered_at=deal.stage_entered_at,
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


@dataclass(frozen=True)
class _Context:
    deal: Deal
    company: Company
    transition: Transition
    meeting: MeetingRecord | None
    caused_by: str | None
    now: datetime


class _Header(TypedDict):
    """The fields every deal event has (mypy checks the ** below against each event)."""

    deal_id: uuid.UUID
    tenant_id: str
    occurred_at: datetime
    changed_by: str | None
    caused_by: str | None
    deal: DealSnapshot
    meeting: MeetingRef | None


def _header(c: _Context) -> _Header:
    return _Header(
        deal_id=c.deal.id,
        tenant_id=c.deal.tenant_id,
        occurred_at=c.now,
        changed_by=c.transition.by,
        caused_by=c.caused_by,
        deal=snapshot(c.deal, c.company),
        meeting=meeting_ref(c.meeting),
    )


def _created(c: _Context) -> DealCreated:
    return DealCreated(**_header(c))


def _stage_changed(c: _Context) -> DealStageChanged:
    t = c.transition
    # A stage change always has both ends.
    assert t.from_stage is not None
    assert t.to_stage is not None
    return DealStageChanged(
        **_header(c),
        from_stage=t.from_stage,
        to_stage=t.to_stage,
        reason=t.reason,
    )


def _value_changed(c: _Context) -> DealValueChanged:
    return DealValueChanged(
        **_header(c),
        previous_value=c.transition.details["previous_value"],
        previous_currency=c.transition.details["previous_currency"],
    )


def _won(c: _Context) -> DealWon:
    return DealWon(**_header(c))


def _lost(c: _Context) -> DealLost:
    return DealLost(
        **_header(c),
        reason=c.transition.details["reason"],
        notes=c.transition.details["notes"],
    )


def _cancelled(c: _Context) -> DealCancelled:
    return DealCancelled(
        **_header(c),
        reason=c.transition.details["reason"],
    )


def _reopened(c: _Context) -> DealReopened:
    return DealReopened(
        **_header(c),
        from_status=c.transition.details["from_status"],
        reason=c.transition.details["reason"],
    )


def _updated(c: _Context) -> DealUpdated:
    return DealUpdated(
        **_header(c),
        changed_fields=list(c.transition.details["changed_fields"]),
    )


_BUILDERS: dict[Kind, Callable[[_Context], DealEvent]] = {
    Kind.CREATED: _created,
    Kind.STAGE_CHANGED: _stage_changed,
    Kind.VALUE_CHANGED: _value_changed,
    Kind.WON: _won,
    Kind.LOST: _lost,
    Kind.CANCELLED: _cancelled,
    Kind.REOPENED: _reopened,
    Kind.UPDATED: _updated,
}


def deal_event(
    deal: Deal,
    company: Company,
    transition: Transition,
    *,
    meeting: MeetingRecord | None,
    caused_by: str | None,
    now: datetime,
) -> DealEvent:
    """The event describing `transition`, with the deal's state after it."""
    return _BUILDERS[transition.kind](_Context(deal, company, transition, meeting, caused_by, now))
