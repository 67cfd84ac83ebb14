"""A send is dropped when the meeting moved past it: cancelled, moved, started, superseded."""

import uuid
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest

from dealflow_schemas.meetings import (
    MeetingBooked,
    MeetingCancelled,
    MeetingRescheduled,
    MeetingSnapshot,
    MeetingStatus,
    ReminderDue,
)
from notifications.domain.sends import LogicalSend, send_for
from notifications.domain.staleness import StaleReason, stale_reason

from .factories import BOOKED_AT, START, event, snapshot

H = 60


def reminder_send(offset_minutes: int, planned_start: datetime = START) -> LogicalSend:
    due = planned_start - timedelta(minutes=offset_minutes)
    send = send_for(
        event(
            ReminderDue,
            snapshot(scheduled_at=planned_start),
            reminder_id=uuid.uuid4(),
            offset_minutes=offset_minutes,
            due_at=due,
        )
    )
    assert send is not None
    return send


def reason(send: LogicalSend, meeting: MeetingSnapshot, now: datetime) -> StaleReason | None:
    stale = stale_reason(send, meeting, now=now)
    return stale.reason if stale else None


class TestReminder:
    def test_due_for_a_scheduled_meeting_at_its_planned_start_it_goes_out(self) -> None:
        send = reminder_send(2 * H)
        assert stale_reason(send, snapshot(), now=START - timedelta(hours=2)) is None

    def test_a_cancelled_meeting_gets_no_reminder(self) -> None:
        meeting = snapshot(status=MeetingStatus.CANCELLED)
        assert reason(reminder_send(24 * H), meeting, START - timedelta(days=1)) is (
            StaleReason.CANCELLED
        )

    def test_a_moved_meeting_gets_no_reminder_for_its_old_start(self) -> None:
        moved = snapshot(scheduled_at=START + timedelta(days=1), rescheduled_count=1)
        stale = stale_reason(reminder_send(24 * H), moved, now=START - timedelta(days=1))
        assert stale is not None
        assert stale.reason is StaleReason.MOVED
        assert "2025-12-09T09:00Z" in stale.detail
        assert "2025-12-10T09:00Z" in stale.detail

    def test_a_started_meeting_gets_no_reminder(self) -> None:
        assert reason(reminder_send(2 * H), snapshot(), START) is StaleReason.STARTED

    def test_a_meeting_booked_less_than_the_offset_ahead_gets_none_for_it(self) -> None:
        late_booking = snapshot(created_at=START - timedelta(hours=30))
        now = START - timedelta(hours=72)  # as if it had been planned anyway
        assert reason(reminder_send(72 * H), late_booking, now) is StaleReason.BOOKED_TOO_LATE
        assert reason(reminder_send(24 * H), late_booking, START - timedelta(hours=24)) is None

    def test_a_completed_meeting_gets_no_reminder(self) -> None:
        done = snapshot(status=MeetingStatus.COMPLETED)
        assert reason(reminder_send(2 * H), done, START - timedelta(hours=2)) is (
            StaleReason.NOT_SCHEDULED
        )

    @pytest.mark.parametrize(
        ("offset", "late", "expected"),
        [
            (72 * H, timedelta(hours=36), None),
            (72 * H, timedelta(hours=36, minutes=1), StaleReason.OVERDUE),
            (2 * H, timedelta(minutes=59), None),
            (2 * H, timedelta(minutes=61), StaleReason.OVERDUE),
        ],
    )
    def test_a_reminder_held_up_past_half_its_lead_is_dropped(
        self, offset: int, late: timedelta, expected: StaleReason | None
    ) -> None:
        due = START - timedelta(minutes=offset)
        assert reason(reminder_send(offset), snapshot(), due + late) is expected

    def test_no_recipients_means_nothing_to_send(self) -> None:
        send = reminder_send(2 * H)
        empty = replace(send, recipients=())
        assert reason(empty, snapshot(), START - timedelta(hours=2)) is StaleReason.NO_RECIPIENTS


def booking_send(event_type: Any, meeting: MeetingSnapshot) -> LogicalSend:
    send = send_for(event(event_type, meeting))
    assert send is not None
    return send


class TestBookingEmails:
    NOW = BOOKED_AT

    def test_a_confirmation_of_a_scheduled_future_meeting_goes_out(self) -> None:
        assert (
            stale_reason(booking_send(MeetingBooked, snapshot()), snapshot(), now=self.NOW) is None
        )

    def test_a_confirmation_of_a_meeting_cancelled_with_its_booking_is_dropped(self) -> None:
        # Booked and cancelled in one step: both events carry the cancelled snapshot, and a
        # REQUEST must not go out with the same SEQUENCE as the CANCEL.
        cancelled = snapshot(status=MeetingStatus.CANCELLED)
        send = booking_send(MeetingBooked, cancelled)
        assert reason(send, cancelled, self.NOW) is StaleReason.CANCELLED

    def test_a_confirmation_overtaken_by_a_reschedule_is_superseded(self) -> None:
        send = booking_send(MeetingBooked, snapshot())
        later = snapshot(rescheduled_count=1, scheduled_at=START + timedelta(days=1))
        assert reason(send, later, self.NOW) is StaleReason.SUPERSEDED

    def test_a_reschedule_notice_for_a_meeting_that_started_is_dropped(self) -> None:
        moved = snapshot(rescheduled_count=1)
        assert reason(booking_send(MeetingRescheduled, moved), moved, START) is StaleReason.STARTED

    def test_a_cancellation_goes_out_until_the_meeting_would_have_ended(self) -> None:
        cancelled = snapshot(status=MeetingStatus.CANCELLED)
        send = booking_send(MeetingCancelled, cancelled)
        assert reason(send, cancelled, START + timedelta(minutes=29)) is None
        assert reason(send, cancelled, START + timedelta(minutes=30)) is StaleReason.ENDED

    def test_a_cancellation_whose_snapshot_is_not_cancelled_is_dropped(self) -> None:
        # Cancelled and revived by a move in one step: the reschedule notice tells the story.
        revived = snapshot(rescheduled_count=1)
        send = booking_send(MeetingCancelled, revived)
        assert reason(send, revived, self.NOW) is StaleReason.NOT_CANCELLED

    def test_a_confirmation_without_a_start_is_dropped(self) -> None:
        no_start = snapshot(scheduled_at=None)
        send = booking_send(MeetingBooked, no_start)
        assert reason(send, no_start, self.NOW) is StaleReason.NO_START
