"""Calendly API v2 webhook deliveries -> BookingEvent."""

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
from ingest.domain.results import Ignored, Normalized, dedupe_key

T = BookingTrigger

CALENDLY_TRIGGERS: dict[str, BookingTrigger] = {
    "invitee.created": T.CREATED,
    "invitee.canceled": T.CANCELLED,
    "invitee_no_show.created": T.NO_SHOW_UPDATED,
    "invitee_no_show.deleted": T.NO_SHOW_UPDATED,
}

#: The invitee's no-show flag as set by each no-show event.
_NO_SHOW_FLAG: dict[str, bool] = {
    "invitee_no_show.created": True,
    "invitee_no_show.deleted": False,
}

_TRACKING_FIELDS = frozenset(
    {"utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "salesforce_uuid"}
)


@dataclass(frozen=True)
class _Delivery:
    root: Node
    data: Node  # the invitee (`payload`)
    name: str
    trigger: BookingTrigger

    @property
    def scheduled(self) -> Node:
        return self.data.child("scheduled_event")


@dataclass(frozen=True)
class _Core:
    """The validated fields: everything that can make a delivery unusable."""

    uri: str
    email: str
    start: datetime | None
    end: datetime | None
    occurred_at: datetime


def normalize_calendly(
    body: object, *, tenant_id: str, raw_event_id: UUID, received_at: datetime
) -> Normalized | Ignored:
    """Normalize one Calendly delivery, or say why it is ignored. Raises PayloadError."""
    delivery = _delivery(body)
    if isinstance(delivery, Ignored):
        return delivery
    receipt = Receipt(tenant_id, raw_event_id, received_at)
    core = _validate(delivery, received_at)
    event = _build(delivery, core, receipt)
    delivery.root.check(f"Calendly {delivery.name} delivery is unusable")
    return Normalized(event=event, dedupe_key=_dedupe_key(delivery, core))


def _delivery(body: object) -> _Delivery | Ignored:
    root = Node(as_object(body))
    name = root.require_text("event")
    root.check("Calendly delivery has no usable event")
    trigger = CALENDLY_TRIGGERS.get(name)
    if trigger is None:
        return Ignored(reason=f"trigger {name} is not booking-related", trigger=name)
    as_object(root.get("payload"), "payload")
    return _Delivery(root, root.child("payload"), name, trigger)


def _validate(delivery: _Delivery, received_at: datetime) -> _Core:
    data = delivery.data
    uri = data.require_id("uri")
    email = data.email("email")
    if email is None and data.at("email") not in data.problems.invalid:
        data.problems.missing.append(data.at("email"))
    needs_slot = delivery.trigger is T.CREATED
    core = _Core(
        uri=uri,
        email=email or "",
        start=delivery.scheduled.timestamp("start_time", required=needs_slot),
        end=delivery.scheduled.timestamp("end_time", required=needs_slot),
        occurred_at=delivery.root.timestamp("created_at") or received_at,
    )
    data.check(f"Calendly {delivery.name} delivery is unusable")
    return core


def _build(delivery: _Delivery, core: _Core, receipt: Receipt) -> BookingEvent:
    data, scheduled = delivery.data, delivery.scheduled
    organizer = _organizer(scheduled)
    attendees = _attendees(delivery, core.email)
    location, meeting_url = _location(scheduled.child("location"))
    cancellation = _cancellation(delivery)
    return BookingEvent(
        tenant_id=receipt.tenant_id,
        provider=Provider.CALENDLY,
        trigger=delivery.trigger,
        provider_trigger=delivery.name,
        raw_event_id=receipt.raw_event_id,
        occurred_at=core.occurred_at,
        received_at=receipt.received_at,
        booking_uid=core.uri,
        previous_booking_uid=data.ident("old_invitee"),
        next_booking_uid=data.ident("new_invitee"),
        is_reschedule=_is_reschedule(delivery),
        status=data.text("status"),
        event_type=EventType(id=scheduled.ident("event_type"), name=scheduled.text("name")),
        title=scheduled.text("name"),
        start_time=core.start,
        end_time=core.end,
        time_zone=primary_time_zone(attendees, organizer),
        organizer=organizer,
        attendees=attendees,
        location=location,
        meeting_url=meeting_url,
        cancellation_reason=cancellation.text("reason", TEXT),
        cancelled_by=cancellation.text("canceled_by"),
        booked_by=data.text("invitee_scheduled_by"),
        booking_method=data.text("scheduling_method") or "booking_page",
        tracking=_tracking(data.child("tracking")),
        answers=_answers(data),
    )


def _dedupe_key(delivery: _Delivery, core: _Core) -> str:
    """`(event, invitee uri)`, plus the no-show uri (else `created_at`) for no-show events."""
    if delivery.trigger is not T.NO_SHOW_UPDATED:
        return dedupe_key(Provider.CALENDLY, delivery.name, core.uri)
    mark = delivery.data.child("no_show").text("uri") or delivery.root.text("created_at") or ""
    return dedupe_key(Provider.CALENDLY, delivery.name, core.uri, mark)


def _is_reschedule(delivery: _Delivery) -> bool:
    """Both halves of a reschedule: the create half has old_invitee, the cancel half rescheduled."""
    if delivery.trigger is T.CREATED:
        return delivery.data.ident("old_invitee") is not None
    if delivery.trigger is T.CANCELLED:
        return delivery.data.flag("rescheduled") is True
    return False


def _attendees(delivery: _Delivery, email: str) -> list[Attendee]:
    """The invitee first, then the event's guests (no-show events: the invitee alone)."""
    data = delivery.data
    invitee = Attendee(
        email=email,
        name=data.text("name") or join_name(data.text("first_name"), data.text("last_name")),
        time_zone=data.text("timezone"),
        phone=data.text("text_reminder_number"),
        no_show=_NO_SHOW_FLAG.get(delivery.name),
    )
    if delivery.trigger is T.NO_SHOW_UPDATED:
        return [invitee]
    people = {email: invitee}
    # The invitee plus its guests stay within the bound every booking keeps.
    for guest in delivery.scheduled.children("event_guests", limit=MAX_ATTENDEES - 1):
        guest_email = guest.email("email")
        if guest_email and guest_email not in people:
            people[guest_email] = Attendee(email=guest_email)
    return list(people.values())


def _organizer(scheduled: Node) -> Person | None:
    """The first host in event_memberships (envelope `created_by` is the subscriber, not a host)."""
    hosts = scheduled.children("event_memberships")
    if not hosts:
        return None
    email, name = hosts[0].email("user_email"), hosts[0].text("user_name")
    return Person(email=email, name=name) if email or name else None


def _location(location: Node) -> tuple[str | None, str | None]:
    """(location, meeting_url) from `scheduled_event.location`."""
    join_url = location.text("join_url", TEXT)
    where = location.text("location", TEXT)
    meeting_url = join_url or (where if is_http_url(where) else None)
    return where or join_url or location.text("type"), meeting_url


def _cancellation(delivery: _Delivery) -> Node:
    """The invitee's cancellation, else the scheduled event's."""
    cancellation = delivery.data.child("cancellation")
    return cancellation if cancellation.data else delivery.scheduled.child("cancellation")


def _tracking(tracking: Node) -> Tracking:
    extra = {
        key: value
        for key in tracking.storable_keys()
        if key not in _TRACKING_FIELDS and (value := tracking.scalar(key))
    }
    return Tracking(
        utm_source=tracking.scalar("utm_source"),
        utm_medium=tracking.scalar("utm_medium"),
        utm_campaign=tracking.scalar("utm_campaign"),
        utm_term=tracking.scalar("utm_term"),
        utm_content=tracking.scalar("utm_content"),
        salesforce_uuid=tracking.ident("salesforce_uuid"),
        extra=extra,
    )


def _answers(data: Node) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for item in data.children("questions_and_answers"):
        question, answer = item.text("question"), item.json("answer")
        if question and answer is not None:
            answers[question] = answer
    return answers
