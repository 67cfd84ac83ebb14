"""Builders of the events attribution publishes: each names every contract field."""

from datetime import datetime
from uuid import UUID

from attribution.domain.booking import BookingJourney
from attribution.domain.canonical import fraction_text
from attribution.domain.recorded import Booking
from attribution.domain.run import AttributionRun
from dealflow_schemas.attribution import (
    ChannelShare,
    DealAttributed,
    DealAttributionVoided,
    MeetingAttributed,
)


def meeting_attributed(
    booking: Booking, journey: BookingJourney, rule_version: int, caused_by: str | None
) -> MeetingAttributed:
    return MeetingAttributed(
        tenant_id=booking.tenant_id,
        meeting_id=booking.meeting_id,
        person_email=booking.person_email,
        booked_at=booking.booked_at,
        touches_before_booking=journey.touches_before_booking,
        days_to_booking=journey.days_to_booking,
        first_touch_channel=journey.first_touch_channel,
        converting_activity_id=journey.converting_activity_id,
        converting_channel=journey.converting_channel,
        rule_version=rule_version,
        caused_by=caused_by,
    )


def deal_attributed(
    tenant_id: str,
    run_id: UUID,
    run: AttributionRun,
    *,
    supersedes: UUID | None,
    computed_at: datetime,
    caused_by: str | None,
) -> DealAttributed:
    return DealAttributed(
        tenant_id=tenant_id,
        deal_id=UUID(run.deal_id),
        run_id=run_id,
        model=run.model.value,
        parameters=run.params,
        rule_version=run.rule_version,
        value_minor=run.value_minor,
        currency=run.currency,
        channels=[
            ChannelShare(
                channel=c.channel,
                minor_units=c.minor_units,
                weight=fraction_text(c.weight),
                touches=c.touches,
            )
            for c in run.channels
        ],
        unattributed_reason=run.unattributed_reason,
        supersedes=supersedes,
        input_hash=run.input_hash,
        computed_at=computed_at,
        caused_by=caused_by,
    )


def deal_attribution_voided(
    tenant_id: str,
    deal_id: UUID,
    run_ids: list[UUID],
    *,
    reason: str,
    voided_at: datetime,
    caused_by: str | None,
) -> DealAttributionVoided:
    return DealAttributionVoided(
        tenant_id=tenant_id,
        deal_id=deal_id,
        run_ids=run_ids,
        reason=reason,
        voided_at=voided_at,
        caused_by=caused_by,
    )
