"""Cal.com delivery -> BookingEvent, driven by the sample payloads in the ingest.samples package."""

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
    normalize_calcom,
    provider_trigger,
)

RAW_ID = UUID("0b8f3a52-6d0e-4f1c-9a7b-2c3d4e5f6a7b")
RECEIVED = datetime(2025, 3, 21, 9, 0, 0, tzinfo=UTC)

JAMIE = "jamie.prospect@example.org"
SAM = "sam.colleague@example.org"
ALEX = "alex.organizer@example.com"
FIRST_UID = "3nQ8aZpYc1Lr7TxWm2Kd9v"
SECOND_UID = "7hWc2LmQx9Pz4RtYb6Nk1s"


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = samples.load(name.removesuffix(".json"))
    return data


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def run(body: object) -> Normalized:
    result = normalize_calcom(body, tenant_id="demo", raw_event_id=RAW_ID, received_at=RECEIVED)
    assert isinstance(result, Normalized), result
    return result


def payload_error(body: object) -> PayloadError:
    with pytest.raises(PayloadError) as caught:
        normalize_calcom(body, tenant_id="demo", raw_event_id=RAW_ID, received_at=RECEIVED)
    return caught.value


def created(**changes: Any) -> dict[str, Any]:
    """The BOOKING_CREATED sample with `payload` keys replaced (None deletes the key)."""
    body = copy.deepcopy(load("calcom_booking_created.json"))
    for key, value in changes.items():
        if value is None:
            body["payload"].pop(key, None)
        else:
            body["payload"][key] = value
    return body


def flat_meeting(trigger: str = "MEETING_ENDED", **changes: Any) -> dict[str, Any]:
    body = copy.deepcopy(load("calcom_meeting_ended.json"))
    body["triggerEvent"] = trigger
    for key, value in changes.items():
        if value is None:
            body.pop(key, None)
        else:
            body[key] = value
    return body


# --- BOOKING_CREATED ------------------------------------------------------------------------


class TestCreated:
    def test_envelope_and_identity(self) -> None:
        result = run(load("calcom_booking_created.json"))
        event = result.event
        assert event.tenant_id == "demo"
        assert event.provider is Provider.CALCOM
        assert event.trigger is BookingTrigger.CREATED
        assert event.provider_trigger == "BOOKING_CREATED"
        assert event.raw_event_id == RAW_ID
        assert event.received_at == RECEIVED
        assert event.occurred_at == datetime(2025, 3, 11, 10, 22, 31, 517000, tzinfo=UTC)
        assert event.booking_uid == FIRST_UID
        assert event.provider_booking_id == "880011"
        assert event.status == "ACCEPTED"
        assert event.previous_booking_uid is None
        assert event.is_reschedule is False
        assert result.dedupe_key == f"calcom:BOOKING_CREATED:{FIRST_UID}"

    def test_slot_event_type_and_texts(self) -> None:
        event = run(load("calcom_booking_created.json")).event
        assert event.start_time == utc("2025-03-18T15:00:00")
        assert event.end_time == utc("2025-03-18T15:30:00")
        assert event.start_time is not None
        assert event.start_time.tzinfo is UTC
        assert event.event_type.id == "412345"
        assert event.event_type.slug == "discovery-call"
        assert event.event_type.name == "Discovery Call"
        assert event.event_type.length_minutes == 30
        assert event.title == "Discovery Call between Alex Organizer and Jamie Prospect"
        assert event.description == "We are evaluating tools for our sales team."
        assert event.location == "integrations:daily"
        assert event.meeting_url == f"https://app.cal.com/video/{FIRST_UID}"

    def test_people(self) -> None:
        event = run(load("calcom_booking_created.json")).event
        assert [a.email for a in event.attendees] == [JAMIE, SAM]
        booker, guest = event.attendees
        assert booker.name == "Jamie Prospect"
        assert booker.time_zone == "Europe/Berlin"
        assert booker.no_show is None
        assert guest.name is None
        assert event.primary_email == JAMIE
        assert event.time_zone == "Europe/Berlin"
        assert event.organizer is not None
        assert event.organizer.email == ALEX
        assert event.organizer.name == "Alex Organizer"
        assert event.organizer.time_zone == "America/New_York"

    def test_tracking_and_answers(self) -> None:
        event = run(load("calcom_booking_created.json")).event
        assert event.tracking.utm_source == "newsletter"
        assert event.tracking.utm_medium is None
        assert event.tracking.extra == {}
        # Labels win over field names; identity, location, utm_* and empty fields are skipped.
        assert event.answers == {
            "additional_notes": "We are evaluating tools for our sales team.",
            "Company": "Example Org GmbH",
        }

    def test_booker_from_responses_is_put_first(self) -> None:
        body = created()
        body["payload"]["attendees"].reverse()
        assert body["payload"]["attendees"][0]["email"] == SAM
        event = run(body).event
        assert [a.email for a in event.attendees] == [JAMIE, SAM]
        assert event.time_zone == "Europe/Berlin"

    def test_emails_are_lowercased_and_stripped(self) -> None:
        body = created()
        body["payload"]["attendees"][0]["email"] = "  Jamie.Prospect@EXAMPLE.org "
        body["payload"]["responses"]["email"]["value"] = "JAMIE.prospect@example.org"
        body["payload"]["organizer"]["email"] = "Alex.Organizer@Example.com"
        event = run(body).event
        assert [a.email for a in event.attendees] == [JAMIE, SAM]
        assert event.organizer is not None
        assert event.organizer.email == ALEX

    def test_split_name_object_fills_the_booker_name(self) -> None:
        body = created()
        body["payload"]["responses"]["name"]["value"] = {
            "firstName": "Jamie",
            "lastName": "Prospect",
        }
        attendee = body["payload"]["attendees"][0]
        attendee["name"] = ""
        attendee.pop("firstName")
        attendee.pop("lastName")
        booker = run(body).event.attendees[0]
        assert booker.name == "Jamie Prospect"

    def test_attendee_first_and_last_name_when_name_is_blank(self) -> None:
        body = created()
        body["payload"]["attendees"][0]["name"] = ""
        body["payload"]["responses"].pop("name")
        assert run(body).event.attendees[0].name == "Jamie Prospect"

    def test_booker_phone_from_responses(self) -> None:
        body = created()
        body["payload"]["responses"]["attendeePhoneNumber"]["value"] = "+49 30 1234567"
        event = run(body).event
        assert event.attendees[0].phone == "+49 30 1234567"
        assert "phone_number" in event.answers

    def test_booker_from_responses_when_attendees_is_empty(self) -> None:
        event = run(created(attendees=[])).event
        assert [a.email for a in event.attendees] == [JAMIE]
        assert event.attendees[0].name == "Jamie Prospect"

    def test_description_falls_back_to_additional_notes(self) -> None:
        event = run(created(description="", additionalNotes="Bring the pricing sheet.")).event
        assert event.description == "Bring the pricing sheet."

    def test_meeting_url_falls_back_to_video_call_data(self) -> None:
        event = run(created(metadata={"campaign": "spring-launch"})).event
        assert event.meeting_url == "https://example.daily.co/Kx7pQ2mNvR4sT8wYz1Ab"

    def test_meeting_url_falls_back_to_url_location(self) -> None:
        url = "https://meet.google.com/abc-defg-hij"
        event = run(created(metadata=None, videoCallData=None, location=url)).event
        assert event.location == url
        assert event.meeting_url == url

    def test_no_meeting_url_for_an_address(self) -> None:
        event = run(created(metadata=None, videoCallData=None, location="Main St 1, Berlin")).event
        assert event.location == "Main St 1, Berlin"
        assert event.meeting_url is None

    def test_tracking_from_hidden_fields_metadata_and_extras(self) -> None:
        body = created(
            metadata={"utm_campaign": "spring-launch", "utm_source": "ignored", "fbclid": "fb-1"}
        )
        responses = body["payload"]["responses"]
        responses["utm_medium"] = "email"  # a bare value, not {label, value}
        responses["utm_term"] = {"label": "utm_term", "value": "crm tool", "isHidden": True}
        responses["gclid"] = {"label": "gclid", "value": "Cj0KCQ", "isHidden": True}
        event = run(body).event
        tracking = event.tracking
        assert tracking.utm_source == "newsletter"  # the booking field wins over metadata
        assert tracking.utm_medium == "email"
        assert tracking.utm_campaign == "spring-launch"
        assert tracking.utm_term == "crm tool"
        assert tracking.utm_content is None
        assert tracking.extra == {"gclid": "Cj0KCQ", "fbclid": "fb-1"}
        assert not {"gclid", "utm_term", "utm_medium"} & set(event.answers)

    def test_booking_method_from_creation_source(self) -> None:
        assert run(created(creationSource="API_V2")).event.booking_method == "api_v2"
        assert run(created()).event.booking_method is None

    def test_missing_created_at_uses_received_at(self) -> None:
        body = created()
        body.pop("createdAt")
        assert run(body).event.occurred_at == RECEIVED


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-03-18T15:00:00Z", datetime(2025, 3, 18, 15, tzinfo=UTC)),
        ("2025-03-18T15:00:00.000Z", datetime(2025, 3, 18, 15, tzinfo=UTC)),
        ("2025-03-18T15:00:00+00:00", datetime(2025, 3, 18, 15, tzinfo=UTC)),
        ("2025-03-18T15:00:00.123456Z", datetime(2025, 3, 18, 15, 0, 0, 123456, tzinfo=UTC)),
        ("2025-03-18T17:00:00+02:00", datetime(2025, 3, 18, 15, tzinfo=UTC)),
        ("2025-03-18T15:00:00", datetime(2025, 3, 18, 15, tzinfo=UTC)),
    ],
)
def test_datetime_formats(text: str, expected: datetime) -> None:
    event = run(created(startTime=text)).event
    assert event.start_time == expected
    assert event.start_time is not None
    assert event.start_time.tzinfo is UTC


@pytest.mark.parametrize("bad", ["not a date", "2025-03-18", "2025-13-01T00:00:00Z", 1742310000])
def test_invalid_datetime_names_the_path(bad: object) -> None:
    error = payload_error(created(startTime=bad))
    assert error.missing == ["payload.startTime"]
    assert "payload.startTime" in str(error)


def test_invalid_envelope_created_at() -> None:
    body = created()
    body["createdAt"] = "yesterday"
    assert payload_error(body).missing == ["createdAt"]


# --- REQUESTED / REJECTED --------------------------------------------------------------------


def test_requested() -> None:
    body = created(status="PENDING", oneTimePassword="c5a7e7f0")
    body["triggerEvent"] = "BOOKING_REQUESTED"
    result = run(body)
    assert result.event.trigger is BookingTrigger.REQUESTED
    assert result.event.provider_trigger == "BOOKING_REQUESTED"
    assert result.event.status == "PENDING"
    assert result.event.is_reschedule is False
    assert result.dedupe_key == f"calcom:BOOKING_REQUESTED:{FIRST_UID}"


def test_requested_needs_a_slot_and_an_attendee() -> None:
    body = created(startTime=None, attendees=[])
    body["triggerEvent"] = "BOOKING_REQUESTED"
    body["payload"]["responses"].pop("email")
    assert payload_error(body).missing == ["payload.startTime", "payload.attendees[0].email"]


def test_requested_reschedule_is_a_reschedule() -> None:
    body = created(status="PENDING", rescheduleUid=FIRST_UID, uid=SECOND_UID)
    body["triggerEvent"] = "BOOKING_REQUESTED"
    event = run(body).event
    assert event.previous_booking_uid == FIRST_UID
    assert event.is_reschedule is True


def test_rejected() -> None:
    body = created(status="REJECTED", rejectionReason="Not a fit for this slot.")
    body["triggerEvent"] = "BOOKING_REJECTED"
    result = run(body)
    assert result.event.trigger is BookingTrigger.REJECTED
    assert result.event.rejection_reason == "Not a fit for this slot."
    assert result.event.status == "REJECTED"
    assert result.event.booking_uid == FIRST_UID
    assert result.dedupe_key == f"calcom:BOOKING_REJECTED:{FIRST_UID}"


def test_rejected_does_not_need_a_slot() -> None:
    body = created(startTime=None, endTime=None, attendees=None, responses=None)
    body["triggerEvent"] = "BOOKING_REJECTED"
    event = run(body).event
    assert event.start_time is None
    assert event.attendees == []
    assert event.time_zone == "America/New_York"  # falls back to the organizer's zone


# --- BOOKING_RESCHEDULED ---------------------------------------------------------------------


class TestRescheduled:
    def test_links_the_old_booking(self) -> None:
        result = run(load("calcom_booking_rescheduled.json"))
        event = result.event
        assert event.trigger is BookingTrigger.RESCHEDULED
        assert event.booking_uid == SECOND_UID
        assert event.provider_booking_id == "880457"
        assert event.previous_booking_uid == FIRST_UID
        assert event.is_reschedule is True
        assert event.start_time == utc("2025-03-20T14:00:00")
        assert event.end_time == utc("2025-03-20T14:30:00")
        assert event.previous_start_time == utc("2025-03-18T15:00:00")
        assert event.previous_end_time == utc("2025-03-18T15:30:00")
        assert event.rescheduled_by == JAMIE
        assert event.cancellation_reason is None
        assert event.meeting_url == f"https://app.cal.com/video/{SECOND_UID}"
        assert event.answers["reason_for_reschedule"] == "Conflict with an internal meeting."
        assert event.occurred_at == datetime(2025, 3, 14, 8, 5, 12, 44000, tzinfo=UTC)
        assert result.dedupe_key == f"calcom:BOOKING_RESCHEDULED:{SECOND_UID}"

    def test_falls_back_to_reschedule_id(self) -> None:
        body = load("calcom_booking_rescheduled.json")
        body["payload"].pop("rescheduleUid")
        assert run(body).event.previous_booking_uid == "id:880011"

    def test_requires_the_old_booking(self) -> None:
        body = load("calcom_booking_rescheduled.json")
        body["payload"].pop("rescheduleUid")
        body["payload"].pop("rescheduleId")
        error = payload_error(body)
        assert error.missing == ["payload.rescheduleUid"]
        assert "payload.rescheduleUid" in str(error)


# --- BOOKING_CANCELLED -----------------------------------------------------------------------


class TestCancelled:
    def test_cancellation(self) -> None:
        result = run(load("calcom_booking_cancelled.json"))
        event = result.event
        assert event.trigger is BookingTrigger.CANCELLED
        assert event.booking_uid == SECOND_UID
        assert event.status == "CANCELLED"
        assert event.cancellation_reason == "We decided to postpone the evaluation."
        assert event.cancelled_by == JAMIE
        assert event.is_reschedule is False
        assert event.previous_booking_uid is None
        # `+00:00` format.
        assert event.start_time == utc("2025-03-20T14:00:00")
        assert event.end_time == utc("2025-03-20T14:30:00")
        assert [a.email for a in event.attendees] == [JAMIE, SAM]
        assert event.answers["company"] == "Example Org GmbH"
        assert result.dedupe_key == f"calcom:BOOKING_CANCELLED:{SECOND_UID}"

    def test_request_reschedule_is_a_reschedule(self) -> None:
        body = load("calcom_booking_cancelled.json")
        body["payload"]["requestReschedule"] = True
        body["payload"]["cancelledBy"] = ALEX
        event = run(body).event
        assert event.trigger is BookingTrigger.CANCELLED
        assert event.is_reschedule is True
        assert event.cancelled_by == ALEX

    def test_does_not_need_a_slot(self) -> None:
        body = load("calcom_booking_cancelled.json")
        body["payload"].pop("startTime")
        body["payload"].pop("endTime")
        assert run(body).event.start_time is None


# --- MEETING_STARTED / MEETING_ENDED ---------------------------------------------------------


class TestMeeting:
    def test_flat_meeting_ended(self) -> None:
        result = run(load("calcom_meeting_ended.json"))
        event = result.event
        assert event.trigger is BookingTrigger.MEETING_ENDED
        assert event.booking_uid == SECOND_UID
        assert event.provider_booking_id == "880457"
        # Root createdAt is the booking row's creation, not the delivery's.
        assert event.occurred_at == RECEIVED
        assert event.start_time == utc("2025-03-20T14:00:00")
        assert event.end_time == utc("2025-03-20T14:30:00")
        assert event.organizer is not None
        assert event.organizer.email == ALEX
        assert event.organizer.name == "Alex Organizer"
        assert event.organizer.time_zone == "America/New_York"
        assert [(a.email, a.no_show) for a in event.attendees] == [(JAMIE, False), (SAM, False)]
        assert event.event_type.id == "412345"
        assert event.booking_method == "webapp"
        assert event.rescheduled_by == JAMIE
        assert result.dedupe_key == f"calcom:MEETING_ENDED:{SECOND_UID}"

    def test_reschedule_reason_is_not_a_cancellation_reason(self) -> None:
        event = run(load("calcom_meeting_ended.json")).event
        assert event.cancellation_reason is None
        assert event.previous_booking_uid == FIRST_UID
        assert event.is_reschedule is False

    def test_cancellation_reason_kept_without_from_reschedule(self) -> None:
        body = flat_meeting(fromReschedule=None, cancellationReason="Host unavailable.")
        event = run(body).event
        assert event.cancellation_reason == "Host unavailable."
        assert event.previous_booking_uid is None

    def test_meeting_started(self) -> None:
        result = run(flat_meeting("MEETING_STARTED"))
        assert result.event.trigger is BookingTrigger.MEETING_STARTED
        assert result.event.provider_trigger == "MEETING_STARTED"
        assert result.event.booking_uid == SECOND_UID
        assert result.dedupe_key == f"calcom:MEETING_STARTED:{SECOND_UID}"

    def test_wrapped_meeting_ended(self) -> None:
        row = load("calcom_meeting_ended.json")
        trigger = row.pop("triggerEvent")
        body = {"triggerEvent": trigger, "createdAt": "2025-03-20T14:31:02.250Z", "payload": row}
        result = run(body)
        event = result.event
        assert event.trigger is BookingTrigger.MEETING_ENDED
        assert event.booking_uid == SECOND_UID
        assert event.occurred_at == datetime(2025, 3, 20, 14, 31, 2, 250000, tzinfo=UTC)
        assert event.organizer is not None
        assert event.organizer.email == ALEX
        assert event.cancellation_reason is None
        assert event.previous_booking_uid == FIRST_UID
        assert [a.email for a in event.attendees] == [JAMIE, SAM]
        assert result.dedupe_key == f"calcom:MEETING_ENDED:{SECOND_UID}"

    def test_organizer_from_user_primary_email(self) -> None:
        body = flat_meeting(user=None, userPrimaryEmail="Alex.Organizer@example.com")
        event = run(body).event
        assert event.organizer is not None
        assert event.organizer.email == ALEX
        assert event.organizer.name is None

    def test_flat_meeting_requires_root_uid(self) -> None:
        error = payload_error(flat_meeting(uid=None))
        assert error.missing == ["uid"]


# --- BOOKING_NO_SHOW_UPDATED -----------------------------------------------------------------


class TestNoShow:
    def test_marked(self) -> None:
        result = run(load("calcom_no_show_updated.json"))
        event = result.event
        assert event.trigger is BookingTrigger.NO_SHOW_UPDATED
        assert event.booking_uid == SECOND_UID
        assert event.provider_booking_id == "880457"
        assert [(a.email, a.no_show) for a in event.attendees] == [(JAMIE, True)]
        assert event.occurred_at == datetime(2025, 3, 20, 15, 2, 44, 118000, tzinfo=UTC)
        assert event.start_time is None
        assert result.dedupe_key == (
            f"calcom:BOOKING_NO_SHOW_UPDATED:{SECOND_UID}:{JAMIE}=true:2025-03-20T15:02:44.118Z"
        )

    def test_unmarked_has_its_own_dedupe_key(self) -> None:
        marked = load("calcom_no_show_updated.json")
        unmarked = copy.deepcopy(marked)
        unmarked["payload"]["attendees"][0]["noShow"] = False
        first, second = run(marked), run(unmarked)
        assert second.event.attendees[0].no_show is False
        assert second.dedupe_key != first.dedupe_key
        assert second.dedupe_key.endswith(f"{JAMIE}=false:2025-03-20T15:02:44.118Z")

    def test_pairs_are_sorted(self) -> None:
        body = load("calcom_no_show_updated.json")
        body["payload"]["attendees"] = [
            {"email": "Zed@Example.org", "noShow": False},
            {"email": "amy@example.org", "noShow": True},
        ]
        result = run(body)
        assert [a.email for a in result.event.attendees] == ["zed@example.org", "amy@example.org"]
        assert ":amy@example.org=true,zed@example.org=false:" in result.dedupe_key

    def test_requires_booking_uid(self) -> None:
        body = load("calcom_no_show_updated.json")
        body["payload"].pop("bookingUid")
        assert payload_error(body).missing == ["payload.bookingUid"]


# --- ignored deliveries ----------------------------------------------------------------------


def test_ping_is_ignored() -> None:
    result = normalize_calcom(
        load("calcom_ping.json"), tenant_id="demo", raw_event_id=RAW_ID, received_at=RECEIVED
    )
    assert result == Ignored(reason="PING test delivery", trigger="PING")


@pytest.mark.parametrize(
    "trigger", ["FORM_SUBMITTED", "BOOKING_PAID", "AFTER_HOSTS_CAL_VIDEO_NO_SHOW", "SOMETHING_NEW"]
)
def test_other_triggers_are_ignored(trigger: str) -> None:
    body = created()
    body["triggerEvent"] = trigger
    result = normalize_calcom(body, tenant_id="demo", raw_event_id=RAW_ID, received_at=RECEIVED)
    assert isinstance(result, Ignored)
    assert result.trigger == trigger
    assert result.reason == f"trigger {trigger} is not booking-related"


# --- unusable deliveries ---------------------------------------------------------------------


def test_missing_trigger_event() -> None:
    body = created()
    body.pop("triggerEvent")
    error = payload_error(body)
    assert error.missing == ["triggerEvent"]
    assert "triggerEvent" in str(error)


def test_empty_body_lacks_trigger_event() -> None:
    assert payload_error({}).missing == ["triggerEvent"]


@pytest.mark.parametrize("body", [[], ["BOOKING_CREATED"], "BOOKING_CREATED", 42, None, True])
def test_non_object_body(body: object) -> None:
    error = payload_error(body)
    assert "body must be a JSON object" in str(error)
    assert error.missing == []


@pytest.mark.parametrize("payload", [None, [], "x"])
def test_payload_must_be_an_object(payload: object) -> None:
    body = created()
    body["payload"] = payload
    error = payload_error(body)
    assert error.missing == ["payload"]
    assert "payload must be a JSON object" in str(error)


def test_lists_all_missing_paths() -> None:
    body = created(uid=None, startTime=None, endTime="soon", attendees=[{"name": "No Email"}])
    body["payload"]["responses"].pop("email")
    error = payload_error(body)
    assert error.missing == [
        "payload.uid",
        "payload.startTime",
        "payload.attendees[0].email",
        "payload.endTime",
    ]
    message = str(error)
    for path in error.missing:
        assert path in message
    assert "missing payload.uid, payload.startTime, payload.attendees[0].email" in message
    assert "invalid payload.endTime" in message


def test_blank_uid_counts_as_missing() -> None:
    assert payload_error(created(uid="   ")).missing == ["payload.uid"]


# --- dedupe keys and provider_trigger --------------------------------------------------------


def test_long_dedupe_key_is_hashed() -> None:
    uid = "u" * 250  # the longest uid is 256 characters
    result = run(created(uid=uid))
    raw_key = f"calcom:BOOKING_CREATED:{uid}"
    assert result.dedupe_key == "calcom:" + hashlib.sha256(raw_key.encode()).hexdigest()
    assert len(result.dedupe_key) <= 200
    assert result.event.booking_uid == uid


def test_redelivery_has_the_same_dedupe_key() -> None:
    first = run(load("calcom_booking_created.json"))
    again = normalize_calcom(
        load("calcom_booking_created.json"),
        tenant_id="demo",
        raw_event_id=UUID(int=1),
        received_at=datetime(2025, 3, 22, tzinfo=UTC),
    )
    assert isinstance(again, Normalized)
    assert again.dedupe_key == first.dedupe_key


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"triggerEvent": "BOOKING_CREATED", "payload": {}}, "BOOKING_CREATED"),
        ({"triggerEvent": "PING"}, "PING"),
        ({"triggerEvent": 7}, ""),
        ({"payload": {}}, ""),
        ([{"triggerEvent": "BOOKING_CREATED"}], ""),
        ("BOOKING_CREATED", ""),
        (None, ""),
    ],
)
def test_provider_trigger(body: object, expected: str) -> None:
    assert provider_trigger(Provider.CALCOM, body) == expected
