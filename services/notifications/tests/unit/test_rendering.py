"""Email content: times in the recipient's zone across DST changes, templates, escaping."""

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from dealflow_schemas.meetings import MeetingSnapshot, MeetingStatus
from dealflow_schemas.notifications import NotificationKind
from notifications.domain.rendering import MailInput, ManageLinks, render_email, starts_in
from notifications.domain.templates import RenderedEmail
from notifications.domain.zones import describe

from .factories import START, snapshot

BERLIN, TOKYO = ZoneInfo("Europe/Berlin"), ZoneInfo("Asia/Tokyo")


def at(start: datetime, **changes: object) -> MeetingSnapshot:
    return snapshot(scheduled_at=start, **changes)


def render(
    meeting: MeetingSnapshot,
    kind: NotificationKind = NotificationKind.CONFIRMATION,
    *,
    recipient: str | None = "jane@prospect.io",
    offset_minutes: int | None = None,
    previous_start: datetime | None = None,
    links: ManageLinks = ManageLinks(),
) -> RenderedEmail:
    return render_email(
        MailInput(kind, meeting, recipient, offset_minutes, previous_start, links=links)
    )


def attendee(zone: str | None, email: str = "jane@prospect.io") -> dict[str, object]:
    return {"email": email, "name": "Jane Doe", "time_zone": zone}


class TestAcrossDaylightSavingTime:
    # Berlin leaves summer time on Sunday 26 October 2025 at 03:00 CEST.
    def test_the_same_utc_hour_reads_an_hour_apart_either_side_of_the_change(self) -> None:
        friday = render(at(datetime(2025, 10, 24, 8, 0, tzinfo=UTC)))
        monday = render(at(datetime(2025, 10, 27, 8, 0, tzinfo=UTC)))
        assert "Fri 24 Oct 2025, 10:00\u201310:30 CEST (Europe/Berlin)" in friday.text
        assert "Mon 27 Oct 2025, 09:00\u201309:30 CET (Europe/Berlin)" in monday.text
        assert (
            monday.subject == "Confirmed: Diagnostic call · Mon 27 Oct 2025, 09:00 (Europe/Berlin)"
        )

    def test_a_reminder_sent_in_summer_time_names_the_winter_time_meeting(self) -> None:
        # The 72 h reminder goes out on Friday (CEST) for Monday's meeting (CET).
        meeting = at(datetime(2025, 10, 27, 8, 0, tzinfo=UTC), created_at=START - timedelta(30))
        email = render(meeting, NotificationKind.REMINDER, offset_minutes=72 * 60)
        assert email.subject == (
            "Coming up in 3 days: Diagnostic call · Mon 27 Oct 2025, 09:00 (Europe/Berlin)"
        )
        assert "09:00\u201309:30 CET" in email.text
        assert "CEST" not in email.text

    def test_spring_forward(self) -> None:
        # Berlin enters summer time on Sunday 29 March 2026.
        saturday = render(at(datetime(2026, 3, 28, 9, 0, tzinfo=UTC)))
        monday = render(at(datetime(2026, 3, 30, 9, 0, tzinfo=UTC)))
        assert "Sat 28 Mar 2026, 10:00\u201310:30 CET" in saturday.text
        assert "Mon 30 Mar 2026, 11:00\u201311:30 CEST" in monday.text

    def test_the_week_berlin_and_new_york_are_five_hours_apart(self) -> None:
        # Berlin changed on 26 October, New York only on 2 November.
        meeting = at(
            datetime(2025, 10, 28, 14, 0, tzinfo=UTC),
            attendees=[attendee("Europe/Berlin"), attendee("America/New_York", "bob@x.com")],
        )
        assert "15:00\u201315:30 CET (Europe/Berlin)" in render(meeting).text
        assert (
            "10:00\u201310:30 EDT (America/New_York)" in render(meeting, recipient="bob@x.com").text
        )

    def test_a_meeting_during_the_change_names_both_abbreviations(self) -> None:
        # 00:30-01:30 UTC on 26 October: 02:30 CEST, then clocks go back, ends 02:30 CET.
        text = describe(
            datetime(2025, 10, 26, 0, 30, tzinfo=UTC),
            datetime(2025, 10, 26, 1, 30, tzinfo=UTC),
            BERLIN,
        ).text
        assert text == "Sun 26 Oct 2025, 02:30 CEST \u2013 02:30 CET (Europe/Berlin)"


class TestZones:
    def test_a_late_utc_meeting_is_the_next_day_in_asia(self) -> None:
        meeting = at(datetime(2025, 12, 9, 23, 30, tzinfo=UTC), attendees=[attendee("Asia/Tokyo")])
        email = render(meeting)
        assert email.subject == "Confirmed: Diagnostic call · Wed 10 Dec 2025, 08:30 (Asia/Tokyo)"
        assert "Wed 10 Dec 2025, 08:30\u201309:00 JST (Asia/Tokyo)" in email.text

    def test_a_meeting_over_midnight_names_the_end_date(self) -> None:
        meeting = at(datetime(2025, 12, 9, 23, 30, tzinfo=UTC), attendees=[attendee("UTC")])
        assert "Tue 9 Dec 2025, 23:30 \u2013 Wed 10 Dec 2025, 00:00 UTC" in render(meeting).text

    def test_the_primary_attendee_without_a_zone_gets_the_bookings_zone(self) -> None:
        meeting = snapshot(attendees=[attendee(None)], time_zone="Asia/Tokyo")
        assert "18:00\u201318:30 JST (Asia/Tokyo)" in render(meeting).text

    def test_a_guest_without_a_zone_gets_the_organizers(self) -> None:
        meeting = snapshot(attendees=[attendee("Asia/Tokyo"), attendee(None, "guest@x.com")])
        email = render(meeting, recipient="guest@x.com")
        assert "04:00\u201304:30 EST (America/New_York)" in email.text

    @pytest.mark.parametrize("unknown", [None, "Mars/Olympus_Mons", "../../etc/passwd"])
    def test_no_known_zone_at_all_gives_utc(self, unknown: str | None) -> None:
        meeting = snapshot(
            attendees=[attendee(unknown)],
            time_zone=unknown,
            organizer={"email": "ben@revenueengineer.com", "name": "Ben", "time_zone": unknown},
        )
        email = render(meeting)
        assert "Tue 9 Dec 2025, 09:00\u201309:30 UTC" in email.text
        assert email.subject.endswith("09:00 (UTC)")


class TestReminderWording:
    @pytest.mark.parametrize(
        ("offset", "subject"),
        [
            (
                72 * 60,
                "Coming up in 3 days: Diagnostic call · Tue 9 Dec 2025, 10:00 (Europe/Berlin)",
            ),
            (
                24 * 60,
                "Reminder: Diagnostic call in 24 hours · Tue 9 Dec 2025, 10:00 (Europe/Berlin)",
            ),
            (2 * 60, "Starting in 2 hours: Diagnostic call at 10:00 (Europe/Berlin)"),
        ],
    )
    def test_the_subject_follows_the_offset(self, offset: int, subject: str) -> None:
        assert render(snapshot(), NotificationKind.REMINDER, offset_minutes=offset).subject == (
            subject
        )

    def test_every_reminder_carries_the_join_link(self) -> None:
        for offset in (72 * 60, 24 * 60, 120):
            email = render(snapshot(), NotificationKind.REMINDER, offset_minutes=offset)
            assert "Join: https://meet.example.com/abc-defg-hij" in email.text
            assert 'href="https://meet.example.com/abc-defg-hij"' in email.html

    @pytest.mark.parametrize(
        ("minutes", "label"),
        [
            (4320, "in 3 days"),
            (2880, "in 2 days"),
            (1440, "in 24 hours"),
            (2160, "in 36 hours"),
            (120, "in 2 hours"),
            (60, "in 1 hour"),
            (90, "in 90 minutes"),
            (1, "in 1 minute"),
        ],
    )
    def test_starts_in(self, minutes: int, label: str) -> None:
        assert starts_in(minutes) == label


class TestContent:
    def test_the_confirmation_greets_names_the_organizer_and_links_the_call(self) -> None:
        email = render(snapshot())
        assert email.text.startswith("Hi Jane,\n")
        assert "Your Diagnostic call with Ben Crane is booked." in email.text
        assert "Reply to this email to reach Ben Crane." in email.text

    def test_a_reschedule_says_when_it_was(self) -> None:
        moved = at(START + timedelta(days=1), rescheduled_count=1)
        email = render(moved, NotificationKind.RESCHEDULE, previous_start=START)
        assert "When: Wed 10 Dec 2025, 10:00\u201310:30 CET (Europe/Berlin)" in email.text
        assert "Was: Tue 9 Dec 2025, 10:00 CET (Europe/Berlin)" in email.text

    def test_a_cancellation_gives_the_reason_and_no_join_link(self) -> None:
        cancelled = snapshot(status=MeetingStatus.CANCELLED, cancellation_reason="Double-booked")
        email = render(cancelled, NotificationKind.CANCELLATION)
        assert email.subject.startswith("Cancelled: Diagnostic call")
        assert "Reason: Double-booked" in email.text
        assert "meet.example.com" not in email.text + email.html

    def test_manage_links_appear_only_when_given(self) -> None:
        plain = render(snapshot())
        assert "another time" not in plain.text
        links = ManageLinks(
            "https://cal.com/reschedule/u1", "https://cal.com/booking/u1?cancel=true"
        )
        linked = render(snapshot(), links=links)
        assert "Need another time?: https://cal.com/reschedule/u1" in linked.text
        assert '<a href="https://cal.com/booking/u1?cancel=true">' in linked.html

    def test_a_place_and_a_link_are_both_shown(self) -> None:
        email = render(snapshot(location="Room 4"))
        assert "Where: Room 4\nJoin: https://meet.example.com/abc-defg-hij" in email.text

    def test_values_are_escaped_in_html_only(self) -> None:
        title = '<script>alert("x")</script> & Co'
        email = render(snapshot(title=title))
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co" in email.html
        assert "<script>" not in email.html
        assert title in email.text
        assert title in email.subject

    def test_only_web_links_are_offered(self) -> None:
        email = render(snapshot(meeting_url="javascript:alert(1)"))
        assert "javascript" not in email.html + email.text

    def test_a_line_break_in_a_value_cannot_break_the_subject(self) -> None:
        email = render(snapshot(title="Call\r\nBcc: victim@example.com"))
        assert "\n" not in email.subject
        assert "\r" not in email.subject

    def test_no_placeholder_is_left_unfilled_in_any_default(self) -> None:
        cases = [
            (NotificationKind.CONFIRMATION, snapshot(), None),
            (NotificationKind.RESCHEDULE, snapshot(rescheduled_count=1), None),
            (NotificationKind.CANCELLATION, snapshot(status=MeetingStatus.CANCELLED), None),
            *[(NotificationKind.REMINDER, snapshot(), o) for o in (4320, 1440, 120)],
        ]
        for kind, meeting, offset in cases:
            email = render(meeting, kind, offset_minutes=offset)
            for part in (email.subject, email.html, email.text):
                assert not re.search(r"\{[a-z_]+\}", part), (kind, offset, part)

    def test_rendering_is_deterministic(self) -> None:
        assert render(snapshot()) == render(snapshot())
