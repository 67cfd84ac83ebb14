"""Calendly delivery -> BookingEvent, driven by the sample payloads of ingest.samples."""

import copy
import hashlib
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest

from dealflow_schemas.bookings import BookingTrigger, Provider
from ingest import samples
from ingest.domain.normalize import (
    Ignored,
    Normalized,
    PayloadError,
    normalize_calendly,
    provider_trigger,
)

RAW_ID = UUID("5d1c9e2a-7b3f-4a6d-8e0c-1f2a3b4c5d6e")
RECEIVED = datetime(2025, 3, 21, 9, 0, 0, tzinfo=UTC)

JAMIE = "jamie.prospect@example.org"
SAM = "sam.colleague@example.org"
ALEX = "alex.organizer@example.com"
API = "https://api.calendly.com"
FIRST_EVENT = f"{API}/scheduled_events/2d7f4c1a-8e9b-4a3c-b5d6-e7f8a9b0c1d2"
FIRST_INVITEE = f"{FIRST_EVENT}/invitees/6b1e9f2a-3c4d-4e5f-8a7b-9c0d1e2f3a4b"
SECOND_EVENT = f"{API}/scheduled_events/5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9"
SECOND_INVITEE = f"{SECOND_EVENT}/invitees/9d8c7b6a-5f4e-4d3c-b2a1-0f9e8d7c6b5a"
NO_SHOW_URI = f"{API}/invitee_no_shows/4c3b2a19-0f8e-4d7c-a6b5-9e8d7c6b5a4f"
EVENT_TYPE = f"{API}/event_types/8a9b0c1d-2e3f-4a5b-8c6d-7e8f9a0b1c2d"


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = samples.load(name.removesuffix(".json"))
    return data


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def run(body: object) -> Normalized:
    result = normalize_calendly(body, tenant_id="demo", raw_event_id=RAW_ID, received_at=RECEIVED)
    assert isinstance(result, Normalized), result
    return result


def payload_error(body: object) -> PayloadError:
    with pytest.raises(PayloadError) as caught:
        normalize_calendly(body, tenant_id="demo", raw_event_id=RAW_ID, received_at=RECEIVED)
    return caught.value


def hashed(key: str) -> str:
    return "calendly:" + hashlib.sha256(key.encode()).hexdigest()


def no_show_deleted() -> dict[str, Any]:
    body = copy.deepcopy(load("calendly_no_show_created.json"))
    body["event"] = "invitee_no_show.deleted"
    body["created_at"] = "2025-03-20T16:00:00.000000Z"
    return body


# --- invitee.created -------------------------------------------------------------------------


class TestCreated:
    def test_envelope_and_identity(self) -> None:
        result = run(load("calendly_invitee_created.json"))
        event = result.event
        assert event.tenant_id == "demo"
        assert event.provider is Provider.CALENDLY
        assert event.trigger is BookingTrigger.CREATED
        assert event.provider_trigger == "invitee.created"
        assert event.raw_event_id == RAW_ID
        assert event.received_at == RECEIVED
        assert event.occurred_at == utc("2025-03-12T09:41:27")
        assert event.booking_uid == FIRST_INVITEE
        assert event.status == "active"
        assert event.previous_booking_uid is None
        assert event.next_booking_uid is None
        assert event.is_reschedule is False
        assert event.provider_booking_id is None
        assert result.dedupe_key == f"calendly:invitee.created:{FIRST_INVITEE}"

    def test_slot_event_type_and_location(self) -> None:
        event = run(load("calendly_invitee_created.json")).event
        # Microsecond format `.000000Z`.
        assert event.start_time == utc("2025-03-18T15:00:00")
        assert event.end_time == utc("2025-03-18T15:30:00")
        assert event.start_time is not None
        assert event.start_time.tzinfo is UTC
        assert event.event_type.id == EVENT_TYPE
        assert event.event_type.name == "Discovery Call"
        assert event.event_type.slug is None
        assert event.title == "Discovery Call"
        join_url = f"https://calendly.com/events/{FIRST_EVENT.rsplit('/', 1)[1]}/google_meet"
        assert event.meeting_url == join_url
        assert event.location == join_url

    def test_people(self) -> None:
        event = run(load("calendly_invitee_created.json")).event
        assert [a.email for a in event.attendees] == [JAMIE, SAM]
        invitee = event.attendees[0]
        assert invitee.name == "Jamie Prospect"
        assert invitee.time_zone == "Europe/Berlin"
        assert invitee.no_show is None
        assert event.primary_email == JAMIE
        assert event.time_zone == "Europe/Berlin"
        assert event.organizer is not None
        assert event.organizer.email == ALEX
        assert event.organizer.name == "Alex Organizer"

    def test_tracking_answers_and_method(self) -> None:
        event = run(load("calendly_invitee_created.json")).event
        tracking = event.tracking
        assert tracking.utm_source == "newsletter"
        assert tracking.utm_medium == "email"
        assert tracking.utm_campaign == "spring-launch"
        assert tracking.utm_content == "cta-button"
        assert tracking.utm_term is None
        assert tracking.salesforce_uuid is None
        assert tracking.extra == {}
        assert event.answers == {
            "Company name": "Example Org GmbH",
            "What would you like to discuss?": "We are evaluating tools for our sales team.",
        }
        assert event.booking_method == "booking_page"
        assert event.booked_by is None
        assert event.cancellation_reason is None

    def test_reschedule_create_half(self) -> None:
        body = load("calendly_invitee_created.json")
        body["payload"]["uri"] = SECOND_INVITEE
        body["payload"]["old_invitee"] = FIRST_INVITEE
        result = run(body)
        assert result.event.booking_uid == SECOND_INVITEE
        assert result.event.previous_booking_uid == FIRST_INVITEE
        assert result.event.is_reschedule is True
        assert result.event.trigger is BookingTrigger.CREATED
        assert result.dedupe_key == f"calendly:invitee.created:{SECOND_INVITEE}"

    def test_scheduled_by_someone_else(self) -> None:
        body = load("calendly_invitee_created.json")
        body["payload"]["scheduling_method"] = "instant_book"
        body["payload"]["invitee_scheduled_by"] = f"{API}/users/aa11"
        event = run(body).event
        assert event.booking_method == "instant_book"
        assert event.booked_by == f"{API}/users/aa11"

    def test_email_normalized_and_split_name(self) -> None:
        body = load("calendly_invitee_created.json")
        payload = body["payload"]
        payload["email"] = " Jamie.Prospect@Example.ORG "
        payload.update(name=None, first_name="Jamie", last_name="Prospect")
        payload["scheduled_event"]["event_guests"][0]["email"] = "SAM.colleague@example.org"
        payload["scheduled_event"]["event_memberships"][0]["user_email"] = (
            "ALEX.organizer@example.com"
        )
        event = run(body).event
        assert [a.email for a in event.attendees] == [JAMIE, SAM]
        assert event.attendees[0].name == "Jamie Prospect"
        assert event.organizer is not None
        assert event.organizer.email == ALEX

    def test_guest_equal_to_invitee_is_not_repeated(self) -> None:
        body = load("calendly_invitee_created.json")
        body["payload"]["scheduled_event"]["event_guests"].append({"email": JAMIE})
        assert [a.email for a in run(body).event.attendees] == [JAMIE, SAM]

    def test_physical_location(self) -> None:
        body = load("calendly_invitee_created.json")
        body["payload"]["scheduled_event"]["location"] = {
            "type": "physical",
            "location": "Main St 1, Berlin",
        }
        event = run(body).event
        assert event.location == "Main St 1, Berlin"
        assert event.meeting_url is None

    def test_location_type_when_nothing_else(self) -> None:
        body = load("calendly_invitee_created.json")
        body["payload"]["scheduled_event"]["location"] = {"type": "outbound_call"}
        event = run(body).event
        assert event.location == "outbound_call"
        assert event.meeting_url is None

    def test_extra_tracking_keys(self) -> None:
        body = load("calendly_invitee_created.json")
        body["payload"]["tracking"].update(salesforce_uuid="0031t00000AbCdE", gclid="Cj0KCQ")
        tracking = run(body).event.tracking
        assert tracking.salesforce_uuid == "0031t00000AbCdE"
        assert tracking.extra == {"gclid": "Cj0KCQ"}

    def test_missing_created_at_uses_received_at(self) -> None:
        body = load("calendly_invitee_created.json")
        body.pop("created_at")
        assert run(body).event.occurred_at == RECEIVED

    def test_requires_uri_email_and_slot(self) -> None:
        body = load("calendly_invitee_created.json")
        payload = body["payload"]
        payload.pop("uri")
        payload["email"] = None
        payload["scheduled_event"].pop("start_time")
        payload["scheduled_event"]["end_time"] = "half past three"
        error = payload_error(body)
        assert error.missing == [
            "payload.uri",
            "payload.email",
            "payload.scheduled_event.start_time",
            "payload.scheduled_event.end_time",
        ]
        message = str(error)
        for path in error.missing:
            assert path in message
        assert "invalid payload.scheduled_event.end_time" in message

    def test_requires_the_scheduled_event(self) -> None:
        body = load("calendly_invitee_created.json")
        body["payload"].pop("scheduled_event")
        assert payload_error(body).missing == [
            "payload.scheduled_event.start_time",
            "payload.scheduled_event.end_time",
        ]


# --- invitee.canceled ------------------------------------------------------------------------


class TestCanceled:
    def test_plain_cancellation(self) -> None:
        result = run(load("calendly_invitee_canceled.json"))
        event = result.event
        assert event.trigger is BookingTrigger.CANCELLED
        assert event.provider_trigger == "invitee.canceled"
        assert event.booking_uid == FIRST_INVITEE
        assert event.status == "canceled"
        assert event.cancellation_reason == "We decided to postpone the evaluation."
        assert event.cancelled_by == "Jamie Prospect"
        assert event.is_reschedule is False
        assert event.next_booking_uid is None
        assert event.occurred_at == utc("2025-03-17T11:05:52")
        assert event.start_time == utc("2025-03-18T15:00:00")
        assert result.dedupe_key == f"calendly:invitee.canceled:{FIRST_INVITEE}"

    def test_reschedule_cancel_half(self) -> None:
        result = run(load("calendly_invitee_rescheduled_cancel.json"))
        event = result.event
        assert event.trigger is BookingTrigger.CANCELLED
        assert event.booking_uid == FIRST_INVITEE
        assert event.is_reschedule is True
        assert event.next_booking_uid == SECOND_INVITEE
        assert event.cancellation_reason == "Conflict with an internal meeting."
        assert event.occurred_at == utc("2025-03-14T08:05:13")
        assert result.dedupe_key == f"calendly:invitee.canceled:{FIRST_INVITEE}"

    def test_cancellation_from_the_scheduled_event(self) -> None:
        body = load("calendly_invitee_canceled.json")
        body["payload"]["cancellation"] = None
        body["payload"]["scheduled_event"]["cancellation"]["reason"] = "Host is ill."
        body["payload"]["scheduled_event"]["cancellation"]["canceled_by"] = "Alex Organizer"
        event = run(body).event
        assert event.cancellation_reason == "Host is ill."
        assert event.cancelled_by == "Alex Organizer"

    def test_does_not_need_a_slot(self) -> None:
        body = load("calendly_invitee_canceled.json")
        body["payload"]["scheduled_event"].pop("start_time")
        body["payload"]["scheduled_event"].pop("end_time")
        assert run(body).event.start_time is None

    def test_invalid_optional_time_still_fails(self) -> None:
        body = load("calendly_invitee_canceled.json")
        body["payload"]["scheduled_event"]["start_time"] = "2025-03-18"
        assert payload_error(body).missing == ["payload.scheduled_event.start_time"]


# --- invitee_no_show.* -----------------------------------------------------------------------


class TestNoShow:
    def test_created(self) -> None:
        result = run(load("calendly_no_show_created.json"))
        event = result.event
        assert event.trigger is BookingTrigger.NO_SHOW_UPDATED
        assert event.provider_trigger == "invitee_no_show.created"
        assert event.booking_uid == SECOND_INVITEE
        assert event.previous_booking_uid == FIRST_INVITEE
        assert event.is_reschedule is False
        assert [(a.email, a.no_show) for a in event.attendees] == [(JAMIE, True)]
        assert event.start_time == utc("2025-03-20T14:00:00")
        assert event.occurred_at == utc("2025-03-20T14:21:08")
        raw_key = f"calendly:invitee_no_show.created:{SECOND_INVITEE}:{NO_SHOW_URI}"
        assert len(raw_key) > 200
        assert result.dedupe_key == hashed(raw_key)

    def test_deleted(self) -> None:
        result = run(no_show_deleted())
        assert result.event.trigger is BookingTrigger.NO_SHOW_UPDATED
        assert result.event.provider_trigger == "invitee_no_show.deleted"
        assert [(a.email, a.no_show) for a in result.event.attendees] == [(JAMIE, False)]
        raw_key = f"calendly:invitee_no_show.deleted:{SECOND_INVITEE}:{NO_SHOW_URI}"
        assert result.dedupe_key == hashed(raw_key)
        assert result.dedupe_key != run(load("calendly_no_show_created.json")).dedupe_key

    def test_deleted_without_no_show_uses_created_at(self) -> None:
        body = no_show_deleted()
        body["payload"]["no_show"] = None
        key = f"calendly:invitee_no_show.deleted:{SECOND_INVITEE}:2025-03-20T16:00:00.000000Z"
        assert len(key) <= 200
        assert run(body).dedupe_key == key

    def test_short_keys_are_not_hashed(self) -> None:
        body = load("calendly_no_show_created.json")
        body["payload"]["uri"] = "inv-1"
        body["payload"]["no_show"]["uri"] = "ns-1"
        assert run(body).dedupe_key == "calendly:invitee_no_show.created:inv-1:ns-1"

    def test_does_not_need_a_slot(self) -> None:
        body = load("calendly_no_show_created.json")
        body["payload"].pop("scheduled_event")
        event = run(body).event
        assert event.start_time is None
        assert event.organizer is None
        assert [a.email for a in event.attendees] == [JAMIE]


# --- ignored and unusable deliveries ---------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["routing_form_submission.created", "event_type.created", "meeting_recap.created", "x.y"],
)
def test_other_events_are_ignored(name: str) -> None:
    body = load("calendly_invitee_created.json")
    body["event"] = name
    result = normalize_calendly(body, tenant_id="demo", raw_event_id=RAW_ID, received_at=RECEIVED)
    assert result == Ignored(reason=f"trigger {name} is not booking-related", trigger=name)


def test_missing_event() -> None:
    body = load("calendly_invitee_created.json")
    body.pop("event")
    error = payload_error(body)
    assert error.missing == ["event"]
    assert "event" in str(error)


@pytest.mark.parametrize("body", [[], "invitee.created", 3.5, None])
def test_non_object_body(body: object) -> None:
    error = payload_error(body)
    assert "body must be a JSON object" in str(error)


@pytest.mark.parametrize("payload", [None, ["x"]])
def test_payload_must_be_an_object(payload: object) -> None:
    body = load("calendly_invitee_created.json")
    body["payload"] = payload
    error = payload_error(body)
    assert error.missing == ["payload"]
    assert "payload must be a JSON object" in str(error)


def test_invalid_envelope_created_at() -> None:
    body = load("calendly_invitee_created.json")
    body["created_at"] = 1741772487
    assert payload_error(body).missing == ["created_at"]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"event": "invitee.created"}, "invitee.created"),
        (
            {"event": "routing_form_submission.created", "payload": None},
            "routing_form_submission.created",
        ),
        ({"triggerEvent": "BOOKING_CREATED"}, ""),
        ({"event": None}, ""),
        (["invitee.created"], ""),
        ("invitee.created", ""),
    ],
)
def test_provider_trigger(body: object, expected: str) -> None:
    assert provider_trigger(Provider.CALENDLY, body) == expected
