"""Builders for contract objects in tests: realistic defaults, every field overridable."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from dealflow_schemas.bookings import (
    Attendee,
    BookingEvent,
    BookingTrigger,
    EventType,
    Person,
    Provider,
    Tracking,
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
