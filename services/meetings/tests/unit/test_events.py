"""Events are built from the Meeting aggregate field by field: nothing left to a default."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from dealflow_schemas.bookings import Attendee, Person, Tracking
from dealflow_schemas.meetings import (
    MeetingOutcome,
    MeetingProvider,
    MeetingSnapshot,
    MeetingStatus,
    MeetingType,
)
from meetings.domain.meeting import Change, Happened, Meeting
from meetings.events import DealRequest, meeting_event, reminder_due, snapshot

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)

DETAILS = {
    Change.RESCHEDULED: {"previous_scheduled_at": NOW, "previous_provider_uid": "old-uid"},
    Change.CANCELLED: {"reason": "Budget frozen"},
    Change.OUTCOME_RECORDED: {"outcome": MeetingOutcome.GOOD},
}


def full_meeting() -> Meeting:
    """Every attribute set to something other than its default."""
    return Meeting(
        tenant_id="demo",
        provider=MeetingProvider.CALCOM,
        provider_uid="uid-2",
        meeting_type=MeetingType.DEMO,
        status=MeetingStatus.COMPLETED,
        created_at=NOW - timedelta(days=3),
        updated_at=NOW,
        previous_uids=["uid-1"],
        title="Demo",
        event_type_slug="demo",
        scheduled_at=NOW - timedelta(hours=2),
        ends_at=NOW - timedelta(hours=1),
        duration_minutes=60,
        time_zone="Europe/Berlin",
        organizer=Person(email="rep@dealflow.dev", name="Rep"),
        attendees=[Attendee(email="jamie@acme.com", name="Jamie"), Attendee(email="sam@acme.com")],
        primary_email="jamie@acme.com",
        company_domain="acme.com",
        is_personal_email=True,
        meeting_url="https://meet.example/x",
        location="Berlin",
        booked_by="jamie@acme.com",
        booking_method="web",
        confirmed=True,
        confirmed_at=NOW - timedelta(days=2),
        reminder_sent=True,
        reminder_sent_at=NOW - timedelta(days=1),
        showed_up=True,
        showed_up_at=NOW - timedelta(hours=2),
        attendance_confirmed_by="rep",
        no_show_reason="-",
        meeting_outcome=MeetingOutcome.GOOD,
        notes="Good call",
        next_steps="Proposal",
        rescheduled_count=1,
        original_scheduled_at=NOW - timedelta(days=1),
        cancellation_reason="-",
        cancelled_at=NOW - timedelta(days=1),
        tracking=Tracking(utm_source="linkedin", utm_campaign="spring"),
        deal_id=uuid.uuid4(),
        touches_before_booking=3,
        days_to_booking=5,
        converting_activity_id="act-1",
        converting_channel="paid_social",
        first_touch_channel="Paid Search",
        notification_sent_at=NOW - timedelta(days=3),
    )


def test_the_snapshot_names_every_contract_field() -> None:
    meeting = full_meeting()
    snap = snapshot(meeting)

    # A field added to the contract but not to snapshot() fails here, not in production.
    assert snap.model_fields_set == set(MeetingSnapshot.model_fields)
    assert snap.previous_provider_uids == ["uid-1"]


def test_attendees_travel_as_the_aggregate_holds_them() -> None:
    meeting = full_meeting()
    snap = snapshot(meeting)

    assert snap.attendees == meeting.attendees
    assert snap.attendees[0] is meeting.attendees[0]  # no dict round trip per event
    assert snap.organizer is meeting.organizer
    assert snap.tracking is meeting.tracking


@pytest.mark.parametrize("change", list(Change))
def test_every_change_has_an_event_with_every_field_named(change: Change) -> None:
    event = meeting_event(
        full_meeting(),
        Happened(change, DETAILS.get(change, {})),
        caused_by="evt-1",
        now=NOW,
        deal=DealRequest(create_deal=True, deal_value=9000.0, deal_name="Acme"),
    )

    assert event.model_fields_set == set(type(event).model_fields)
    assert (event.caused_by, event.occurred_at) == ("evt-1", NOW)


def test_the_outcome_event_carries_the_deal_request() -> None:
    event = meeting_event(
        full_meeting(),
        Happened(Change.OUTCOME_RECORDED, DETAILS[Change.OUTCOME_RECORDED]),
        caused_by=None,
        now=NOW,
        deal=DealRequest(create_deal=True, deal_value=9000.0, deal_name="Acme"),
    )

    assert event.model_dump(include={"outcome", "create_deal", "deal_value", "deal_name"}) == {
        "outcome": MeetingOutcome.GOOD,
        "create_deal": True,
        "deal_value": 9000.0,
        "deal_name": "Acme",
    }


def test_reminder_due_names_every_field() -> None:
    event = reminder_due(
        full_meeting(), reminder_id=uuid.uuid4(), offset_minutes=1440, due_at=NOW, now=NOW
    )

    assert event.model_fields_set == set(type(event).model_fields)


def test_the_journey_travels_in_the_snapshot() -> None:
    """What MeetingAttributed put on the meeting reaches every later event's snapshot."""
    snap = snapshot(full_meeting())

    assert (
        snap.touches_before_booking,
        snap.days_to_booking,
        snap.converting_activity_id,
        snap.converting_channel,
        snap.first_touch_channel,
    ) == (3, 5, "act-1", "paid_social", "Paid Search")
