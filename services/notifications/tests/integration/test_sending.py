"""Booking emails through the running service into the Resend emulator, each exactly once."""

import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import httpx
from icalendar import Calendar

from dealflow_libs.testing.factories import meeting_event
from dealflow_libs.testing.kafka import TopicProbe, publish_event
from dealflow_libs.testing.tenants import TenantCredentials
from dealflow_libs.testing.waiting import eventually
from dealflow_schemas.meetings import (
    MEETINGS_TOPIC,
    MeetingBooked,
    MeetingCancelled,
    MeetingRescheduled,
    MeetingStatus,
    ReminderDue,
)

from .conftest import Publish, ResendControl, body_of

ORGANIZER = {"email": "benjamin@revenueengineer.com", "name": "Benjamin Crane"}


async def emails_to(emulator: ResendControl, address: str, count: int = 1) -> list[dict]:  # type: ignore[type-arg]
    async def found() -> list[dict] | None:  # type: ignore[type-arg]
        mine = [e for e in await emulator.emails() if address in e["to"]]
        return mine if len(mine) >= count else None

    return await eventually(found)


async def notifications(api: httpx.AsyncClient, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = (await api.get("/v1/notifications", params=params)).json()[
        "items"
    ]
    return items


def ics_of(email: dict[str, Any]) -> Calendar:
    (attachment,) = [a for a in email["attachments"] if a["filename"].endswith(".ics")]
    return Calendar.from_ical(attachment["text"])


def booking(tenant_id: str, email: str, **state: Any) -> MeetingBooked:
    event = meeting_event(
        MeetingBooked, tenant_id=tenant_id, email=email, organizer=ORGANIZER, **state
    )
    assert isinstance(event, MeetingBooked)
    return event


async def test_book_reschedule_cancel_send_three_emails_and_no_stale_reminder(
    configured: httpx.AsyncClient,
    tenant: TenantCredentials,
    emulator: ResendControl,
    publish: Publish,
) -> None:
    attendee = f"jane-{uuid.uuid4().hex[:6]}@prospect.io"
    booked = booking(tenant.id, attendee)
    await publish(booked)
    (confirmation,) = await emails_to(emulator, attendee)
    assert confirmation["from"] == "benjamin.crane@revenueengineer.com"
    assert confirmation["reply_to"] in (
        "benjamin@revenueengineer.com",
        ["benjamin@revenueengineer.com"],
    )
    first = ics_of(confirmation)
    assert str(first["METHOD"]) == "REQUEST"

    start = booked.meeting.scheduled_at
    assert start is not None
    moved = start + timedelta(days=1)
    later = booked.meeting.updated_at + timedelta(seconds=1)
    rescheduled = meeting_event(
        MeetingRescheduled,
        tenant_id=tenant.id,
        meeting_id=booked.meeting_id,
        email=attendee,
        organizer=ORGANIZER,
        start=moved,
        rescheduled_count=1,
        updated_at=later,
        extra={"previous_scheduled_at": start},
    )
    await publish(rescheduled)
    await emails_to(emulator, attendee, count=2)
    # The reminder planned for the old start arrives late: it must not go out.
    stale = meeting_event(
        ReminderDue,
        tenant_id=tenant.id,
        meeting_id=booked.meeting_id,
        email=attendee,
        organizer=ORGANIZER,
        start=moved,
        rescheduled_count=1,
        updated_at=later,
        extra={
            "reminder_id": uuid.uuid4(),
            "offset_minutes": 60 * 24,
            "due_at": start - timedelta(days=1),
        },
    )
    await publish(stale)
    cancelled = meeting_event(
        MeetingCancelled,
        tenant_id=tenant.id,
        meeting_id=booked.meeting_id,
        email=attendee,
        organizer=ORGANIZER,
        start=moved,
        rescheduled_count=1,
        status=MeetingStatus.CANCELLED,
        updated_at=later + timedelta(seconds=1),
    )
    await publish(cancelled)
    emails = await emails_to(emulator, attendee, count=3)

    async def all_ended() -> list[dict[str, Any]] | None:
        found = await notifications(configured, meeting_id=str(booked.meeting_id))
        return (
            found
            if len(found) == 4 and all(n["status"] in ("sent", "skipped") for n in found)
            else None
        )

    ended = await all_ended_or_fail(all_ended)
    kinds = sorted((n["kind"], n["status"]) for n in ended)
    assert kinds == [
        ("cancellation", "sent"),
        ("confirmation", "sent"),
        ("reminder", "skipped"),
        ("reschedule", "sent"),
    ]
    assert len(emails) == 3
    calendars = sorted(
        (ics_of(e) for e in emails), key=lambda c: int(c.walk("VEVENT")[0]["SEQUENCE"])
    )
    methods = [str(c["METHOD"]) for c in calendars]
    assert methods == ["REQUEST", "REQUEST", "CANCEL"]
    uids = {str(c.walk("VEVENT")[0]["UID"]) for c in calendars}
    assert len(uids) == 1
    assert str(calendars[-1].walk("VEVENT")[0]["STATUS"]) == "CANCELLED"


async def all_ended_or_fail(check: Callable[[], Awaitable[Any]]) -> Any:
    return await eventually(check)


async def test_a_redelivered_event_sends_one_email(
    configured: httpx.AsyncClient,
    tenant: TenantCredentials,
    emulator: ResendControl,
    producer: Any,
    publish: Publish,
) -> None:
    attendee = f"twice-{uuid.uuid4().hex[:6]}@prospect.io"
    booked = booking(tenant.id, attendee)
    event_id = uuid.uuid4()
    for _ in range(3):
        await publish_event(
            producer, MEETINGS_TOPIC, booked, key=str(booked.meeting_id), event_id=event_id
        )
    marker = f"marker-{uuid.uuid4().hex[:6]}@prospect.io"
    await publish(booking(tenant.id, marker))
    await emails_to(emulator, marker)  # later on the topic: the copies were handled
    assert len([e for e in await emulator.emails() if attendee in e["to"]]) == 1


async def test_429s_and_5xx_bursts_still_send_one_email_each(
    configured: httpx.AsyncClient,
    tenant: TenantCredentials,
    emulator: ResendControl,
    publish: Publish,
) -> None:
    await emulator.call("POST", "/faults", {"kind": "rate_limit", "count": 2, "retry_after_ms": 0})
    # The email is accepted, then a 503 answers: the retry's Idempotency-Key finds it.
    await emulator.call("POST", "/faults", {"kind": "server_error", "count": 2, "apply": True})
    attendees = [f"burst{i}-{uuid.uuid4().hex[:6]}@prospect.io" for i in range(3)]
    for attendee in attendees:
        await publish(booking(tenant.id, attendee))
    for attendee in attendees:
        await emails_to(emulator, attendee)
    ended = await eventually(lambda: _all_sent(configured, 3))
    assert sum(n["attempts"] for n in ended) > 3
    for attendee in attendees:
        assert len([e for e in await emulator.emails() if attendee in e["to"]]) == 1


async def _all_sent(api: httpx.AsyncClient, count: int) -> list[dict[str, Any]] | None:
    found = await notifications(api, status="sent")
    return found if len(found) >= count else None


async def test_the_send_log_shows_content_attempts_and_resends(
    configured: httpx.AsyncClient,
    tenant: TenantCredentials,
    emulator: ResendControl,
    publish: Publish,
    notification_events: TopicProbe,
) -> None:
    attendee = f"log-{uuid.uuid4().hex[:6]}@prospect.io"
    booked = booking(tenant.id, attendee)
    await publish(booked)
    await emails_to(emulator, attendee)
    (sent,) = await eventually(lambda: _all_sent(configured, 1))
    detail = (await configured.get(f"/v1/notifications/{sent['id']}")).json()
    assert detail["ics"].startswith("BEGIN:VCALENDAR")
    assert attendee in detail["text"] or "Jamie" in detail["text"]
    assert [a["status"] for a in detail["attempt_log"]] == [200]
    records = await notification_events.wait_for(
        lambda r: body_of(r).get("notification_id") == sent["id"]
    )
    assert body_of(records[0])["provider_message_id"] == sent["provider_message_id"]
    again = await configured.post(f"/v1/notifications/{sent['id']}/resend")
    assert again.status_code == 201, again.text
    await emails_to(emulator, attendee, count=2)
    by_recipient = await notifications(configured, recipient=attendee)
    assert len(by_recipient) == 2
