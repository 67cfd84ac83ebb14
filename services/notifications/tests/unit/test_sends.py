"""Which send an event asks for, its recipients, its key and the meeting version behind it."""

import uuid
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from dealflow_schemas.meetings import (
    MeetingAttended,
    MeetingBooked,
    MeetingCancelled,
    MeetingConfirmed,
    MeetingEvent,
    MeetingRescheduled,
    MeetingStatus,
    ReminderDue,
)
from dealflow_schemas.notifications import NotificationKind
from notifications.domain.sends import (
    LogicalSend,
    booking_key,
    idempotency_key,
    kind_for,
    recipients_of,
    reminder_key,
    send_for,
)
from notifications.domain.versions import meeting_version

from .factories import MEETING_ID, START, event, snapshot

REMINDER_ID = uuid.UUID("5d1f5a8e-0000-4000-8000-000000000001")


def reminder(offset_minutes: int, **changes: object) -> ReminderDue:
    return event(
        ReminderDue,
        snapshot(**changes),
        reminder_id=REMINDER_ID,
        offset_minutes=offset_minutes,
        due_at=START - timedelta(minutes=offset_minutes),
    )


class TestKind:
    @pytest.mark.parametrize(
        ("event_type", "kind"),
        [
            (MeetingBooked, NotificationKind.CONFIRMATION),
            (MeetingRescheduled, NotificationKind.RESCHEDULE),
            (MeetingCancelled, NotificationKind.CANCELLATION),
            (MeetingConfirmed, None),
            (MeetingAttended, None),
        ],
    )
    def test_booking_events(
        self, event_type: type[MeetingEvent], kind: NotificationKind | None
    ) -> None:
        assert kind_for(event(event_type)) is kind

    def test_a_due_reminder_asks_for_a_reminder(self) -> None:
        assert kind_for(reminder(120)) is NotificationKind.REMINDER

    def test_events_that_send_nothing_give_no_send(self) -> None:
        assert send_for(event(MeetingConfirmed)) is None


class TestSendFor:
    def test_a_booking_asks_for_the_confirmation_of_version_0(self) -> None:
        assert send_for(event(MeetingBooked)) == LogicalSend(
            kind=NotificationKind.CONFIRMATION,
            meeting_id=MEETING_ID,
            version=0,
            recipients=("jane@prospect.io",),
            key=f"confirmation/{MEETING_ID}/v0",
        )

    def test_a_reschedule_and_a_cancellation_key_on_their_versions(self) -> None:
        moved = snapshot(rescheduled_count=1)
        cancelled = snapshot(rescheduled_count=1, status=MeetingStatus.CANCELLED)
        rescheduled_send = send_for(event(MeetingRescheduled, moved))
        cancelled_send = send_for(event(MeetingCancelled, cancelled))
        assert rescheduled_send is not None
        assert cancelled_send is not None
        assert rescheduled_send.key == f"reschedule/{MEETING_ID}/v2"
        assert cancelled_send.key == f"cancellation/{MEETING_ID}/v3"

    def test_a_reminder_keys_on_the_start_it_was_planned_for_and_its_offset(self) -> None:
        send = send_for(reminder(24 * 60))
        assert send is not None
        assert send.key == f"reminder/{MEETING_ID}/2025-12-09T09:00:00Z/1440"
        assert (send.offset_minutes, send.planned_start) == (1440, START)
        assert send.due_at == START - timedelta(days=1)

    def test_the_same_event_redelivered_gives_the_same_key(self) -> None:
        first, again = send_for(event(MeetingBooked)), send_for(event(MeetingBooked))
        assert first is not None
        assert again is not None
        assert first.key == again.key


class TestRecipients:
    def test_attendees_with_an_email_primary_first_each_once(self) -> None:
        meeting = snapshot(
            attendees=[
                {"email": "jane@prospect.io", "name": "Jane"},
                {"name": "No Email"},
                {"email": "Bob@Prospect.io"},
                {"email": "JANE@prospect.io", "name": "Jane again"},
                {"email": "alice@partner.com"},
            ]
        )
        assert recipients_of(meeting) == (
            "jane@prospect.io",
            "bob@prospect.io",
            "alice@partner.com",
        )

    def test_the_organizer_and_invalid_addresses_are_left_out(self) -> None:
        meeting = snapshot(
            attendees=[
                {"email": "Ben@RevenueEngineer.com"},
                {"email": "not an email"},
                {"email": "jane@prospect.io"},
            ]
        )
        assert recipients_of(meeting) == ("jane@prospect.io",)

    def test_no_attendee_with_an_email_gives_no_recipients(self) -> None:
        assert recipients_of(snapshot(attendees=[{"name": "Anon"}])) == ()


class TestVersion:
    def test_it_strictly_rises_over_book_reschedule_cancel(self) -> None:
        history = [
            snapshot(),
            snapshot(rescheduled_count=1),
            snapshot(rescheduled_count=2),
            snapshot(rescheduled_count=2, status=MeetingStatus.CANCELLED),
        ]
        versions = [meeting_version(s) for s in history]
        assert versions == [0, 2, 4, 5]

    def test_it_rises_over_cancel_then_revive_by_a_reschedule_then_cancel(self) -> None:
        history = [
            snapshot(),
            snapshot(status=MeetingStatus.CANCELLED),
            snapshot(rescheduled_count=1),  # a move revives a cancelled meeting
            snapshot(rescheduled_count=1, status=MeetingStatus.CANCELLED),
        ]
        versions = [meeting_version(s) for s in history]
        assert versions == sorted(set(versions)) == [0, 1, 2, 3]


class TestKeys:
    def test_booking_and_reminder_key_formats(self) -> None:
        assert booking_key(NotificationKind.CANCELLATION, MEETING_ID, 7) == (
            f"cancellation/{MEETING_ID}/v7"
        )
        berlin_start = START.astimezone(ZoneInfo("Europe/Berlin"))
        assert reminder_key(MEETING_ID, berlin_start, 120) == (
            f"reminder/{MEETING_ID}/2025-12-09T09:00:00Z/120"
        )

    def test_the_idempotency_key_is_the_send_key(self) -> None:
        key = booking_key(NotificationKind.CONFIRMATION, MEETING_ID, 0)
        assert idempotency_key(key) == key

    def test_a_manual_resend_gets_a_key_of_its_own(self) -> None:
        key = booking_key(NotificationKind.CONFIRMATION, MEETING_ID, 0)
        assert idempotency_key(key, resend=1) == f"{key}/resend-1"
        assert idempotency_key(key, resend=2) != idempotency_key(key, resend=1)

    def test_an_over_long_key_is_hashed_to_at_most_256_characters(self) -> None:
        long_key = "x" * 300
        hashed = idempotency_key(long_key)
        assert len(hashed) <= 256
        assert hashed == idempotency_key(long_key)
        assert hashed != idempotency_key("y" * 300)
        assert len(idempotency_key("x" * 256)) == 256
