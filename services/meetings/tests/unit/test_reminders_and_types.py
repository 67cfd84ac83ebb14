"""Reminder planning, meeting types from event types, tenant settings and show-rate figures."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from dealflow_schemas.meetings import MeetingProvider, MeetingStatus, MeetingType
from meetings.domain.analytics import AttendanceRow, show_rate
from meetings.domain.meeting import Meeting
from meetings.domain.reminders import MIN_LEAD, planned_reminders
from meetings.domain.settings import DEFAULT_REMINDER_OFFSETS, MeetingSettings, meeting_type_for

START = datetime(2025, 3, 20, 14, 0, tzinfo=UTC)
BOOKED_AT = START - timedelta(days=5)
H = 60  # minutes in an hour
DAY = 24 * H


def meeting(**changes: Any) -> Meeting:
    """A scheduled meeting at START, booked five days ahead; keyword overrides."""
    fields: dict[str, Any] = {
        "tenant_id": "demo",
        "provider": MeetingProvider.CALCOM,
        "provider_uid": "uid-a",
        "meeting_type": MeetingType.DISCOVERY,
        "status": MeetingStatus.SCHEDULED,
        "created_at": BOOKED_AT,
        "updated_at": BOOKED_AT,
        "scheduled_at": START,
        "ends_at": START + timedelta(minutes=30),
    }
    return Meeting(**(fields | changes))


def before_start(**delta: float) -> datetime:
    return START - timedelta(**delta)


def kind(
    settings: MeetingSettings | None = None,
    *,
    slug: str | None = None,
    name: str | None = None,
    title: str | None = None,
) -> MeetingType:
    return meeting_type_for(settings or MeetingSettings(), slug=slug, name=name, title=title)


class TestPlannedReminders:
    def test_default_is_one_reminder_a_day_before(self) -> None:
        assert DEFAULT_REMINDER_OFFSETS == (DAY,)

        planned = planned_reminders(
            meeting(), MeetingSettings().reminder_offsets_minutes, BOOKED_AT
        )

        assert planned == [(DAY, before_start(hours=24))]

    def test_several_offsets_earliest_first_without_duplicates(self) -> None:
        offsets = (2 * H, 3 * DAY, DAY, 2 * H)

        planned = planned_reminders(meeting(), offsets, BOOKED_AT)

        assert planned == [
            (3 * DAY, before_start(hours=72)),
            (DAY, before_start(hours=24)),
            (2 * H, before_start(hours=2)),
        ]

    def test_offsets_already_past_are_skipped(self) -> None:
        planned = planned_reminders(meeting(), (3 * DAY, DAY, 2 * H), before_start(hours=30))

        assert planned == [(DAY, before_start(hours=24)), (2 * H, before_start(hours=2))]

    def test_a_reminder_due_right_now_is_past(self) -> None:
        planned = planned_reminders(meeting(), (DAY, 2 * H), before_start(hours=24))

        assert planned == [(2 * H, before_start(hours=2))]

    def test_a_meeting_booked_less_than_two_hours_ahead_gets_none(self) -> None:
        booked = before_start(minutes=119)

        assert planned_reminders(meeting(created_at=booked), (H, 30), booked) == []

    def test_a_meeting_booked_exactly_two_hours_ahead_gets_them(self) -> None:
        booked = START - MIN_LEAD

        planned = planned_reminders(meeting(created_at=booked), (H, 30), booked)

        assert planned == [(H, before_start(hours=1)), (30, before_start(minutes=30))]

    def test_a_meeting_booked_well_ahead_keeps_short_reminders_when_touched_late(self) -> None:
        """Any change re-plans the reminders; a confirm 90 min before must not drop the 1 h one."""
        planned = planned_reminders(meeting(), (DAY, H), before_start(minutes=90))

        assert planned == [(H, before_start(hours=1))]

    def test_without_min_lead_only_a_future_start_is_needed(self) -> None:
        booked = before_start(minutes=90)
        m = meeting(created_at=booked)

        assert planned_reminders(m, (H,), booked, min_lead=False) == [(H, before_start(hours=1))]
        assert planned_reminders(m, (H,), START + timedelta(seconds=1), min_lead=False) == []

    def test_a_due_reminder_is_still_valid_just_before_it_is_due(self) -> None:
        """How dispatch re-checks a claimed reminder: one second before its due time."""
        due = before_start(hours=1)
        m = meeting(created_at=before_start(minutes=90))

        assert planned_reminders(m, (H,), due - timedelta(seconds=1), min_lead=False) == [(H, due)]

    def test_a_started_meeting_gets_none(self) -> None:
        assert planned_reminders(meeting(), (30,), START + timedelta(minutes=1)) == []

    @pytest.mark.parametrize(
        "changes",
        [
            {"status": MeetingStatus.CANCELLED},
            {"status": MeetingStatus.COMPLETED},
            {"awaiting_reschedule": True},
            {"deleted_at": BOOKED_AT},
            {"scheduled_at": None},
        ],
        ids=["cancelled", "completed", "awaiting-reschedule", "deleted", "no-start"],
    )
    def test_meetings_not_going_ahead_get_none(self, changes: dict[str, Any]) -> None:
        assert planned_reminders(meeting(**changes), (DAY, H), BOOKED_AT) == []
        assert planned_reminders(meeting(**changes), (DAY, H), BOOKED_AT, min_lead=False) == []

    def test_a_reschedule_re_plans_for_the_new_time(self) -> None:
        m = meeting()
        new_start = START + timedelta(days=3)

        m.reschedule(new_uid="uid-b", start=new_start, end=None, now=BOOKED_AT)

        assert planned_reminders(m, (DAY, 2 * H), BOOKED_AT) == [
            (DAY, new_start - timedelta(hours=24)),
            (2 * H, new_start - timedelta(hours=2)),
        ]

    def test_a_cancellation_drops_them(self) -> None:
        m = meeting()

        m.cancel(reason=None, by=None, now=BOOKED_AT)

        assert planned_reminders(m, (DAY,), BOOKED_AT) == []

    def test_the_reschedule_after_a_request_brings_them_back(self) -> None:
        m = meeting()
        m.expect_reschedule(BOOKED_AT)
        assert planned_reminders(m, (DAY,), BOOKED_AT) == []
        new_start = START + timedelta(days=3)

        m.reschedule(new_uid="uid-b", start=new_start, end=None, now=BOOKED_AT)

        assert planned_reminders(m, (DAY,), BOOKED_AT) == [(DAY, new_start - timedelta(hours=24))]


class TestMeetingTypeFor:
    @pytest.mark.parametrize(
        ("slug", "name", "title", "expected"),
        [
            ("discovery-call", None, None, MeetingType.DISCOVERY),
            ("30min", "Intro Call", None, MeetingType.DISCOVERY),
            (None, None, "Qualification with Acme", MeetingType.DISCOVERY),
            (None, "Free Consultation", None, MeetingType.DISCOVERY),
            ("product-demo", None, None, MeetingType.DEMO),
            ("PRODUCT-DEMO", None, None, MeetingType.DEMO),
            (None, "Platform Walkthrough", None, MeetingType.DEMO),
            ("follow-up", None, None, MeetingType.FOLLOW_UP),
            (None, None, "Weekly check-in", MeetingType.FOLLOW_UP),
            ("contract-review", None, None, MeetingType.CLOSE),
            (None, "Pricing negotiation", None, MeetingType.CLOSE),
            (None, "Closing call", None, MeetingType.CLOSE),
            ("onboarding", None, None, MeetingType.ONBOARDING),
            (None, None, "Kick-off with Acme", MeetingType.ONBOARDING),
            ("kickoff", None, None, MeetingType.ONBOARDING),
            ("30min", "30 Minute Meeting", "Jamie and Alex", MeetingType.OTHER),
            (None, None, None, MeetingType.OTHER),
        ],
    )
    def test_default_rules(
        self, slug: str | None, name: str | None, title: str | None, expected: MeetingType
    ) -> None:
        assert kind(slug=slug, name=name, title=title) is expected

    def test_earlier_default_rules_win(self) -> None:
        assert kind(slug="demo-follow-up") is MeetingType.FOLLOW_UP
        assert kind(slug="onboarding-demo") is MeetingType.ONBOARDING

    def test_tenant_rules_come_first(self) -> None:
        settings = MeetingSettings(type_rules=(("demo", MeetingType.CLOSE),))

        assert kind(settings, slug="product-demo") is MeetingType.CLOSE

    def test_a_tenant_rule_matching_the_title_beats_a_default_on_the_slug(self) -> None:
        settings = MeetingSettings(type_rules=(("strategy", MeetingType.DEMO),))

        assert kind(settings, slug="discovery-call", title="Strategy session") is MeetingType.DEMO

    def test_the_defaults_still_apply_after_tenant_rules(self) -> None:
        settings = MeetingSettings(type_rules=(("strategy", MeetingType.CLOSE),))

        assert kind(settings, slug="discovery-call") is MeetingType.DISCOVERY


class TestMeetingSettings:
    def test_nothing_stored_means_the_defaults(self) -> None:
        settings = MeetingSettings.from_stored({})

        assert settings == MeetingSettings()
        assert settings.reminder_offsets_minutes == (DAY,)
        assert (settings.type_rules, settings.personal_domains) == ((), ())

    def test_stored_settings_are_read(self) -> None:
        settings = MeetingSettings.from_stored(
            {
                "reminder_offsets_minutes": [3 * DAY, DAY, 2 * H],
                "meeting_type_rules": [
                    {"match": "Strategy", "type": "close"},
                    {"match": "tour", "type": "demo"},
                ],
                "personal_domains": ["stale.org"],  # stored by earlier versions: not read
            },
            personal_domains=("family.org",),
        )

        assert settings.reminder_offsets_minutes == (3 * DAY, DAY, 2 * H)
        assert settings.type_rules == (("strategy", MeetingType.CLOSE), ("tour", MeetingType.DEMO))
        assert settings.personal_domains == ("family.org",)  # the tenant's, from the feed
        assert kind(settings, name="STRATEGY call") is MeetingType.CLOSE

    def test_an_unknown_meeting_type_is_refused(self) -> None:
        with pytest.raises(ValueError, match="webinar"):
            MeetingSettings.from_stored({"meeting_type_rules": [{"match": "x", "type": "webinar"}]})


def row(
    showed_up: bool | None,
    *,
    status: MeetingStatus = MeetingStatus.COMPLETED,
    confirmed: bool = False,
    reminded: bool = False,
    rescheduled: int = 0,
) -> AttendanceRow:
    return AttendanceRow(
        status=status,
        showed_up=showed_up,
        confirmed=confirmed,
        reminder_sent=reminded,
        rescheduled_count=rescheduled,
    )


class TestShowRate:
    def test_no_meetings_means_no_rates(self) -> None:
        figures = show_rate([])

        assert (figures.total_meetings, figures.attendance_known, figures.cancelled) == (0, 0, 0)
        assert figures.show_rate is None
        assert figures.no_show_rate is None
        assert figures.reschedule_rate is None
        assert figures.confirmed_show_rate is None
        assert figures.reminded_show_rate is None

    def test_rates_need_known_attendance(self) -> None:
        figures = show_rate(
            [row(None, status=MeetingStatus.SCHEDULED, confirmed=True, reminded=True)] * 2
        )

        assert (figures.total_meetings, figures.attendance_known) == (2, 0)
        assert (figures.show_rate, figures.no_show_rate) == (None, None)
        assert (figures.confirmed_show_rate, figures.reminded_show_rate) == (None, None)
        assert figures.reschedule_rate == 0.0

    def test_figures_over_a_mix(self) -> None:
        figures = show_rate(
            iter(
                [
                    row(True, confirmed=True, reminded=True),
                    row(False, confirmed=True, rescheduled=1),
                    row(True, reminded=True),
                    row(None, status=MeetingStatus.CANCELLED),
                    row(
                        None,
                        status=MeetingStatus.SCHEDULED,
                        confirmed=True,
                        reminded=True,
                        rescheduled=2,
                    ),
                    row(True),
                ]
            )
        )

        assert figures.total_meetings == 6
        assert figures.attendance_known == 4
        assert figures.show_rate == 0.75
        assert figures.no_show_rate == 0.25
        assert figures.reschedule_rate == 0.3333  # 2 of 6, rounded to 4 places
        assert figures.cancelled == 1
        assert figures.confirmed_show_rate == 0.5  # confirmed and known: one came, one did not
        assert figures.reminded_show_rate == 1.0

    def test_rates_are_rounded_to_four_places(self) -> None:
        figures = show_rate([row(True), row(True), row(False)])

        assert (figures.show_rate, figures.no_show_rate) == (0.6667, 0.3333)
