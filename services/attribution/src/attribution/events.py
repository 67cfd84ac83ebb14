"""Builders of the events attribution publishes: each names every contract field."""

from attribution.domain.booking import BookingJourney
from attribution.domain.recorded import Booking
from dealflow_schemas.attribution import MeetingAttributed


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
