"""Meeting snapshots and events at fixed times, for the notifications domain tests."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from dealflow_schemas.meetings import MeetingEvent, MeetingSnapshot, MeetingStatus

E = TypeVar("E", bound=MeetingEvent)

MEETING_ID = uuid.UUID("0b7e6c1e-52c3-4d35-9f0a-2b1c9d8e7f60")
#: Tuesday 9 December 2025, 09:00 UTC (10:00 in Berlin).
START = datetime(2025, 12, 9, 9, 0, tzinfo=UTC)
BOOKED_AT = START - timedelta(days=7)


def snapshot(**changes: Any) -> MeetingSnapshot:
    """A scheduled 30-minute call booked a week ahead; keyword overrides (times move together
    only when given together)."""
    start = changes.pop("scheduled_at", START)
    state: dict[str, Any] = {
        "meeting_id": MEETING_ID,
        "tenant_id": "demo",
        "provider": "calcom",
        "provider_uid": "calcom-uid-1",
        "title": "Diagnostic call",
        "meeting_type": "discovery",
        "scheduled_at": start,
        "ends_at": start + timedelta(minutes=30) if start else None,
        "duration_minutes": 30,
        "time_zone": "Europe/Berlin",
        "organizer": {
            "email": "ben@revenueengineer.com",
            "name": "Ben Crane",
            "time_zone": "America/New_York",
        },
        "attendees": [
            {"email": "jane@prospect.io", "name": "Jane Doe", "time_zone": "Europe/Berlin"}
        ],
        "primary_email": "jane@prospect.io",
        "meeting_url": "https://meet.example.com/abc-defg-hij",
        "status": MeetingStatus.SCHEDULED,
        "created_at": BOOKED_AT,
        "updated_at": BOOKED_AT,
    }
    state.update(changes)
    return MeetingSnapshot(**state)


def event(event_type: type[E], meeting: MeetingSnapshot | None = None, **extra: Any) -> E:
    """`event_type` about `meeting` (default: `snapshot()`), occurring at its `updated_at`."""
    meeting = meeting or snapshot()
    return event_type(
        meeting_id=meeting.meeting_id,
        tenant_id=meeting.tenant_id,
        occurred_at=meeting.updated_at,
        meeting=meeting,
        **extra,
    )
