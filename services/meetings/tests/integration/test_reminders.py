"""Reminders: planned from tenant offsets, published exactly once even with two dispatchers."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import orjson
from sqlalchemy import update

from dealflow_libs.db import create_engine, session_factory
from dealflow_libs.testing.factories import booking_event
from dealflow_libs.testing.kafka import TopicProbe, header
from dealflow_schemas.bookings import BookingTrigger
from meetings.db.tables import reminders
from meetings.uow import MeetingsUnitOfWork
from meetings.use_cases import confirm_meeting, dispatch_due_reminders, record_booking_events


def identify(email: str, extra: tuple[str, ...]) -> tuple[str | None, bool]:
    return email.split("@")[1], False


async def book(uow_factory, event) -> None:
    await record_booking_events(uow_factory(), [(str(uuid.uuid4()), event)], identify=identify)


async def reminder_rows(uow_factory, meeting_id) -> list[dict]:
    async with uow_factory() as uow:
        return [dict(r) for r in await uow.reminders.for_meeting(meeting_id)]


async def meeting_of(uow_factory, tenant_id: str, uid: str):
    async with uow_factory() as uow:
        found = await uow.meetings.by_uids([(tenant_id, uid)])
        return found[(tenant_id, uid)]


async def test_settings_api_validates_and_drives_planning(client, tenant, uow_factory) -> None:
    bad = await client.put(
        "/v1/settings", json={"reminder_offsets_minutes": [0]}, headers=tenant.auth
    )
    assert bad.status_code == 422
    assert "reminder_offsets_minutes" in bad.json()["message"]
    moved = await client.put(
        "/v1/settings", json={"personal_domains": ["family.org"]}, headers=tenant.auth
    )
    assert moved.status_code == 422
    assert "PUT /v1/settings on ingest" in moved.json()["message"]

    saved = await client.put(
        "/v1/settings",
        json={
            "reminder_offsets_minutes": [4320, 1440, 120],
            "meeting_type_rules": [{"match": "strategy", "type": "close"}],
        },
        headers=tenant.auth,
    )
    assert saved.status_code == 200, saved.text
    assert (await client.get("/v1/settings", headers=tenant.auth)).json()[
        "reminder_offsets_minutes"
    ] == [4320, 1440, 120]

    start = datetime.now(UTC).replace(microsecond=0) + timedelta(
        days=2
    )  # 72 h before is already past
    event = booking_event(
        tenant_id=tenant.id, start=start, title="Strategy session", event_type={"slug": "strategy"}
    )
    await book(uow_factory, event)
    meeting = await meeting_of(uow_factory, tenant.id, event.booking_uid)
    assert meeting.meeting_type.value == "close"
    planned = await reminder_rows(uow_factory, meeting.id)
    assert [(r["offset_minutes"], r["due_at"], r["status"]) for r in planned] == [
        (1440, start - timedelta(minutes=1440), "pending"),
        (120, start - timedelta(minutes=120), "pending"),
    ]

    moved = start + timedelta(days=2)
    new_uid = uuid.uuid4().hex
    await book(
        uow_factory,
        booking_event(
            tenant_id=tenant.id,
            trigger=BookingTrigger.RESCHEDULED,
            uid=new_uid,
            start=moved,
            previous_booking_uid=event.booking_uid,
            is_reschedule=True,
        ),
    )
    after = await reminder_rows(uow_factory, meeting.id)
    assert sorted(
        (r["offset_minutes"], r["status"]) for r in after if r["status"] == "pending"
    ) == [(120, "pending"), (1440, "pending"), (4320, "pending")]
    assert {r["due_at"] for r in after if r["status"] == "pending"} == {
        moved - timedelta(minutes=m) for m in (4320, 1440, 120)
    }

    await book(
        uow_factory,
        booking_event(tenant_id=tenant.id, trigger=BookingTrigger.CANCELLED, uid=new_uid),
    )
    assert [
        r for r in await reminder_rows(uow_factory, meeting.id) if r["status"] == "pending"
    ] == []


async def test_meeting_booked_less_than_two_hours_ahead_gets_none(tenant, uow_factory) -> None:
    event = booking_event(tenant_id=tenant.id, start=datetime.now(UTC) + timedelta(minutes=90))
    await book(uow_factory, event)
    meeting = await meeting_of(uow_factory, tenant.id, event.booking_uid)
    assert await reminder_rows(uow_factory, meeting.id) == []


async def test_due_reminder_is_published_exactly_once_with_two_dispatchers(
    tenant, uow_factory, meetings_settings, meeting_events: TopicProbe, meetings_url
) -> None:
    events = [booking_event(tenant_id=tenant.id, email=f"r{i}@acme.com") for i in range(20)]
    for event in events:
        await book(uow_factory, event)
    meetings = [await meeting_of(uow_factory, tenant.id, e.booking_uid) for e in events]
    ids = [m.id for m in meetings]
    async with uow_factory() as uow:  # make them due now
        await uow.session.execute(
            update(reminders)
            .where(reminders.c.meeting_id.in_(ids))
            .values(due_at=datetime.now(UTC) - timedelta(seconds=1))
        )
        await uow.commit()

    # Two more "instances" race the service's own scheduler (running in meetings_url's app).
    engines = [create_engine(meetings_settings.own_database_url, pool_size=2) for _ in range(2)]
    try:
        instances = [lambda s=session_factory(e): MeetingsUnitOfWork(s) for e in engines]
        sent = await asyncio.gather(
            *[dispatch_due_reminders(make(), limit=7) for make in instances for _ in range(3)]
        )
    finally:
        for engine in engines:
            await engine.dispose()

    def is_due(r) -> bool:
        return (
            header(r, "ce_type") == "dealflow.meeting.reminder_due.v1"
            and header(r, "ce_tenantid") == tenant.id
        )

    await meeting_events.wait_for(is_due, count=20)
    for meeting_id in ids:
        rows = await reminder_rows(uow_factory, meeting_id)
        assert [r["status"] for r in rows] == ["sent"]

    # A later event for each meeting (same key, same partition) as a marker: a second reminder
    # sent by a racing dispatcher was committed before it, so it is published before it too.
    for meeting in meetings:
        await confirm_meeting(uow_factory(), tenant.id, meeting.id, request_id="marker")
    marker_ids = {str(m.id) for m in meetings}
    await meeting_events.wait_for(
        lambda r: (
            header(r, "ce_type") == "dealflow.meeting.confirmed.v1"
            and header(r, "ce_subject") in marker_ids
        ),
        count=20,
    )
    due = meeting_events.matching(is_due)
    reminder_ids = [orjson.loads(r.value)["reminder_id"] for r in due]
    assert len(reminder_ids) == len(set(reminder_ids)) == 20
    assert sum(sent) <= 20
    body = orjson.loads(due[0].value)
    assert body["offset_minutes"] == 1440
    assert body["meeting"]["reminder_sent"] is True
