"""Cal.com webhook deliveries (payload version 2021-10-20) -> BookingEvent."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from dealflow_schemas.bookings import (
    Attendee,
    BookingEvent,
    BookingTrigger,
    EventType,
    Person,
    Provider,
    Tracking,
)
from dealflow_schemas.bounded import MAX_ATTENDEES, TEXT
from ingest.domain._parse import (
    Node,
    Receipt,
    as_object,
    is_http_url,
    join_name,
    primary_time_zone,
)
from ingest.domain.results import Ignored, Normalized, PayloadError, dedupe_key

T = BookingTrigger

CALCOM_TRIGGERS: dict[str, BookingTrigger] = {
    "BOOKING_CREATED": T.CREATED,
    "BOOKING_REQUESTED": T.REQUESTED,
    "BOOKING_REJECTED": T.REJECTED,
    "BOOKING_RESCHEDULED": T.RESCHEDULED,
    "BOOKING_CANCELLED": T.CANCELLED,
    "MEETING_STARTED": T.MEETING_STARTED,
    "MEETING_ENDED": T.MEETING_ENDED,
    "BOOKING_NO_SHOW_UPDATED": T.NO_SHOW_UPDATED,
}

#: Triggers that must say when the meeting is and who comes.
_NEEDS_SLOT = frozenset({T.CREATED, T.REQUESTED, T.RESCHEDULED})
#: Triggers whose body is the raw booking row (flat, or wrapped in `payload` by newer code).
_MEETING = frozenset({T.MEETING_STARTED, T.MEETING_ENDED})

EXTRA_TRACKING_KEYS = ("gclid", "fbclid", "ref", "li_fat_id")
#: Booking-form fields that are identity, logistics or tracking, not answers to questions.
_NOT_ANSWERS = frozenset({"name", "email", "guests", "location", *EXTRA_TRACKING_KEYS})


@dataclass(frozen=True)
class _Delivery:
    root: Node
    data: Node  # `payload`, or the root for the flat MEETING_* shape
    name: str
    trigger: BookingTrigger
    flat: bool


@dataclass(frozen=True)
class _Core:
    """The validated fields: everything that can make a delivery unusable."""

    uid: str
    start: datetime | None
    end: datetime | None
    attendees: list[Attendee]
    previous_uid: str | None
    previous_start: datetime | None
    previous_end: datetime | None
    occurred_at: datetime


def normalize_calcom(
    body: object, *, tenant_id: str, raw_event_id: UUID, received_at: datetime
) -> Normalized | Ignored:
    """Normalize one Cal.com delivery, or say why it is ignored. Raises PayloadError."""
    delivery = _delivery(body)
    if isinstance(delivery, Ignored):
        return delivery
    receipt = Receipt(tenant_id, raw_event_id, received_at)
    core = _validate(delivery, received_at)
    event = _build(delivery, core, receipt)
    delivery.root.check(f"Cal.com {delivery.name} delivery is unusable")
    return Normalized(event=event, dedupe_key=_dedupe_key(delivery, core))


def _delivery(body: object) -> _Delivery | Ignored:
    root = Node(as_object(body))
    name = root.require_text("triggerEvent")
    root.check("Cal.com delivery has no usable triggerEvent")
    if name == "PING":
        return Ignored(reason="PING test delivery", trigger=name)
    trigger = CALCOM_TRIGGERS.get(name)
    if trigger is None:
        return Ignored(reason=f"trigger {name} is not booking-related", trigger=name)
    if isinstance(root.get("payload"), Mapping):
        return _Delivery(root, root.child("payload"), name, trigger, flat=False)
    if trigger in _MEETING:
        return _Delivery(root, root, name, trigger, flat=True)
    raise PayloadError(f"Cal.com {name}: payload must be a JSON object", ["payload"])


def _validate(delivery: _Delivery, received_at: datetime) -> _Core:
    data, trigger = delivery.data, delivery.trigger
    uid_key = "bookingUid" if trigger is T.NO_SHOW_UPDATED else "uid"
    uid = data.require_id(uid_key)
    needs_slot = trigger in _NEEDS_SLOT
    start = data.timestamp("startTime", required=needs_slot)
    end = data.timestamp("endTime", required=needs_slot)
    attendees = _attendees(data)
    if needs_slot and not attendees:
        data.problems.missing.append(f"{data.at('attendees')}[0].email")
    previous_uid = _previous_uid(data, trigger)
    occurred_at = received_at
    if not delivery.flat:
        occurred_at = delivery.root.timestamp("createdAt") or received_at
    core = _Core(
        uid=uid,
        start=start,
        end=end,
        attendees=attendees,
        previous_uid=previous_uid,
        previous_start=data.timestamp("rescheduleStartTime"),
        previous_end=data.timestamp("rescheduleEndTime"),
        occurred_at=occurred_at,
    )
    data.check(f"Cal.com {delivery.name} delivery is unusable")
    return core


def _build(delivery: _Delivery, core: _Core, receipt: Receipt) -> BookingEvent:
    data, trigger = delivery.data, delivery.trigger
    organizer = _organizer(data)
    return BookingEvent(
        tenant_id=receipt.tenant_id,
        provider=Provider.CALCOM,
        trigger=trigger,
        provider_trigger=delivery.name,
        raw_event_id=receipt.raw_event_id,
        occurred_at=core.occurred_at,
        received_at=receipt.received_at,
        booking_uid=core.uid,
        previous_booking_uid=core.previous_uid,
        is_reschedule=_is_reschedule(data, trigger, core.previous_uid),
        provider_booking_id=_booking_id(data, trigger),
        status=data.text("status"),
        event_type=_event_type(data),
        title=data.text("title"),
        description=data.text("description", TEXT) or data.text("additionalNotes", TEXT),
        start_time=core.start,
        end_time=core.end,
        time_zone=primary_time_zone(core.attendees, organizer),
        organizer=organizer,
        attendees=core.attendees,
        location=data.text("location", TEXT),
        meeting_url=_meeting_url(data),
        cancellation_reason=_cancellation_reason(data, trigger),
        cancelled_by=data.email("cancelledBy"),
        rejection_reason=data.text("rejectionReason", TEXT),
        rescheduled_by=data.email("rescheduledBy"),
        previous_start_time=core.previous_start,
        previous_end_time=core.previous_end,
        booking_method=_booking_method(data),
        tracking=_tracking(data),
        answers=_answers(data),
    )


def _dedupe_key(delivery: _Delivery, core: _Core) -> str:
    """`(triggerEvent, uid)`; no-show marks can toggle, so they also carry flags and createdAt."""
    if delivery.trigger is not T.NO_SHOW_UPDATED:
        return dedupe_key(Provider.CALCOM, delivery.name, core.uid)
    flags = {None: "null", True: "true", False: "false"}
    pairs = ",".join(sorted(f"{a.email}={flags[a.no_show]}" for a in core.attendees))
    created_at = delivery.root.text("createdAt") or ""
    return dedupe_key(Provider.CALCOM, delivery.name, core.uid, pairs, created_at)


# --- people -------------------------------------------------------------------------------


def _response(responses: Node, key: str) -> tuple[Node, str]:
    """Where a booking-form answer is: `{label, value, isHidden}` objects, or a bare value."""
    if type(responses.get(key)) is dict:
        return responses.child(key), "value"
    return responses, key


def _name_value(responses: Node) -> str | None:
    """`responses.name.value` is a string, or `{firstName, lastName}` for split name fields."""
    node, key = _response(responses, "name")
    if isinstance(node.get(key), Mapping):
        split = node.child(key)
        return join_name(split.text("firstName"), split.text("lastName"))
    return node.text(key)


def _attendee(node: Node) -> Attendee:
    return Attendee(
        email=node.email("email"),
        name=node.text("name") or join_name(node.text("firstName"), node.text("lastName")),
        time_zone=node.text("timeZone"),
        phone=node.text("phoneNumber"),
        no_show=node.flag("noShow"),
    )


def _attendees(data: Node) -> list[Attendee]:
    """Attendees with an email, deduplicated, the booker (`responses.email`) first."""
    responses = data.child("responses")
    node, key = _response(responses, "email")
    booker = node.email(key)
    found: dict[str, Attendee] = {}
    for node in data.children("attendees", limit=MAX_ATTENDEES):
        person = _attendee(node)
        if person.email and person.email not in found:
            found[person.email] = person
    people = sorted(found.values(), key=lambda person: person.email != booker)
    if not people and booker:
        people = [Attendee(email=booker)]
    if people and people[0].email == booker:
        people[0] = _with_booker_answers(people[0], responses)
    return people


def _with_booker_answers(booker: Attendee, responses: Node) -> Attendee:
    """Fill the booker's name and phone from the booking form when attendees[] lacks them."""
    update: dict[str, str] = {}
    name = _name_value(responses)
    if booker.name is None and name:
        update["name"] = name
    node, key = _response(responses, "attendeePhoneNumber")
    phone = node.text(key)
    if booker.phone is None and phone:
        update["phone"] = phone
    return booker.model_copy(update=update) if update else booker


def _organizer(data: Node) -> Person | None:
    """`organizer` on booking payloads; `user` / `userPrimaryEmail` on booking rows."""
    fallback_email = data.email("userPrimaryEmail")
    for key in ("organizer", "user"):
        node = data.child(key)
        email, name = node.email("email"), node.text("name")
        if email or name:
            email = email or fallback_email
            return Person(email=email, name=name, time_zone=node.text("timeZone"))
    return Person(email=fallback_email) if fallback_email else None


# --- booking details ----------------------------------------------------------------------


def _previous_uid(data: Node, trigger: BookingTrigger) -> str | None:
    """The booking this one replaces: rescheduleUid, `id:<rescheduleId>`, or fromReschedule."""
    uid = data.ident("rescheduleUid")
    old_id = data.ident("rescheduleId")
    if uid is None and old_id is not None:
        uid = f"id:{old_id}"
    uid = uid or data.ident("fromReschedule")
    if uid is None and trigger is T.RESCHEDULED:
        data.problems.missing.append(data.at("rescheduleUid"))
    return uid


def _is_reschedule(data: Node, trigger: BookingTrigger, previous_uid: str | None) -> bool:
    if trigger is T.RESCHEDULED or data.flag("requestReschedule"):
        return True
    # A reschedule that needs confirmation arrives as REQUESTED, then CREATED on acceptance.
    return trigger in (T.CREATED, T.REQUESTED) and previous_uid is not None


def _booking_id(data: Node, trigger: BookingTrigger) -> str | None:
    booking_id = data.ident("bookingId")
    if booking_id is None and trigger in _MEETING:
        booking_id = data.ident("id")  # booking rows carry the numeric id as `id`
    return booking_id


def _event_type(data: Node) -> EventType:
    return EventType(
        id=data.ident("eventTypeId"),
        slug=data.text("type"),
        name=data.text("eventTitle"),
        length_minutes=data.integer("length"),
    )


def _meeting_url(data: Node) -> str | None:
    candidates = (
        data.child("metadata").text("videoCallUrl", TEXT),
        data.child("videoCallData").text("url", TEXT),
        data.text("location", TEXT),
    )
    return next((url for url in candidates if is_http_url(url)), None)


def _cancellation_reason(data: Node, trigger: BookingTrigger) -> str | None:
    """On a booking row created by a reschedule, cancellationReason is the reschedule reason."""
    if trigger in _MEETING and data.ident("fromReschedule"):
        return None
    return data.text("cancellationReason", TEXT)


def _booking_method(data: Node) -> str | None:
    method = data.text("creationSource") or data.child("metadata").text("creationSource")
    return method.lower() if method else None


def _tracking(data: Node) -> Tracking:
    """UTMs from hidden booking fields (`responses`), else from booking `metadata`."""
    responses, metadata = data.child("responses"), data.child("metadata")

    def pick(key: str) -> str | None:
        node, at = _response(responses, key)
        return node.scalar(at) or metadata.scalar(key)

    extra = {key: value for key in EXTRA_TRACKING_KEYS if (value := pick(key))}
    return Tracking(
        utm_source=pick("utm_source"),
        utm_medium=pick("utm_medium"),
        utm_campaign=pick("utm_campaign"),
        utm_term=pick("utm_term"),
        utm_content=pick("utm_content"),
        extra=extra,
    )


def _answers(data: Node) -> dict[str, Any]:
    """Booking-form answers keyed by label (field name when unlabeled or the label repeats)."""
    answers: dict[str, Any] = {}
    responses = data.child("responses")
    for key in responses.storable_keys():
        if key in _NOT_ANSWERS or key.startswith("utm_"):
            continue
        node, at = _response(responses, key)
        value = node.json(at)
        if value is None or value == "" or value == []:
            continue
        label = node.text("label") if node is not responses else None
        answers[label if label and label not in answers else key] = value
    return answers
