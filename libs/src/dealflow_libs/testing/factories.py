"""Builders for contract objects in tests: realistic defaults, every field overridable."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from dealflow_schemas.attribution import MeetingAttributed
from dealflow_schemas.bookings import (
    Attendee,
    BookingEvent,
    BookingTrigger,
    EventType,
    Person,
    Provider,
    Tracking,
)
from dealflow_schemas.deals import DealEvent, DealSnapshot, DealStage, DealStatus, MeetingRef
from dealflow_schemas.meetings import MeetingEvent, MeetingSnapshot, MeetingStatus
from dealflow_schemas.notifications import (
    NotificationKind,
    NotificationSent,
    NotificationTransport,
)


def booking_event(
    *,
    tenant_id: str = "demo",
    trigger: BookingTrigger = BookingTrigger.CREATED,
    uid: str | None = None,
    email: str = "jamie@acme.com",
    start: datetime | None = None,
    minutes: int = 30,
    provider: Provider = Provider.CALCOM,
    **overrides: Any,
) -> BookingEvent:
    start = start or (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0)
    values: dict[str, Any] = {
        "tenant_id": tenant_id,
        "provider": provider,
        "trigger": trigger,
        "provider_trigger": f"BOOKING_{trigger.value.upper()}",
        "raw_event_id": uuid.uuid4(),
        "occurred_at": datetime.now(UTC),
        "received_at": datetime.now(UTC),
        "booking_uid": uid or uuid.uuid4().hex,
        "event_type": EventType(
            id="1", slug="discovery-call", name="Discovery Call", length_minutes=minutes
        ),
        "title": "Discovery Call",
        "start_time": start,
        "end_time": start + timedelta(minutes=minutes),
        "time_zone": "Europe/Berlin",
        "organizer": Person(email="rep@dealflow.dev", name="Rep", time_zone="UTC"),
        "attendees": [Attendee(email=email, name="Jamie", time_zone="Europe/Berlin")],
        "meeting_url": "https://meet.example.com/abc",
        "tracking": Tracking(utm_source="linkedin", utm_campaign="q4-outbound"),
        "status": "ACCEPTED",
    }
    values.update(overrides)
    return BookingEvent(**values)


def meeting_event(
    event_type: type[MeetingEvent],
    *,
    tenant_id: str = "demo",
    meeting_id: uuid.UUID | None = None,
    email: str = "jamie@acme.com",
    company_domain: str | None = "acme.com",
    start: datetime | None = None,
    status: MeetingStatus = MeetingStatus.SCHEDULED,
    extra: dict[str, Any] | None = None,
    **snapshot: Any,
) -> MeetingEvent:
    """A meeting event with a realistic full-state snapshot; `extra` sets event-specific fields."""
    meeting_id = meeting_id or uuid.uuid4()
    now = datetime.now(UTC)
    start = start or (now + timedelta(days=3)).replace(microsecond=0)
    state: dict[str, Any] = {
        "meeting_id": meeting_id,
        "tenant_id": tenant_id,
        "provider": "calcom",
        "provider_uid": uuid.uuid4().hex,
        "title": "Discovery Call",
        "meeting_type": "discovery",
        "scheduled_at": start,
        "ends_at": start + timedelta(minutes=30),
        "duration_minutes": 30,
        "organizer": {"email": "rep@dealflow.dev", "name": "Rep"},
        "attendees": [{"email": email, "name": "Jamie"}],
        "primary_email": email,
        "company_domain": company_domain,
        "is_personal_email": company_domain is None,
        "status": status,
        "tracking": {"utm_source": "linkedin", "utm_campaign": "q4"},
        "created_at": now,
        "updated_at": now,
    }
    state.update(snapshot)
    return event_type(
        meeting_id=meeting_id,
        tenant_id=tenant_id,
        occurred_at=now,
        meeting=MeetingSnapshot(**state),
        **(extra or {}),
    )


def meeting_attributed(
    *,
    tenant_id: str = "demo",
    meeting_id: uuid.UUID | None = None,
    email: str = "jamie@acme.com",
    touches: int = 3,
    days: int | None = 12,
    first_channel: str | None = "Paid Search",
    converting_channel: str | None = "Outbound Email",
    converting_activity_id: str | None = "touch-3",
    **overrides: Any,
) -> MeetingAttributed:
    """The attribution service's journey of one booking (what meetings and deals show)."""
    values: dict[str, Any] = {
        "tenant_id": tenant_id,
        "meeting_id": meeting_id or uuid.uuid4(),
        "person_email": email,
        "booked_at": datetime.now(UTC),
        "touches_before_booking": touches,
        "days_to_booking": days,
        "first_touch_channel": first_channel,
        "converting_activity_id": converting_activity_id,
        "converting_channel": converting_channel,
        "rule_version": 1,
        "caused_by": str(uuid.uuid4()),
    }
    values.update(overrides)
    return MeetingAttributed(**values)


def notification_sent(
    *,
    tenant_id: str = "demo",
    meeting_id: uuid.UUID | None = None,
    kind: NotificationKind = NotificationKind.CONFIRMATION,
    sent_at: datetime | None = None,
    **overrides: Any,
) -> NotificationSent:
    """An email about a meeting accepted by the provider (what meetings show as sent)."""
    values: dict[str, Any] = {
        "notification_id": uuid.uuid4(),
        "tenant_id": tenant_id,
        "meeting_id": meeting_id or uuid.uuid4(),
        "kind": kind,
        "recipients": ["jamie@acme.com"],
        "from_address": "team@outboundsolutions.com",
        "subject": "Your meeting is booked",
        "transport": NotificationTransport.RESEND,
        "attempts": 1,
        "caused_by": str(uuid.uuid4()),
        "provider_message_id": str(uuid.uuid4()),
        "sent_at": sent_at or datetime.now(UTC),
    }
    values.update(overrides)
    return NotificationSent(**values)


def deal_event(
    event_type: type[DealEvent],
    *,
    tenant_id: str = "demo",
    deal_id: uuid.UUID | None = None,
    meeting_ids: list[uuid.UUID] | None = None,
    email: str = "jamie@acme.com",
    domain: str = "acme.com",
    stage: DealStage = DealStage.BOOKED,
    status: DealStatus = DealStatus.ACTIVE,
    updated_at: datetime | None = None,
    extra: dict[str, Any] | None = None,
    **snapshot: Any,
) -> DealEvent:
    """A deal event with a realistic full-state snapshot; `extra` sets event-specific fields."""
    now = datetime.now(UTC)
    meeting_ids = meeting_ids if meeting_ids is not None else [uuid.uuid4()]
    state: dict[str, Any] = {
        "deal_id": deal_id or uuid.uuid4(),
        "tenant_id": tenant_id,
        "name": f"{domain.split('.')[0].title()} - new deal",
        "company": {
            "company_id": uuid.uuid4(),
            "domain": domain,
            "name": domain.split(".")[0].title(),
        },
        "status": status,
        "stage": stage,
        "probability": 10,
        "value": None,
        "currency": "USD",
        "primary_contact_email": email,
        "source_meeting_id": meeting_ids[0] if meeting_ids else None,
        "meeting_ids": meeting_ids,
        "created_at": now,
        "updated_at": updated_at or now,
        "stage_entered_at": now,
    }
    state.update(snapshot)
    deal = DealSnapshot(**state)
    meeting = (
        MeetingRef(
            meeting_id=meeting_ids[0], primary_email=email, organizer_email="rep@dealflow.dev"
        )
        if meeting_ids
        else None
    )
    return event_type(
        deal_id=deal.deal_id,
        tenant_id=tenant_id,
        occurred_at=now,
        deal=deal,
        meeting=meeting,
        **(extra or {}),
    )
