"""The .ics a booking email carries, parsed back with the icalendar library."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

from dealflow_schemas.meetings import MeetingSnapshot, MeetingStatus
from dealflow_schemas.notifications import NotificationKind
from notifications.domain.calendar import Invite, invite_for

from .factories import BOOKED_AT, MEETING_ID, START, snapshot

RECIPIENTS = ("jane@prospect.io",)


def invite(
    kind: NotificationKind, meeting: MeetingSnapshot, *, recipients: tuple[str, ...] = RECIPIENTS
) -> Invite:
    """The invite, stamped with the meeting's last change as the service does."""
    made = invite_for(
        kind,
        meeting,
        recipients=recipients,
        organizer_fallback="team@revenueengineer.com",
        stamp=meeting.updated_at,
    )
    assert made is not None
    return made


def parsed(made: Invite) -> tuple[Calendar, Event]:
    calendar = Calendar.from_ical(made.content)
    events = calendar.walk("VEVENT")
    assert len(events) == 1
    return calendar, events[0]


BOOKED = snapshot()
MOVED_AT = BOOKED_AT + timedelta(days=2)
MOVED = snapshot(
    scheduled_at=START + timedelta(days=1),
    rescheduled_count=1,
    provider_uid="calcom-uid-2",
    previous_provider_uids=["calcom-uid-1"],
    updated_at=MOVED_AT,
)
CANCELLED = snapshot(
    scheduled_at=START + timedelta(days=1),
    rescheduled_count=1,
    provider_uid="calcom-uid-2",
    status=MeetingStatus.CANCELLED,
    updated_at=MOVED_AT + timedelta(hours=1),
)


class TestLifeOfAMeeting:
    def test_book_reschedule_cancel_keeps_the_uid_and_raises_the_sequence(self) -> None:
        history = [
            parsed(invite(NotificationKind.CONFIRMATION, BOOKED)),
            parsed(invite(NotificationKind.RESCHEDULE, MOVED)),
            parsed(invite(NotificationKind.CANCELLATION, CANCELLED)),
        ]
        methods = [str(calendar["METHOD"]) for calendar, _ in history]
        uids = {str(event["UID"]) for _, event in history}
        sequences = [int(event["SEQUENCE"]) for _, event in history]
        assert methods == ["REQUEST", "REQUEST", "CANCEL"]
        assert uids == {f"{MEETING_ID}@dealflow"}
        assert sequences == sorted(set(sequences))
        assert sequences[0] == 0

    def test_the_cancel_is_marked_cancelled_and_the_requests_confirmed(self) -> None:
        _, booked = parsed(invite(NotificationKind.CONFIRMATION, BOOKED))
        _, cancelled = parsed(invite(NotificationKind.CANCELLATION, CANCELLED))
        assert str(booked["STATUS"]) == "CONFIRMED"
        assert str(cancelled["STATUS"]) == "CANCELLED"

    def test_the_reschedule_carries_the_new_time(self) -> None:
        _, moved = parsed(invite(NotificationKind.RESCHEDULE, MOVED))
        assert moved.decoded("DTSTART") == START + timedelta(days=1)


class TestContent:
    def test_times_are_utc_and_the_stamp_is_the_change(self) -> None:
        berlin_start = START.astimezone(ZoneInfo("Europe/Berlin"))
        made = invite(NotificationKind.CONFIRMATION, snapshot(scheduled_at=berlin_start))
        _, event = parsed(made)
        assert b"DTSTART:20251209T090000Z" in made.content
        assert b"DTEND:20251209T093000Z" in made.content
        assert event.decoded("DTSTAMP") == BOOKED_AT
        assert event.decoded("DTSTART").tzinfo is not None

    def test_organizer_attendees_summary_location_url(self) -> None:
        meeting = snapshot(location="Room 4, Berlin office")
        _, event = parsed(
            invite(
                NotificationKind.CONFIRMATION,
                meeting,
                recipients=("jane@prospect.io", "bob@prospect.io"),
            )
        )
        organizer = event["ORGANIZER"]
        assert str(organizer) == "mailto:ben@revenueengineer.com"
        assert organizer.params["CN"] == "Ben Crane"
        attendees = event["ATTENDEE"]
        assert [str(a) for a in attendees] == ["mailto:jane@prospect.io", "mailto:bob@prospect.io"]
        assert attendees[0].params["CN"] == "Jane Doe"
        assert attendees[0].params["RSVP"] == "TRUE"
        assert str(event["SUMMARY"]) == "Diagnostic call"
        assert str(event["LOCATION"]) == "Room 4, Berlin office"
        assert str(event["URL"]) == "https://meet.example.com/abc-defg-hij"

    def test_the_join_link_is_the_location_when_there_is_no_place(self) -> None:
        _, event = parsed(invite(NotificationKind.CONFIRMATION, BOOKED))
        assert str(event["LOCATION"]) == "https://meet.example.com/abc-defg-hij"

    def test_without_an_organizer_email_the_sender_organizes(self) -> None:
        _, event = parsed(invite(NotificationKind.CONFIRMATION, snapshot(organizer=None)))
        assert str(event["ORGANIZER"]) == "mailto:team@revenueengineer.com"

    def test_the_end_falls_back_to_the_duration(self) -> None:
        _, event = parsed(
            invite(NotificationKind.CONFIRMATION, snapshot(ends_at=None, duration_minutes=45))
        )
        assert event.decoded("DTEND") == START + timedelta(minutes=45)

    def test_the_content_type_names_the_method(self) -> None:
        assert invite(NotificationKind.CANCELLATION, CANCELLED).content_type == (
            "text/calendar; method=CANCEL; charset=UTF-8"
        )

    def test_rendering_again_gives_the_same_bytes(self) -> None:
        # A retry re-sends the same body under the same Idempotency-Key.
        first = invite(NotificationKind.CONFIRMATION, BOOKED)
        assert invite(NotificationKind.CONFIRMATION, BOOKED) == first


class TestNoInvite:
    def test_reminders_carry_none(self) -> None:
        assert (
            invite_for(
                NotificationKind.REMINDER,
                BOOKED,
                recipients=RECIPIENTS,
                organizer_fallback="team@x.com",
                stamp=datetime.now(UTC),
            )
            is None
        )

    def test_a_meeting_without_a_start_gets_none(self) -> None:
        assert (
            invite_for(
                NotificationKind.CONFIRMATION,
                snapshot(scheduled_at=None),
                recipients=RECIPIENTS,
                organizer_fallback="team@x.com",
                stamp=BOOKED_AT,
            )
            is None
        )


class TestWriting:
    """What the hand-written content lines must survive: escaping, quoting, folding."""

    def test_text_and_names_with_separators_come_back_as_written(self) -> None:
        title = 'Intro; pricing, "scope"\\next steps\nand a second line'
        meeting = snapshot(title=title, location="Room 4; floor 2, Berlin")
        organizer = meeting.organizer
        assert organizer is not None
        meeting = meeting.model_copy(
            update={"organizer": organizer.model_copy(update={"name": 'Crane, Ben "B"; Jr'})}
        )
        _, event = parsed(invite(NotificationKind.CONFIRMATION, meeting))
        assert str(event["SUMMARY"]) == title
        assert str(event["LOCATION"]) == "Room 4; floor 2, Berlin"
        assert event["ORGANIZER"].params["CN"] == "Crane, Ben B; Jr"  # a quote cannot stay

    def test_long_lines_are_folded_at_75_octets_without_splitting_a_character(self) -> None:
        title = "Diagnostic call with Zoë Ångström — " * 6
        made = invite(NotificationKind.CONFIRMATION, snapshot(title=title))
        for line in made.content.split(b"\r\n"):
            assert len(line) <= 75
            line.decode()  # each physical line is whole UTF-8
        _, event = parsed(made)
        assert str(event["SUMMARY"]) == title

    def test_control_characters_do_not_reach_the_file(self) -> None:
        made = invite(NotificationKind.CONFIRMATION, snapshot(title="Call\x00\x07 now"))
        assert b"\x00" not in made.content
        assert b"\x07" not in made.content
        _, event = parsed(made)
        assert str(event["SUMMARY"]) == "Call now"
