"""The meeting page's lifecycle and the booking trail's timeline, from the services' answers."""

from datetime import UTC, datetime

from console.timelines import booking_timeline, meeting_lifecycle

BOOKING = "0f1e2d3c-0000-4000-8000-000000000001"
MEETING = "5a5a5a5a-0000-4000-8000-000000000002"
DEAL = "7b7b7b7b-0000-4000-8000-000000000003"


def meeting(**changes: object) -> dict[str, object]:
    return {
        "meeting_id": MEETING,
        "provider": "calcom",
        "created_at": "2026-12-01T09:00:00Z",
        "scheduled_at": "2026-12-03T10:00:00Z",
        "original_scheduled_at": None,
        "status": "scheduled",
        "confirmed": False,
        "showed_up": None,
        "meeting_outcome": "pending",
        "reschedule_history": [],
        "reminders": [],
        "deal_id": None,
        **changes,
    }


def email(kind: str, at: str, **changes: object) -> dict[str, object]:
    return {
        "id": f"e-{kind}",
        "kind": kind,
        "status": "sent",
        "offset_minutes": None,
        "subject": f"About your {kind}",
        "recipients": ["ann@acme.com"],
        "created_at": at,
        "sent_at": at,
        **changes,
    }


def test_a_new_meeting_is_booked_with_its_reminder_still_due() -> None:
    entries = meeting_lifecycle(
        meeting(
            reminders=[
                {"offset_minutes": 1440, "due_at": "2026-12-02T10:00:00Z", "status": "pending"}
            ]
        ),
        [],
    )
    assert [(e.kind, e.title) for e in entries] == [
        ("booked", "Booked"),
        ("reminder", "Reminder 24 h before: pending"),
    ]
    assert entries[0].text == "calcom booking for 2026-12-03 10:00 UTC"
    assert entries[1].at is None
    assert "due 2026-12-02 10:00 UTC" in entries[1].text


def test_the_whole_life_of_a_meeting_in_order() -> None:
    entries = meeting_lifecycle(
        meeting(
            confirmed=True,
            confirmed_at="2026-12-01T12:00:00Z",
            reschedule_history=[
                {
                    "from_scheduled_at": "2026-12-02T10:00:00Z",
                    "to_scheduled_at": "2026-12-03T10:00:00Z",
                    "rescheduled_at": "2026-12-01T11:00:00Z",
                }
            ],
            reminders=[
                {
                    "offset_minutes": 120,
                    "due_at": "2026-12-03T08:00:00Z",
                    "status": "sent",
                    "sent_at": "2026-12-03T08:00:05Z",
                }
            ],
            showed_up=False,
            showed_up_at=None,
            updated_at="2026-12-03T10:40:00Z",
            no_show_reason="did not join",
            meeting_outcome="good",
            notes="Keen",
            deal_id=DEAL,
        ),
        [email("confirmation", "2026-12-01T09:00:02Z")],
        [{"event_type": "dealflow.meeting.outcome_recorded.v1", "at": "2026-12-03T11:00:00Z"}],
    )
    assert [e.kind for e in entries] == [
        "booked",
        "email",
        "rescheduled",
        "confirmed",
        "reminded",
        "no_show",
        "outcome",
    ]
    outcome = entries[-1]
    assert (outcome.title, outcome.text, outcome.href) == (
        "Outcome: good",
        "Notes: Keen",
        f"/deals/{DEAL}",
    )
    assert outcome.at == datetime(2026, 12, 3, 11, tzinfo=UTC)
    assert entries[1].href == "/details/email/e-confirmation"
    assert (entries[5].text, entries[5].at) == (
        "did not join",
        datetime(2026, 12, 3, 10, 40, tzinfo=UTC),
    )


def test_a_cancelled_meeting_and_an_outcome_with_no_time_known() -> None:
    entries = meeting_lifecycle(
        meeting(
            status="cancelled",
            cancelled_at="2026-12-02T08:00:00Z",
            cancellation_reason="no longer needed",
            meeting_outcome="cancelled",
        ),
        [],
    )
    assert [(e.kind, e.text) for e in entries] == [
        ("booked", "calcom booking for 2026-12-03 10:00 UTC"),
        ("cancelled", "no longer needed"),
        ("outcome", ""),
    ]
    assert entries[-1].at is None


def trail(service: str, *items: tuple[str, str, str, str | None, str]) -> dict[str, object]:
    return {
        "service": service,
        "correlation_id": BOOKING,
        "items": [
            {
                "direction": d,
                "channel": "c",
                "event_id": eid,
                "event_type": t,
                "subject": s,
                "at": at,
            }
            for d, eid, t, s, at in items
        ],
    }


def test_the_booking_trail_shows_each_event_once_with_who_took_it_in() -> None:
    trails = [
        trail(
            "ingest",
            ("published", BOOKING, "dealflow.booking.v1", "uid-1", "2026-12-01T09:00:00Z"),
        ),
        trail(
            "meetings",
            ("consumed", BOOKING, "dealflow.booking.v1", "uid-1", "2026-12-01T09:00:01Z"),
            ("published", "m1", "dealflow.meeting.booked.v1", MEETING, "2026-12-01T09:00:01Z"),
        ),
        trail(
            "deals",
            ("consumed", "m1", "dealflow.meeting.booked.v1", MEETING, "2026-12-01T09:00:02Z"),
            ("published", "d1", "dealflow.deal.created.v1", DEAL, "2026-12-01T09:00:02Z"),
        ),
        trail(
            "notifications",
            ("consumed", "m1", "dealflow.meeting.booked.v1", MEETING, "2026-12-01T09:00:02Z"),
        ),
    ]
    delivery = {
        "id": "r1",
        "provider": "calcom",
        "trigger": "BOOKING_CREATED",
        "verdict": "accepted",
        "status_code": 202,
        "error": None,
        "replay_of": None,
        "received_at": "2026-12-01T08:59:59Z",
    }
    call = {
        "id": 7,
        "provider": "hubspot",
        "operation": "create_deal",
        "method": "POST",
        "path": "/crm/v3/objects/deals",
        "status": 201,
        "error_message": None,
        "started_at": "2026-12-01T09:00:05Z",
    }
    entries = booking_timeline(
        trails, [delivery], [email("confirmation", "2026-12-01T09:00:04Z")], [call]
    )

    assert [(e.kind, e.title, e.href, e.by) for e in entries] == [
        ("delivery", "Delivery: calcom BOOKING_CREATED accepted", "/details/delivery/r1", ()),
        ("event", "Booking", None, ("meetings",)),
        (
            "event",
            "Meeting booked",
            f"/meetings/{MEETING}",
            ("deals", "notifications"),
        ),
        ("event", "Deal created", f"/deals/{DEAL}", ()),
        ("email", "Email: confirmation sent", "/details/email/e-confirmation", ()),
        ("crm", "CRM call: hubspot create_deal", "/details/crm-call/7", ()),
    ]
    assert entries[-1].text == "POST /crm/v3/objects/deals → 201"
