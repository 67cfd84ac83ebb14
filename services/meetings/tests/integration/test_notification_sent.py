"""NotificationSent (dealflow.notifications.v1) shows on the meeting as notification_sent_at: the
latest send, over the real broker, once per event, in any order, before or after its meeting."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from dealflow_libs.testing.factories import booking_event, notification_sent
from dealflow_libs.testing.kafka import publish_event
from dealflow_schemas.meetings import MeetingProvider, MeetingStatus, MeetingType
from dealflow_schemas.notifications import (
    NOTIFICATIONS_TOPIC,
    NotificationFailed,
    NotificationKind,
    NotificationTransport,
)
from meetings.db.tables import pending_notifications
from meetings.domain.meeting import Meeting
from meetings.use_cases import record_notifications

from .test_attribution_analytics import booked_meeting_id
from .test_booking_flow import wait_meeting


def instant(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


async def publish_notification(producer, event) -> str:
    return await publish_event(producer, NOTIFICATIONS_TOPIC, event, key=str(event.meeting_id))


async def notified_meeting(client, tenant, meeting_id: str, within: float = 15) -> dict:
    deadline = asyncio.get_running_loop().time() + within
    while True:
        answer = await client.get(f"/v1/meetings/{meeting_id}", headers=tenant.auth)
        assert answer.status_code == 200, answer.text
        if answer.json()["notification_sent_at"] is not None:
            return answer.json()
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"meeting {meeting_id} shows no notification: {answer.json()}")
        await asyncio.sleep(0.1)


async def parked(sessions, tenant_id: str, meeting_id: uuid.UUID) -> list:
    async with sessions() as session:
        rows = await session.execute(
            select(pending_notifications.c.event_id, pending_notifications.c.sent_at).where(
                pending_notifications.c.tenant_id == tenant_id,
                pending_notifications.c.meeting_id == meeting_id,
            )
        )
        return [tuple(r) for r in rows]


def notifications_uow(uow_factory):
    return uow_factory("meetings-notifications")


class TestOverTheBroker:
    async def test_a_sent_email_shows_on_the_meeting_and_in_the_list(
        self, client, tenant, publish, producer
    ) -> None:
        email = f"jane-{uuid.uuid4().hex[:6]}@acme.com"
        await publish(booking_event(tenant_id=tenant.id, email=email))
        meeting = await wait_meeting(client, tenant, email=email)
        assert meeting["notification_sent_at"] is None
        meeting_id = uuid.UUID(meeting["meeting_id"])

        # A failed send first: skipped (nothing went out), not dead-lettered, not in the way.
        failed = NotificationFailed(
            notification_id=uuid.uuid4(),
            tenant_id=tenant.id,
            meeting_id=meeting_id,
            kind=NotificationKind.CONFIRMATION,
            recipients=[email],
            from_address="team@outboundsolutions.com",
            subject="Booked",
            transport=NotificationTransport.RESEND,
            attempts=3,
            reason="parked after 3 attempts",
            failed_at=datetime.now(UTC),
        )
        await publish_notification(producer, failed)
        sent_at = datetime.now(UTC).replace(microsecond=0)
        await publish_notification(
            producer, notification_sent(tenant_id=tenant.id, meeting_id=meeting_id, sent_at=sent_at)
        )

        shown = await notified_meeting(client, tenant, meeting["meeting_id"])
        assert instant(shown["notification_sent_at"]) == sent_at
        [listed] = (
            await client.get("/v1/meetings", params={"attendee_email": email}, headers=tenant.auth)
        ).json()["items"]
        assert instant(listed["notification_sent_at"]) == sent_at


class TestOnce:
    async def test_a_redelivered_or_older_send_does_not_move_it_back(
        self, uow_factory, tenant
    ) -> None:
        meeting_id = await booked_meeting_id(uow_factory, tenant.id)
        t0 = datetime.now(UTC)
        confirmation = (
            str(uuid.uuid4()),
            notification_sent(tenant_id=tenant.id, meeting_id=meeting_id, sent_at=t0),
        )
        reminder = (
            str(uuid.uuid4()),
            notification_sent(
                tenant_id=tenant.id,
                meeting_id=meeting_id,
                kind=NotificationKind.REMINDER,
                offset_minutes=1440,
                sent_at=t0 + timedelta(days=1),
            ),
        )

        assert await record_notifications(notifications_uow(uow_factory), [reminder]) == 1
        # The confirmation read after the reminder (another partition's retry): older, kept out.
        assert await record_notifications(notifications_uow(uow_factory), [confirmation]) == 1
        # The reminder again (a redelivery after a rebalance): claimed already, nothing changes.
        assert await record_notifications(notifications_uow(uow_factory), [reminder]) == 0

        async with uow_factory() as uow:
            meeting = await uow.meetings.get(tenant.id, meeting_id)
        assert meeting is not None
        assert meeting.notification_sent_at == t0 + timedelta(days=1)

    async def test_a_send_before_its_meeting_waits_for_it(
        self, client, uow_factory, tenant, sessions
    ) -> None:
        meeting_id = uuid.uuid4()
        t0 = datetime.now(UTC).replace(microsecond=0)
        later = ("e-later-" + uuid.uuid4().hex, t0 + timedelta(minutes=5))
        earlier = ("e-earlier-" + uuid.uuid4().hex, t0)
        for event_id, sent_at in (later, earlier):
            await record_notifications(
                notifications_uow(uow_factory),
                [
                    (
                        event_id,
                        notification_sent(
                            tenant_id=tenant.id, meeting_id=meeting_id, sent_at=sent_at
                        ),
                    )
                ],
            )
        assert await parked(sessions, tenant.id, meeting_id) == [later]

        now = datetime.now(UTC)
        async with uow_factory() as uow:
            await uow.meetings.insert_new(
                [
                    Meeting(
                        id=meeting_id,
                        tenant_id=tenant.id,
                        provider=MeetingProvider.MANUAL,
                        provider_uid=None,
                        meeting_type=MeetingType.DEMO,
                        status=MeetingStatus.SCHEDULED,
                        created_at=now,
                        updated_at=now,
                        scheduled_at=now + timedelta(days=1),
                    )
                ],
                now,
            )
            await uow.commit()

        shown = (await client.get(f"/v1/meetings/{meeting_id}", headers=tenant.auth)).json()
        assert instant(shown["notification_sent_at"]) == later[1]
        assert await parked(sessions, tenant.id, meeting_id) == []

    async def test_another_tenants_send_leaves_the_meeting_alone(
        self, uow_factory, tenant, sessions
    ) -> None:
        meeting_id = await booked_meeting_id(uow_factory, tenant.id)
        stranger = f"other-{uuid.uuid4().hex[:6]}"

        await record_notifications(
            notifications_uow(uow_factory),
            [("e-1" + stranger, notification_sent(tenant_id=stranger, meeting_id=meeting_id))],
        )

        async with uow_factory() as uow:
            meeting = await uow.meetings.get(tenant.id, meeting_id)
        assert meeting is not None
        assert meeting.notification_sent_at is None
        assert [e for e, _ in await parked(sessions, stranger, meeting_id)] == ["e-1" + stranger]
