"""How each normalized booking event changes the meetings, in any order and more than once."""

import copy
import uuid
from dataclasses import fields
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from dealflow_schemas.bookings import (
    Attendee,
    BookingEvent,
    BookingTrigger,
    EventType,
    Person,
    Provider,
    Tracking,
)
from dealflow_schemas.meetings import MeetingOutcome, MeetingProvider, MeetingStatus, MeetingType
from meetings.domain.bookings import Applied, MeetingBook, apply_booking
from meetings.domain.meeting import Change, Meeting
from meetings.domain.settings import MeetingSettings

T = BookingTrigger
NOW = datetime(2025, 3, 18, 12, 0, tzinfo=UTC)
LATER = datetime(2025, 3, 19, 8, 0, tzinfo=UTC)
START = datetime(2025, 3, 20, 14, 0, tzinfo=UTC)
NEW_START = datetime(2025, 3, 25, 16, 0, tzinfo=UTC)
THIRD_START = datetime(2025, 3, 27, 9, 0, tzinfo=UTC)
JAMIE = "jamie@acme.com"
SAM = "sam@acme.com"
OLD_INVITEE = "https://api.calendly.com/scheduled_events/EV-OLD/invitees/INV-OLD"
NEW_INVITEE = "https://api.calendly.com/scheduled_events/EV-NEW/invitees/INV-NEW"
SETTINGS = MeetingSettings()


def booking(trigger: BookingTrigger = T.CREATED, **changes: Any) -> BookingEvent:
    """A Cal.com discovery call for Jamie (+ Sam as guest) at START; keyword overrides."""
    start = changes.pop("start_time", START)
    values: dict[str, Any] = {
        "tenant_id": "demo",
        "provider": Provider.CALCOM,
        "trigger": trigger,
        "provider_trigger": f"BOOKING_{trigger.upper()}",
        "raw_event_id": uuid.uuid4(),
        "occurred_at": NOW,
        "received_at": NOW,
        "booking_uid": "uid-a",
        "status": "ACCEPTED",
        "event_type": EventType(slug="discovery-call", name="Discovery Call", length_minutes=30),
        "title": "Discovery Call between Alex and Jamie",
        "start_time": start,
        "end_time": start + timedelta(minutes=30) if start else None,
        "time_zone": "Europe/Berlin",
        "organizer": Person(email="alex@dealflow.dev", name="Alex"),
        "attendees": [Attendee(email=JAMIE, name="Jamie"), Attendee(email=SAM)],
        "location": "https://cal.com/video/abc",
        "meeting_url": "https://cal.com/video/abc",
        "tracking": Tracking(utm_source="linkedin", utm_campaign="spring"),
    }
    return BookingEvent(**(values | changes))


def calendly(trigger: BookingTrigger = T.CREATED, **changes: Any) -> BookingEvent:
    return booking(
        trigger,
        **{"provider": Provider.CALENDLY, "booking_uid": OLD_INVITEE, "status": "active"} | changes,
    )


def calendly_cancel_half() -> BookingEvent:
    """invitee.canceled with rescheduled=true on the old invitee."""
    return calendly(
        T.CANCELLED,
        status="canceled",
        is_reschedule=True,
        next_booking_uid=NEW_INVITEE,
        cancellation_reason="Rescheduled",
    )


def calendly_create_half() -> BookingEvent:
    """invitee.created with old_invitee on the new invitee."""
    return calendly(
        T.CREATED,
        booking_uid=NEW_INVITEE,
        previous_booking_uid=OLD_INVITEE,
        is_reschedule=True,
        start_time=NEW_START,
    )


def rescheduled(
    old: str = "uid-a", new: str = "uid-b", start: datetime = NEW_START
) -> BookingEvent:
    """Cal.com BOOKING_RESCHEDULED: the new booking, pointing back at the one it replaces."""
    return booking(
        T.RESCHEDULED,
        booking_uid=new,
        previous_booking_uid=old,
        is_reschedule=True,
        start_time=start,
        previous_start_time=START,
        previous_end_time=START + timedelta(minutes=30),
    )


def no_show(flag: bool | None, email: str = JAMIE, **changes: Any) -> BookingEvent:
    """BOOKING_NO_SHOW_UPDATED: only the (un)marked attendees, no slot."""
    return booking(
        T.NO_SHOW_UPDATED,
        **{
            "attendees": [Attendee(email=email, no_show=flag)],
            "start_time": None,
            "event_type": EventType(),
            "title": None,
            "status": None,
        }
        | changes,
    )


def identify(email: str, personal_domains: tuple[str, ...]) -> tuple[str | None, bool]:
    """The injected port, faked: personal when the domain is one of the tenant's extras."""
    domain = email.rsplit("@", 1)[1]
    return (None, True) if domain in personal_domains else (domain, False)


class Book:
    """A MeetingBook plus everything the applied events reported."""

    def __init__(self) -> None:
        self.book = MeetingBook()
        self.changes: list[Change] = []

    def apply(
        self, event: BookingEvent, *, now: datetime = NOW, settings: MeetingSettings = SETTINGS
    ) -> Applied:
        applied = apply_booking(self.book, event, settings=settings, identify=identify, now=now)
        self.changes += [h.change for h in applied.happened]
        return applied

    def only(self) -> Meeting:
        [meeting] = self.book.created
        return meeting

    def find(self, uid: str, tenant_id: str = "demo") -> Meeting | None:
        return self.book.find(tenant_id, uid)


def state(meeting: Meeting) -> dict[str, Any]:
    """Everything about a meeting except when it was last touched."""
    return copy.deepcopy(
        {f.name: getattr(meeting, f.name) for f in fields(meeting) if f.name != "updated_at"}
    )


class TestCreated:
    def test_a_new_booking_becomes_a_scheduled_meeting(self) -> None:
        book = Book()

        applied = book.apply(booking())

        m = applied.meeting
        assert m is not None
        assert [h.change for h in applied.happened] == [Change.BOOKED]
        assert applied.deferred is False
        assert book.book.created == [m]
        assert book.book.new_aliases == [("demo", "uid-a", m)]
        assert book.find("uid-a") is m
        assert (m.tenant_id, m.provider, m.provider_uid) == (
            "demo",
            MeetingProvider.CALCOM,
            "uid-a",
        )
        assert m.status is MeetingStatus.SCHEDULED
        assert m.meeting_type is MeetingType.DISCOVERY
        assert (m.scheduled_at, m.ends_at, m.duration_minutes) == (
            START,
            START + timedelta(minutes=30),
            30,
        )
        assert m.primary_email == JAMIE
        assert (m.company_domain, m.is_personal_email) == ("acme.com", False)
        assert [a.email for a in m.attendees] == [JAMIE, SAM]
        assert m.organizer == Person(email="alex@dealflow.dev", name="Alex")
        assert m.tracking.utm_source == "linkedin"
        assert m.tracking.utm_campaign == "spring"
        assert (m.title, m.event_type_slug) == (
            "Discovery Call between Alex and Jamie",
            "discovery-call",
        )
        assert (m.meeting_url, m.time_zone) == ("https://cal.com/video/abc", "Europe/Berlin")
        assert (m.provider_status, m.booking_method) == ("ACCEPTED", "booking_page")
        assert (m.created_at, m.updated_at) == (NOW, NOW)
        assert (m.rescheduled_count, m.previous_uids, m.original_scheduled_at) == (0, [], None)
        assert m.meeting_outcome is MeetingOutcome.PENDING

    def test_the_tenant_s_personal_domains_reach_identify(self) -> None:
        book = Book()
        settings = MeetingSettings(personal_domains=("family.org",))

        m = book.apply(
            booking(attendees=[Attendee(email="jamie@family.org")]), settings=settings
        ).meeting

        assert m is not None
        assert (m.company_domain, m.is_personal_email) == (None, True)

    def test_the_tenant_s_type_rules_decide_the_meeting_type(self) -> None:
        book = Book()
        settings = MeetingSettings(type_rules=(("discovery", MeetingType.DEMO),))

        m = book.apply(booking(), settings=settings).meeting

        assert m is not None
        assert m.meeting_type is MeetingType.DEMO

    def test_the_booking_method_from_the_provider_is_kept(self) -> None:
        m = Book().apply(booking(booking_method="api", booked_by="ops@acme.com")).meeting

        assert m is not None
        assert (m.booking_method, m.booked_by) == ("api", "ops@acme.com")

    def test_created_twice_is_one_meeting(self) -> None:
        book = Book()
        first = book.apply(booking())

        again = book.apply(booking(), now=LATER)

        assert again.meeting is first.meeting
        assert again.happened == []
        assert book.changes == [Change.BOOKED]
        assert len(book.book.created) == 1
        assert book.only().updated_at == NOW

    def test_the_same_uid_in_another_tenant_is_another_meeting(self) -> None:
        book = Book()

        ours = book.apply(booking()).meeting
        theirs = book.apply(booking(tenant_id="other")).meeting

        assert ours is not theirs
        assert book.find("uid-a") is ours
        assert book.find("uid-a", "other") is theirs
        assert book.changes == [Change.BOOKED, Change.BOOKED]

    def test_requested_then_accepted_by_the_host(self) -> None:
        book = Book()
        requested = book.apply(booking(T.REQUESTED, status="PENDING"))
        assert requested.meeting is not None
        assert requested.meeting.provider_status == "PENDING"

        accepted = book.apply(booking(T.CREATED, status="ACCEPTED"), now=LATER)

        assert accepted.meeting is requested.meeting
        assert accepted.happened == []
        assert book.changes == [Change.BOOKED]
        m = book.only()
        assert (m.provider_status, m.updated_at) == ("ACCEPTED", LATER)
        assert m.status is MeetingStatus.SCHEDULED

    def test_a_late_request_does_not_undo_the_acceptance(self) -> None:
        book = Book()
        book.apply(booking(T.CREATED, status="ACCEPTED"))

        book.apply(booking(T.REQUESTED, status="PENDING"), now=LATER)

        assert book.only().provider_status == "ACCEPTED"
        assert book.changes == [Change.BOOKED]

    def test_started_for_a_known_meeting_changes_nothing(self) -> None:
        book = Book()
        book.apply(booking())
        before = state(book.only())

        applied = book.apply(booking(T.MEETING_STARTED), now=LATER)

        assert applied.meeting is book.only()
        assert applied.happened == []
        assert state(book.only()) == before


class TestCalcomReschedule:
    def test_found_by_the_previous_uid_and_moved(self) -> None:
        book = Book()
        m = book.apply(booking()).meeting

        applied = book.apply(rescheduled(), now=LATER)

        assert applied.meeting is m
        assert [h.change for h in applied.happened] == [Change.RESCHEDULED]
        assert applied.happened[0].details == {
            "previous_scheduled_at": START,
            "previous_provider_uid": "uid-a",
        }
        m = book.only()
        assert (m.provider_uid, m.previous_uids) == ("uid-b", ["uid-a"])
        assert (m.scheduled_at, m.original_scheduled_at) == (NEW_START, START)
        assert m.rescheduled_count == 1
        assert m.status is MeetingStatus.SCHEDULED
        assert book.find("uid-a") is m
        assert book.find("uid-b") is m
        assert ("demo", "uid-b", m) in book.book.new_aliases

    def test_moved_twice_keeps_the_original_time(self) -> None:
        book = Book()
        book.apply(booking())
        book.apply(rescheduled("uid-a", "uid-b", NEW_START))

        book.apply(rescheduled("uid-b", "uid-c", THIRD_START), now=LATER)

        m = book.only()
        assert (m.provider_uid, m.previous_uids) == ("uid-c", ["uid-a", "uid-b"])
        assert (m.scheduled_at, m.original_scheduled_at) == (THIRD_START, START)
        assert m.rescheduled_count == 2
        assert book.changes == [Change.BOOKED, Change.RESCHEDULED, Change.RESCHEDULED]
        assert {book.find(u) for u in ("uid-a", "uid-b", "uid-c")} == {m}

    def test_a_late_first_move_does_not_move_it_back(self) -> None:
        book = Book()
        book.apply(booking())
        first_move = rescheduled("uid-a", "uid-b", NEW_START)
        book.apply(first_move)
        book.apply(rescheduled("uid-b", "uid-c", THIRD_START))

        late = book.apply(first_move, now=LATER)

        assert late.happened == []
        m = book.only()
        assert (m.provider_uid, m.scheduled_at, m.rescheduled_count) == ("uid-c", THIRD_START, 2)

    def test_unknown_original_creates_the_meeting_with_its_history(self) -> None:
        book = Book()

        applied = book.apply(rescheduled("uid-lost", "uid-b"))

        m = applied.meeting
        assert m is not None
        assert [h.change for h in applied.happened] == [Change.BOOKED]
        assert (m.provider_uid, m.previous_uids) == ("uid-b", ["uid-lost"])
        assert m.rescheduled_count == 1
        assert (m.scheduled_at, m.original_scheduled_at) == (NEW_START, START)
        assert book.find("uid-lost") is m
        assert book.find("uid-b") is m
        assert book.book.created == [m]

    def test_unknown_original_then_its_late_creation_is_the_same_meeting(self) -> None:
        book = Book()
        book.apply(rescheduled("uid-lost", "uid-b"))

        late = book.apply(booking(booking_uid="uid-lost"), now=LATER)

        m = book.only()
        assert late.meeting is m
        assert (m.provider_uid, m.scheduled_at) == ("uid-b", NEW_START)
        assert book.changes == [Change.BOOKED]

    def test_a_reschedule_that_needs_confirmation_arrives_as_requested(self) -> None:
        book = Book()
        book.apply(booking())

        requested = booking(
            T.REQUESTED,
            booking_uid="uid-b",
            previous_booking_uid="uid-a",
            is_reschedule=True,
            status="PENDING",
            start_time=NEW_START,
        )
        book.apply(requested)
        book.apply(requested.model_copy(update={"trigger": T.CREATED, "status": "ACCEPTED"}))

        m = book.only()
        assert (m.provider_uid, m.scheduled_at, m.rescheduled_count) == ("uid-b", NEW_START, 1)
        assert book.changes == [Change.BOOKED, Change.RESCHEDULED]


class TestRequestReschedule:
    """Cal.com "request reschedule": BOOKING_CANCELLED with requestReschedule, no new uid yet."""

    def request(self) -> BookingEvent:
        return booking(
            T.CANCELLED, status="CANCELLED", is_reschedule=True, cancellation_reason="Please move"
        )

    def test_is_not_a_cancellation(self) -> None:
        book = Book()
        book.apply(booking())

        applied = book.apply(self.request(), now=LATER)

        assert applied.happened == []
        m = book.only()
        assert m.status is MeetingStatus.SCHEDULED
        assert m.awaiting_reschedule is True
        assert (m.cancelled_at, m.cancellation_reason) == (None, None)
        assert m.meeting_outcome is MeetingOutcome.PENDING

    def test_the_reschedule_then_moves_it(self) -> None:
        book = Book()
        book.apply(booking())
        book.apply(self.request())

        book.apply(rescheduled(), now=LATER)

        m = book.only()
        assert m.awaiting_reschedule is False
        assert (m.provider_uid, m.scheduled_at, m.rescheduled_count) == ("uid-b", NEW_START, 1)
        assert m.status is MeetingStatus.SCHEDULED
        assert book.changes == [Change.BOOKED, Change.RESCHEDULED]

    def test_a_late_request_after_the_move_changes_nothing(self) -> None:
        book = Book()
        book.apply(booking())
        book.apply(rescheduled())

        book.apply(self.request(), now=LATER)

        m = book.only()
        assert m.awaiting_reschedule is False
        assert m.status is MeetingStatus.SCHEDULED
        assert book.changes == [Change.BOOKED, Change.RESCHEDULED]

    def test_an_unknown_meeting_is_created_waiting_not_cancelled(self) -> None:
        book = Book()

        applied = book.apply(self.request())

        assert [h.change for h in applied.happened] == [Change.BOOKED]
        m = book.only()
        assert m.status is MeetingStatus.SCHEDULED
        assert m.awaiting_reschedule is True

    def test_an_old_style_request_cancels_and_the_reschedule_revives(self) -> None:
        """Before requestReschedule existed the request was a plain BOOKING_CANCELLED."""
        book = Book()
        book.apply(booking())
        book.apply(booking(T.CANCELLED, status="CANCELLED", cancellation_reason="Please move"))
        assert book.only().status is MeetingStatus.CANCELLED

        book.apply(rescheduled(), now=LATER)

        m = book.only()
        assert m.status is MeetingStatus.SCHEDULED
        assert (m.cancelled_at, m.cancellation_reason, m.cancelled_by) == (None, None, None)
        assert m.meeting_outcome is MeetingOutcome.PENDING
        assert (m.provider_uid, m.scheduled_at) == ("uid-b", NEW_START)
        assert book.changes == [Change.BOOKED, Change.CANCELLED, Change.RESCHEDULED]


ORDERS = {
    "cancel-half-first": (calendly_cancel_half, calendly_create_half),
    "create-half-first": (calendly_create_half, calendly_cancel_half),
}


class TestCalendlyReschedule:
    """invitee.canceled (rescheduled) + invitee.created (old_invitee): one move, either order."""

    @pytest.mark.parametrize("order", ORDERS.values(), ids=ORDERS.keys())
    def test_is_one_rescheduled_meeting(self, order: Any) -> None:
        book = Book()
        book.apply(calendly())

        for half in order:
            book.apply(half(), now=LATER)

        assert book.changes == [Change.BOOKED, Change.RESCHEDULED]
        m = book.only()
        assert m.provider is MeetingProvider.CALENDLY
        assert m.status is MeetingStatus.SCHEDULED
        assert (m.provider_uid, m.previous_uids) == (NEW_INVITEE, [OLD_INVITEE])
        assert (m.scheduled_at, m.original_scheduled_at) == (NEW_START, START)
        assert m.rescheduled_count == 1
        assert m.awaiting_reschedule is False
        assert (m.cancelled_at, m.cancellation_reason) == (None, None)
        assert m.meeting_outcome is MeetingOutcome.PENDING
        assert book.find(OLD_INVITEE) is m
        assert book.find(NEW_INVITEE) is m

    def test_the_cancel_half_alone_waits_for_the_new_invitee(self) -> None:
        book = Book()
        book.apply(calendly())

        applied = book.apply(calendly_cancel_half(), now=LATER)

        assert applied.happened == []
        m = book.only()
        assert m.status is MeetingStatus.SCHEDULED
        assert m.awaiting_reschedule is True
        assert m.provider_uid == OLD_INVITEE
        assert book.find(NEW_INVITEE) is m  # the new half will find it
        assert ("demo", NEW_INVITEE, m) in book.book.new_aliases

    @pytest.mark.parametrize(
        ("order", "changes"),
        [
            (ORDERS["cancel-half-first"], [Change.BOOKED, Change.RESCHEDULED]),
            (ORDERS["create-half-first"], [Change.BOOKED]),
        ],
        ids=ORDERS.keys(),
    )
    def test_unknown_original_is_still_one_meeting(self, order: Any, changes: list[Change]) -> None:
        book = Book()

        for half in order:
            book.apply(half(), now=LATER)

        assert book.changes == changes
        assert Change.CANCELLED not in book.changes
        m = book.only()
        assert m.status is MeetingStatus.SCHEDULED
        assert (m.provider_uid, m.previous_uids) == (NEW_INVITEE, [OLD_INVITEE])
        assert (m.scheduled_at, m.rescheduled_count) == (NEW_START, 1)
        assert m.awaiting_reschedule is False

    @pytest.mark.parametrize("order", ORDERS.values(), ids=ORDERS.keys())
    def test_each_half_again_changes_nothing(self, order: Any) -> None:
        book = Book()
        book.apply(calendly())
        for half in order:
            book.apply(half())
        before = state(book.only())

        for half in order:
            assert book.apply(half(), now=LATER).happened == []

        assert state(book.only()) == before
        assert book.changes == [Change.BOOKED, Change.RESCHEDULED]

    def test_cancelling_the_new_invitee_cancels_the_meeting(self) -> None:
        book = Book()
        book.apply(calendly())
        book.apply(calendly_create_half())
        book.apply(calendly_cancel_half())

        book.apply(
            calendly(T.CANCELLED, booking_uid=NEW_INVITEE, cancellation_reason="Bought elsewhere"),
            now=LATER,
        )

        m = book.only()
        assert m.status is MeetingStatus.CANCELLED
        assert m.cancellation_reason == "Bought elsewhere"
        assert book.changes == [Change.BOOKED, Change.RESCHEDULED, Change.CANCELLED]


class TestCancelled:
    def test_cancels_with_the_reason(self) -> None:
        book = Book()
        book.apply(booking())

        applied = book.apply(
            booking(
                T.CANCELLED,
                status="CANCELLED",
                cancellation_reason="No budget",
                cancelled_by=JAMIE,
            ),
            now=LATER,
        )

        assert [h.change for h in applied.happened] == [Change.CANCELLED]
        assert applied.happened[0].details == {"reason": "No budget"}
        m = book.only()
        assert m.status is MeetingStatus.CANCELLED
        assert (m.cancellation_reason, m.cancelled_by, m.cancelled_at) == (
            "No budget",
            JAMIE,
            LATER,
        )
        assert m.meeting_outcome is MeetingOutcome.CANCELLED

    def test_an_old_uid_of_a_moved_meeting_does_not_cancel_it(self) -> None:
        book = Book()
        book.apply(booking())
        book.apply(rescheduled())

        applied = book.apply(booking(T.CANCELLED, status="CANCELLED"), now=LATER)

        assert applied.meeting is book.only()
        assert applied.happened == []
        m = book.only()
        assert m.status is MeetingStatus.SCHEDULED
        assert (m.provider_uid, m.scheduled_at) == ("uid-b", NEW_START)

    def test_rejected_is_cancelled_with_the_rejection_reason(self) -> None:
        book = Book()
        book.apply(booking(T.REQUESTED, status="PENDING"))

        book.apply(
            booking(
                T.REJECTED,
                status="REJECTED",
                rejection_reason="Not a fit",
                cancellation_reason="ignored",
            ),
            now=LATER,
        )

        m = book.only()
        assert m.status is MeetingStatus.CANCELLED
        assert m.cancellation_reason == "Not a fit"
        assert book.changes == [Change.BOOKED, Change.CANCELLED]


class TestEnded:
    def test_completed_and_attended(self) -> None:
        book = Book()
        book.apply(booking())

        applied = book.apply(booking(T.MEETING_ENDED), now=LATER)

        assert [h.change for h in applied.happened] == [Change.ATTENDED]
        m = book.only()
        assert m.status is MeetingStatus.COMPLETED
        assert (m.showed_up, m.attendance_confirmed_by) == (True, "provider")

    def test_after_a_no_show_mark_the_no_show_stands(self) -> None:
        book = Book()
        book.apply(booking())
        book.apply(no_show(True))

        applied = book.apply(booking(T.MEETING_ENDED), now=LATER)

        assert applied.happened == []
        m = book.only()
        assert m.status is MeetingStatus.COMPLETED
        assert m.showed_up is False
        assert m.meeting_outcome is MeetingOutcome.NO_SHOW
        assert book.changes == [Change.BOOKED, Change.NO_SHOW]

    def test_a_cancelled_meeting_stays_cancelled(self) -> None:
        book = Book()
        book.apply(booking())
        book.apply(booking(T.CANCELLED))

        assert book.apply(booking(T.MEETING_ENDED), now=LATER).happened == []

        assert book.only().status is MeetingStatus.CANCELLED
        assert book.only().showed_up is None


class TestNoShow:
    def test_marks_the_primary_attendee_with_the_provider_as_source(self) -> None:
        book = Book()
        book.apply(booking())

        applied = book.apply(no_show(True), now=LATER)

        assert [h.change for h in applied.happened] == [Change.NO_SHOW]
        m = book.only()
        assert (m.showed_up, m.attendance_confirmed_by) == (False, "calcom")
        assert m.meeting_outcome is MeetingOutcome.NO_SHOW

    def test_calendly_no_show_is_recorded_as_calendly(self) -> None:
        book = Book()
        book.apply(calendly())

        book.apply(calendly(T.NO_SHOW_UPDATED, attendees=[Attendee(email=JAMIE, no_show=True)]))

        assert book.only().attendance_confirmed_by == "calendly"

    def test_a_deleted_no_show_makes_attendance_unknown(self) -> None:
        book = Book()
        book.apply(booking())
        book.apply(no_show(True))

        applied = book.apply(no_show(False), now=LATER)

        assert applied.happened == []
        m = book.only()
        assert (m.showed_up, m.attendance_confirmed_by) == (None, None)
        assert m.meeting_outcome is MeetingOutcome.PENDING

    def test_a_guest_s_mark_leaves_the_booker_s_attendance_alone(self) -> None:
        book = Book()
        book.apply(booking())

        applied = book.apply(no_show(True, email=SAM), now=LATER)

        assert applied.meeting is book.only()
        assert applied.happened == []
        m = book.only()
        assert (m.showed_up, m.meeting_outcome) == (None, MeetingOutcome.PENDING)

    def test_the_booker_s_mark_among_several_counts(self) -> None:
        book = Book()
        book.apply(booking())

        book.apply(
            no_show(
                True,
                attendees=[Attendee(email=SAM, no_show=False), Attendee(email=JAMIE, no_show=True)],
            )
        )

        assert book.only().showed_up is False

    def test_on_the_moved_meeting_by_its_new_uid(self) -> None:
        book = Book()
        book.apply(booking())
        book.apply(rescheduled())

        book.apply(no_show(True, booking_uid="uid-b"), now=LATER)

        assert book.only().showed_up is False


class TestOutOfOrder:
    def test_cancel_before_create_creates_a_cancelled_meeting(self) -> None:
        book = Book()

        applied = book.apply(
            booking(T.CANCELLED, status="CANCELLED", cancellation_reason="Changed my mind")
        )

        assert [h.change for h in applied.happened] == [Change.BOOKED, Change.CANCELLED]
        m = book.only()
        assert m.status is MeetingStatus.CANCELLED
        assert m.cancellation_reason == "Changed my mind"
        assert m.scheduled_at == START

    def test_the_late_create_after_the_cancel_changes_nothing(self) -> None:
        book = Book()
        book.apply(booking(T.CANCELLED, status="CANCELLED", cancellation_reason="Changed my mind"))
        before = state(book.only())

        applied = book.apply(booking(), now=LATER)

        assert applied.meeting is book.only()
        assert applied.happened == []
        assert state(book.only()) == before
        assert book.changes == [Change.BOOKED, Change.CANCELLED]

    def test_cancel_without_the_booking_s_details_is_deferred(self) -> None:
        book = Book()

        applied = book.apply(booking(T.CANCELLED, attendees=[], start_time=None))

        assert (applied.meeting, applied.happened, applied.deferred) == (None, [], True)
        assert book.book.created == []
        assert book.book.new_aliases == []

    def test_no_show_before_the_meeting_is_deferred(self) -> None:
        book = Book()

        applied = book.apply(no_show(True))

        assert (applied.meeting, applied.happened, applied.deferred) == (None, [], True)
        assert book.book.created == []

    def test_the_deferred_no_show_applies_once_the_meeting_exists(self) -> None:
        book = Book()
        mark = no_show(True)
        assert book.apply(mark).deferred

        book.apply(booking())
        replayed = book.apply(mark, now=LATER)

        assert replayed.deferred is False
        assert book.only().showed_up is False
        assert book.changes == [Change.BOOKED, Change.NO_SHOW]

    def test_ended_before_create_creates_a_completed_meeting(self) -> None:
        book = Book()

        applied = book.apply(booking(T.MEETING_ENDED), now=LATER)

        assert [h.change for h in applied.happened] == [Change.BOOKED, Change.ATTENDED]
        m = book.only()
        assert (m.status, m.showed_up) == (MeetingStatus.COMPLETED, True)

    def test_ended_without_the_booking_s_details_is_deferred(self) -> None:
        applied = Book().apply(booking(T.MEETING_ENDED, attendees=[]))

        assert (applied.meeting, applied.deferred) == (None, True)

    def test_started_before_create_creates_a_scheduled_meeting(self) -> None:
        book = Book()

        applied = book.apply(booking(T.MEETING_STARTED))

        assert [h.change for h in applied.happened] == [Change.BOOKED]
        assert book.only().status is MeetingStatus.SCHEDULED

    def test_started_without_details_is_not_deferred(self) -> None:
        applied = Book().apply(booking(T.MEETING_STARTED, attendees=[]))

        assert (applied.meeting, applied.deferred) == (None, False)


REDELIVERED: dict[str, list[BookingEvent]] = {
    "created": [booking()],
    "requested": [booking(T.REQUESTED, status="PENDING")],
    "rescheduled": [booking(), rescheduled()],
    "unknown-original": [rescheduled("uid-lost", "uid-b")],
    "cancelled": [booking(), booking(T.CANCELLED, cancellation_reason="x")],
    "rejected": [booking(T.REQUESTED), booking(T.REJECTED, rejection_reason="x")],
    "request-reschedule": [booking(), booking(T.CANCELLED, is_reschedule=True)],
    "ended": [booking(), booking(T.MEETING_ENDED)],
    "no-show": [booking(), no_show(True)],
    "no-show-deleted": [booking(), no_show(True), no_show(False)],
    "calendly-cancel-half": [calendly(), calendly_cancel_half()],
    "calendly-create-half": [calendly(), calendly_create_half()],
}


class TestRedelivery:
    @pytest.mark.parametrize("events", REDELIVERED.values(), ids=REDELIVERED.keys())
    def test_the_same_event_again_changes_nothing(self, events: list[BookingEvent]) -> None:
        book = Book()
        for event in events:
            book.apply(event)
        reported = list(book.changes)
        before = state(book.only())

        again = book.apply(events[-1], now=LATER)

        assert again.happened == []
        assert book.changes == reported
        assert state(book.only()) == before
        assert len(book.book.created) == 1

    def test_replaying_a_whole_reschedule_chain_changes_nothing(self) -> None:
        book = Book()
        chain = [
            booking(),
            rescheduled("uid-a", "uid-b", NEW_START),
            rescheduled("uid-b", "uid-c", THIRD_START),
            booking(T.CANCELLED, booking_uid="uid-c", cancellation_reason="Lost"),
        ]
        for event in chain:
            book.apply(event)
        before = state(book.only())

        for event in chain:
            book.apply(event, now=LATER)

        assert state(book.only()) == before
        assert book.changes == [
            Change.BOOKED,
            Change.RESCHEDULED,
            Change.RESCHEDULED,
            Change.CANCELLED,
        ]
