"""The journey to a booking, and the MeetingAttributed built from it (every field named)."""

import uuid
from datetime import UTC, datetime, timedelta

from attribution.domain.booking import BookingJourney, journey_to_booking
from attribution.domain.channels import Classification
from attribution.domain.recorded import Booking, RecordedTouch
from attribution.domain.touches import ActivityType, Touch
from attribution.events import meeting_attributed
from dealflow_schemas.attribution import MeetingAttributed

BOOKED = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def recorded(
    touch_id: str, at: datetime, channel: str, kind=ActivityType.WEB_VISIT
) -> RecordedTouch:  # type: ignore[no-untyped-def]
    touch = Touch(touch_id, "a@b.com", at, kind)
    return RecordedTouch("t", touch, Classification(channel, "r", 1), "api", at)


def test_counts_eligible_touches_up_to_the_booking_without_its_own() -> None:
    touches = [
        recorded("late", BOOKED + timedelta(seconds=1), "X"),
        recorded("b", BOOKED - timedelta(days=2), "Email"),
        recorded("a", BOOKED - timedelta(days=5, hours=3), "Paid Search"),
        recorded("old", BOOKED - timedelta(days=91), "Old"),
        recorded("open", BOOKED - timedelta(days=1), "Email", ActivityType.EMAIL_OPENED),
        recorded("tie", BOOKED - timedelta(days=2), "Phone"),
        recorded("meeting:1", BOOKED, "Sales Meeting", ActivityType.MEETING_BOOKED),
    ]
    assert journey_to_booking(touches, booking_touch_id="meeting:1", booked_at=BOOKED) == (
        BookingJourney(3, 5, "Paid Search", "tie", "Phone")
    )


def test_no_touches_before_the_booking() -> None:
    assert journey_to_booking([], booking_touch_id="m", booked_at=BOOKED) == BookingJourney(
        0, None, None, None, None
    )


def test_meeting_attributed_names_every_field() -> None:
    booking = Booking("t", uuid.uuid4(), "a@b.com", ("a@b.com",), "b.com", BOOKED, "meeting:x")
    event = meeting_attributed(booking, BookingJourney(2, 3, "Email", "t1", "Phone"), 4, "ev-1")
    assert event.model_fields_set == set(MeetingAttributed.model_fields)
    assert (event.meeting_id, event.rule_version, event.caused_by) == (
        booking.meeting_id,
        4,
        "ev-1",
    )
