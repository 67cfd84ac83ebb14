"""The Meeting aggregate: provider-driven changes, people's commands and what each implies."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from dealflow_schemas.meetings import MeetingOutcome, MeetingProvider, MeetingStatus, MeetingType
from meetings.domain.meeting import (
    RECORDABLE_OUTCOMES,
    Change,
    Happened,
    Meeting,
    MeetingClosed,
    OutcomeNotRecordable,
)

BOOKED_AT = datetime(2025, 3, 17, 9, 0, tzinfo=UTC)
NOW = datetime(2025, 3, 18, 12, 0, tzinfo=UTC)
START = datetime(2025, 3, 20, 14, 0, tzinfo=UTC)
END = START + timedelta(minutes=30)
LATER = datetime(2025, 3, 21, 10, 0, tzinfo=UTC)  # after the meeting
NEW_START = datetime(2025, 3, 25, 16, 0, tzinfo=UTC)
NEW_END = NEW_START + timedelta(minutes=45)


def meeting(**changes: Any) -> Meeting:
    """A scheduled Cal.com discovery call booked the day before NOW; keyword overrides."""
    fields: dict[str, Any] = {
        "tenant_id": "demo",
        "provider": MeetingProvider.CALCOM,
        "provider_uid": "uid-a",
        "meeting_type": MeetingType.DISCOVERY,
        "status": MeetingStatus.SCHEDULED,
        "created_at": BOOKED_AT,
        "updated_at": BOOKED_AT,
        "scheduled_at": START,
        "ends_at": END,
        "duration_minutes": 30,
        "primary_email": "jamie@acme.com",
    }
    return Meeting(**(fields | changes))


def moved(m: Meeting, uid: str, start: datetime = NEW_START, *, now: datetime = NOW) -> Happened:
    happened = m.reschedule(new_uid=uid, start=start, end=start + timedelta(minutes=45), now=now)
    assert happened is not None
    return happened


class TestReschedule:
    def test_moves_to_the_new_booking_and_keeps_the_first_time(self) -> None:
        m = meeting(reminder_sent=True, reminder_sent_at=NOW)

        happened = m.reschedule(new_uid="uid-b", start=NEW_START, end=NEW_END, now=NOW)

        assert happened == Happened(
            Change.RESCHEDULED,
            {"previous_scheduled_at": START, "previous_provider_uid": "uid-a"},
        )
        assert m.provider_uid == "uid-b"
        assert m.previous_uids == ["uid-a"]
        assert m.all_uids == ["uid-a", "uid-b"]
        assert (m.scheduled_at, m.ends_at, m.duration_minutes) == (NEW_START, NEW_END, 45)
        assert m.original_scheduled_at == START
        assert m.rescheduled_count == 1
        assert m.status is MeetingStatus.SCHEDULED
        assert (m.reminder_sent, m.reminder_sent_at) == (False, None)  # the new slot is unreminded
        assert m.updated_at == NOW

    def test_a_second_move_keeps_the_original_time_and_the_whole_chain(self) -> None:
        m = meeting()
        moved(m, "uid-b")

        happened = moved(m, "uid-c", LATER + timedelta(days=7), now=LATER)

        assert happened.details == {
            "previous_scheduled_at": NEW_START,
            "previous_provider_uid": "uid-b",
        }
        assert m.previous_uids == ["uid-a", "uid-b"]
        assert m.provider_uid == "uid-c"
        assert m.original_scheduled_at == START
        assert m.rescheduled_count == 2

    def test_the_same_move_again_changes_nothing(self) -> None:
        m = meeting()
        moved(m, "uid-b")

        again = m.reschedule(new_uid="uid-b", start=NEW_START, end=NEW_END, now=LATER)

        assert again is None
        assert m.rescheduled_count == 1
        assert m.previous_uids == ["uid-a"]
        assert m.updated_at == NOW

    def test_a_late_earlier_move_does_not_move_the_meeting_back(self) -> None:
        m = meeting()
        moved(m, "uid-b")
        moved(m, "uid-c", LATER + timedelta(days=7), now=LATER)

        late = m.reschedule(new_uid="uid-b", start=NEW_START, end=NEW_END, now=LATER)

        assert late is None
        assert m.provider_uid == "uid-c"
        assert m.scheduled_at == LATER + timedelta(days=7)
        assert m.rescheduled_count == 2

    def test_clears_the_wait_for_the_new_half(self) -> None:
        m = meeting()
        m.expect_reschedule(NOW)
        assert m.awaiting_reschedule is True
        assert m.status is MeetingStatus.SCHEDULED

        moved(m, "uid-b", now=LATER)

        assert m.awaiting_reschedule is False

    def test_revives_a_meeting_cancelled_for_a_reschedule(self) -> None:
        m = meeting()
        m.cancel(reason="host asked to reschedule", by="alex@dealflow.dev", now=NOW)
        assert m.meeting_outcome is MeetingOutcome.CANCELLED

        moved(m, "uid-b", now=LATER)

        assert m.status is MeetingStatus.SCHEDULED
        assert (m.cancelled_at, m.cancellation_reason, m.cancelled_by) == (None, None, None)
        assert m.meeting_outcome is MeetingOutcome.PENDING
        assert m.provider_uid == "uid-b"

    def test_revival_keeps_a_verdict_that_was_not_the_cancellation(self) -> None:
        m = meeting(meeting_outcome=MeetingOutcome.NO_SHOW, showed_up=False)
        m.cancel(reason=None, by=None, now=NOW)
        assert m.meeting_outcome is MeetingOutcome.NO_SHOW

        moved(m, "uid-b", now=LATER)

        assert m.status is MeetingStatus.SCHEDULED
        assert m.meeting_outcome is MeetingOutcome.NO_SHOW

    def test_a_manual_meeting_without_uid_records_no_empty_previous_uid(self) -> None:
        m = meeting(provider=MeetingProvider.MANUAL, provider_uid=None)

        moved(m, "uid-b")

        assert m.previous_uids == []
        assert m.all_uids == ["uid-b"]

    def test_a_no_show_moved_to_a_new_slot_is_open_again(self) -> None:
        m = meeting(
            status=MeetingStatus.COMPLETED,
            showed_up=False,
            attendance_confirmed_by="calcom",
            meeting_outcome=MeetingOutcome.NO_SHOW,
        )
        moved(m, "uid-b", now=LATER)
        assert m.status is MeetingStatus.SCHEDULED
        assert m.showed_up is None
        assert m.attendance_confirmed_by is None
        assert m.meeting_outcome is MeetingOutcome.RESCHEDULED


class TestCancel:
    def test_cancels_with_reason_and_who(self) -> None:
        m = meeting()

        happened = m.cancel(reason="No longer needed", by="jamie@acme.com", now=NOW)

        assert happened == Happened(Change.CANCELLED, {"reason": "No longer needed"})
        assert m.status is MeetingStatus.CANCELLED
        assert m.cancellation_reason == "No longer needed"
        assert m.cancelled_by == "jamie@acme.com"
        assert m.cancelled_at == NOW
        assert m.meeting_outcome is MeetingOutcome.CANCELLED
        assert m.updated_at == NOW

    def test_a_second_cancellation_changes_nothing(self) -> None:
        m = meeting()
        m.cancel(reason="first", by=None, now=NOW)

        assert m.cancel(reason="second", by="x@acme.com", now=LATER) is None
        assert (m.cancellation_reason, m.cancelled_by, m.cancelled_at) == ("first", None, NOW)

    def test_keeps_a_verdict_already_recorded(self) -> None:
        m = meeting(meeting_outcome=MeetingOutcome.BAD)

        m.cancel(reason=None, by=None, now=NOW)

        assert m.status is MeetingStatus.CANCELLED
        assert m.meeting_outcome is MeetingOutcome.BAD


class TestMarkEnded:
    def test_completed_and_attended_by_the_provider(self) -> None:
        m = meeting()

        assert m.mark_ended(LATER) == Happened(Change.ATTENDED)

        assert m.status is MeetingStatus.COMPLETED
        assert (m.showed_up, m.showed_up_at) == (True, LATER)
        assert m.attendance_confirmed_by == "provider"

    def test_a_no_show_already_marked_stands(self) -> None:
        m = meeting()
        m.set_provider_no_show(True, source="calcom", now=NOW)

        assert m.mark_ended(LATER) is None

        assert m.status is MeetingStatus.COMPLETED
        assert m.showed_up is False
        assert m.attendance_confirmed_by == "calcom"
        assert m.meeting_outcome is MeetingOutcome.NO_SHOW

    def test_attendance_recorded_by_a_person_stands(self) -> None:
        m = meeting(showed_up=True, showed_up_at=NOW, attendance_confirmed_by="rep@dealflow.dev")

        assert m.mark_ended(LATER) is None

        assert m.status is MeetingStatus.COMPLETED
        assert (m.showed_up_at, m.attendance_confirmed_by) == (NOW, "rep@dealflow.dev")

    def test_a_cancelled_meeting_does_not_end(self) -> None:
        m = meeting()
        m.cancel(reason=None, by=None, now=NOW)

        assert m.mark_ended(LATER) is None

        assert m.status is MeetingStatus.CANCELLED
        assert m.showed_up is None

    def test_ending_twice_reports_attendance_once(self) -> None:
        m = meeting()
        m.mark_ended(LATER)

        assert m.mark_ended(LATER + timedelta(minutes=5)) is None
        assert m.showed_up_at == LATER


class TestProviderNoShow:
    def test_mark_records_the_source_and_the_verdict(self) -> None:
        m = meeting(no_show_reason="stale")

        assert m.set_provider_no_show(True, source="calendly", now=LATER) == Happened(
            Change.NO_SHOW
        )

        assert (m.showed_up, m.showed_up_at) == (False, None)
        assert m.attendance_confirmed_by == "calendly"
        assert m.no_show_reason is None
        assert m.meeting_outcome is MeetingOutcome.NO_SHOW
        assert m.status is MeetingStatus.SCHEDULED  # the provider says nothing about the end
        assert m.updated_at == LATER

    @pytest.mark.parametrize(
        ("before", "after"),
        [
            (MeetingOutcome.PENDING, MeetingOutcome.NO_SHOW),
            (MeetingOutcome.GOOD, MeetingOutcome.NO_SHOW),
            (MeetingOutcome.BAD, MeetingOutcome.NO_SHOW),
            (MeetingOutcome.RESCHEDULED, MeetingOutcome.RESCHEDULED),
        ],
    )
    def test_mark_replaces_verdicts_that_imply_attendance(
        self, before: MeetingOutcome, after: MeetingOutcome
    ) -> None:
        m = meeting(meeting_outcome=before)

        m.set_provider_no_show(True, source="calcom", now=LATER)

        assert m.meeting_outcome is after

    def test_mark_overrides_attendance_from_the_end_of_the_meeting(self) -> None:
        m = meeting()
        m.mark_ended(LATER)

        assert m.set_provider_no_show(True, source="calcom", now=LATER) == Happened(Change.NO_SHOW)
        assert (m.showed_up, m.attendance_confirmed_by) == (False, "calcom")

    def test_marking_twice_reports_once(self) -> None:
        m = meeting()
        m.set_provider_no_show(True, source="calcom", now=NOW)

        assert m.set_provider_no_show(True, source="calcom", now=LATER) is None
        assert m.showed_up is False

    @pytest.mark.parametrize("unmark", [None, False])
    def test_unmark_makes_attendance_unknown_again(self, unmark: bool | None) -> None:
        m = meeting()
        m.set_provider_no_show(True, source="calcom", now=NOW)

        assert m.set_provider_no_show(unmark, source="calcom", now=LATER) is None

        assert (m.showed_up, m.attendance_confirmed_by) == (None, None)
        assert m.meeting_outcome is MeetingOutcome.PENDING

    def test_unmark_from_the_provider_leaves_a_person_s_no_show(self) -> None:
        m = meeting()
        m.record_attendance(
            showed_up=False, confirmed_by="rep@dealflow.dev", no_show_reason="ghosted", now=NOW
        )

        m.set_provider_no_show(False, source="calcom", now=LATER)

        assert m.showed_up is False
        assert m.attendance_confirmed_by == "rep@dealflow.dev"
        assert m.no_show_reason == "ghosted"
        assert m.meeting_outcome is MeetingOutcome.NO_SHOW

    def test_unmark_without_a_mark_changes_nothing(self) -> None:
        m = meeting(showed_up=True, attendance_confirmed_by="provider")

        assert m.set_provider_no_show(False, source="calcom", now=LATER) is None
        assert (m.showed_up, m.attendance_confirmed_by) == (True, "provider")


class TestConfirm:
    def test_confirms_once(self) -> None:
        m = meeting()

        assert m.confirm(NOW) == Happened(Change.CONFIRMED)
        assert m.confirm(LATER) is None

        assert (m.confirmed, m.confirmed_at, m.updated_at) == (True, NOW, NOW)


class TestAttendance:
    def test_attended_after_the_start_completes_the_meeting(self) -> None:
        m = meeting(no_show_reason="stale")

        happened = m.record_attendance(
            showed_up=True, confirmed_by="rep@dealflow.dev", no_show_reason="ignored", now=LATER
        )

        assert happened == Happened(Change.ATTENDED)
        assert (m.showed_up, m.showed_up_at) == (True, LATER)
        assert m.attendance_confirmed_by == "rep@dealflow.dev"
        assert m.no_show_reason is None
        assert m.status is MeetingStatus.COMPLETED
        assert m.meeting_outcome is MeetingOutcome.PENDING

    def test_attended_before_the_start_leaves_it_scheduled(self) -> None:
        m = meeting()

        m.record_attendance(showed_up=True, confirmed_by=None, no_show_reason=None, now=NOW)

        assert m.showed_up is True
        assert m.status is MeetingStatus.SCHEDULED

    def test_no_show_keeps_the_reason_and_sets_the_verdict(self) -> None:
        m = meeting()

        happened = m.record_attendance(
            showed_up=False, confirmed_by="rep@dealflow.dev", no_show_reason="ghosted", now=LATER
        )

        assert happened == Happened(Change.NO_SHOW)
        assert (m.showed_up, m.showed_up_at) == (False, None)
        assert m.no_show_reason == "ghosted"
        assert m.attendance_confirmed_by == "rep@dealflow.dev"
        assert m.meeting_outcome is MeetingOutcome.NO_SHOW

    def test_no_show_replaces_a_good_verdict(self) -> None:
        m = meeting()
        m.record_outcome(MeetingOutcome.GOOD, notes=None, next_steps=None, now=LATER)

        m.record_attendance(showed_up=False, confirmed_by=None, no_show_reason=None, now=LATER)

        assert m.showed_up is False
        assert m.meeting_outcome is MeetingOutcome.NO_SHOW

    def test_correcting_a_no_show_reopens_the_verdict(self) -> None:
        m = meeting()
        m.record_attendance(showed_up=False, confirmed_by=None, no_show_reason="late", now=LATER)

        m.record_attendance(
            showed_up=True, confirmed_by="rep@dealflow.dev", no_show_reason=None, now=LATER
        )

        assert m.showed_up is True
        assert m.no_show_reason is None
        assert m.meeting_outcome is MeetingOutcome.PENDING


class TestOutcome:
    @pytest.mark.parametrize("outcome", [MeetingOutcome.GOOD, MeetingOutcome.BAD])
    def test_good_or_bad_means_the_attendee_came(self, outcome: MeetingOutcome) -> None:
        m = meeting(no_show_reason="stale")

        happened = m.record_outcome(outcome, notes="Keen", next_steps="Send pricing", now=LATER)

        assert happened == Happened(Change.OUTCOME_RECORDED, {"outcome": outcome})
        assert m.meeting_outcome is outcome
        assert (m.showed_up, m.showed_up_at) == (True, LATER)
        assert m.attendance_confirmed_by == "outcome"
        assert m.no_show_reason is None
        assert m.status is MeetingStatus.COMPLETED
        assert (m.notes, m.next_steps) == ("Keen", "Send pricing")

    def test_good_keeps_who_confirmed_attendance_already(self) -> None:
        m = meeting()
        m.record_attendance(
            showed_up=True, confirmed_by="rep@dealflow.dev", no_show_reason=None, now=LATER
        )

        m.record_outcome(
            MeetingOutcome.GOOD, notes=None, next_steps=None, now=LATER + timedelta(hours=1)
        )

        assert (m.showed_up_at, m.attendance_confirmed_by) == (LATER, "rep@dealflow.dev")

    def test_good_after_a_provider_no_show_is_attributed_to_the_outcome(self) -> None:
        m = meeting()
        m.set_provider_no_show(True, source="calcom", now=LATER)

        m.record_outcome(MeetingOutcome.GOOD, notes=None, next_steps=None, now=LATER)

        assert (m.showed_up, m.attendance_confirmed_by) == (True, "outcome")

    def test_no_show_means_the_attendee_did_not_come(self) -> None:
        m = meeting()

        m.record_outcome(MeetingOutcome.NO_SHOW, notes=None, next_steps=None, now=LATER)

        assert (m.showed_up, m.showed_up_at) == (False, None)
        assert m.attendance_confirmed_by == "outcome"
        assert m.status is MeetingStatus.COMPLETED
        assert m.meeting_outcome is MeetingOutcome.NO_SHOW

    def test_no_show_over_provider_attendance_is_attributed_to_the_outcome(self) -> None:
        m = meeting()
        m.mark_ended(LATER)

        m.record_outcome(MeetingOutcome.NO_SHOW, notes=None, next_steps=None, now=LATER)

        assert (m.showed_up, m.showed_up_at) == (False, None)
        assert m.attendance_confirmed_by == "outcome"

    def test_no_show_confirming_a_provider_mark_keeps_its_source(self) -> None:
        m = meeting()
        m.set_provider_no_show(True, source="calendly", now=LATER)

        m.record_outcome(MeetingOutcome.NO_SHOW, notes=None, next_steps=None, now=LATER)

        assert (m.showed_up, m.attendance_confirmed_by) == (False, "calendly")

    def test_rescheduled_counts_and_leaves_attendance_alone(self) -> None:
        m = meeting(rescheduled_count=1)

        m.record_outcome(MeetingOutcome.RESCHEDULED, notes=None, next_steps=None, now=NOW)

        assert m.rescheduled_count == 2
        assert m.showed_up is None
        assert m.status is MeetingStatus.SCHEDULED
        assert m.meeting_outcome is MeetingOutcome.RESCHEDULED

    def test_missing_notes_keep_the_previous_ones(self) -> None:
        m = meeting(notes="First call", next_steps="Demo")

        m.record_outcome(MeetingOutcome.BAD, notes=None, next_steps=None, now=LATER)

        assert (m.notes, m.next_steps) == ("First call", "Demo")

    def test_cancelled_cannot_be_recorded(self) -> None:
        m = meeting()

        with pytest.raises(OutcomeNotRecordable, match="allowed: good, bad, rescheduled"):
            m.record_outcome(MeetingOutcome.CANCELLED, notes=None, next_steps=None, now=NOW)

        assert m.meeting_outcome is MeetingOutcome.PENDING
        assert m.status is MeetingStatus.SCHEDULED

    def test_every_outcome_but_cancelled_is_recordable(self) -> None:
        assert set(RECORDABLE_OUTCOMES) == set(MeetingOutcome) - {MeetingOutcome.CANCELLED}


COMMANDS: dict[str, Callable[[Meeting], object]] = {
    "confirm": lambda m: m.confirm(LATER),
    "attendance": lambda m: m.record_attendance(
        showed_up=True, confirmed_by=None, no_show_reason=None, now=LATER
    ),
    "outcome": lambda m: m.record_outcome(
        MeetingOutcome.GOOD, notes="x", next_steps=None, now=LATER
    ),
}


class TestClosedMeetings:
    @pytest.mark.parametrize("command", COMMANDS.values(), ids=COMMANDS.keys())
    def test_commands_on_a_cancelled_meeting_are_refused(
        self, command: Callable[[Meeting], object]
    ) -> None:
        m = meeting()
        m.cancel(reason="gone", by=None, now=NOW)

        with pytest.raises(MeetingClosed, match="cancelled"):
            command(m)

        assert m.status is MeetingStatus.CANCELLED
        assert (m.confirmed, m.showed_up, m.notes) == (False, None, None)
        assert m.meeting_outcome is MeetingOutcome.CANCELLED
        assert m.updated_at == NOW

    @pytest.mark.parametrize("command", COMMANDS.values(), ids=COMMANDS.keys())
    def test_commands_on_a_deleted_meeting_are_refused(
        self, command: Callable[[Meeting], object]
    ) -> None:
        m = meeting()
        m.soft_delete(NOW)

        with pytest.raises(MeetingClosed, match="deleted"):
            command(m)

        assert (m.confirmed, m.showed_up, m.notes) == (False, None, None)

    def test_soft_delete_stamps_the_time_and_keeps_the_rest(self) -> None:
        m = meeting()

        m.soft_delete(NOW)

        assert (m.deleted_at, m.updated_at) == (NOW, NOW)
        assert m.status is MeetingStatus.SCHEDULED


class TestNotified:
    def test_keeps_the_latest_send_whatever_the_order_read(self) -> None:
        m = meeting()
        earlier, later = NOW - timedelta(hours=1), NOW

        assert m.notified(later, now=NOW) is True
        assert m.notified(earlier, now=LATER) is False  # an older send read late
        assert (m.notification_sent_at, m.updated_at) == (later, NOW)

    def test_a_later_send_moves_it_on(self) -> None:
        m = meeting(notification_sent_at=NOW - timedelta(days=1))

        assert m.notified(NOW, now=LATER) is True
        assert (m.notification_sent_at, m.updated_at) == (NOW, LATER)
