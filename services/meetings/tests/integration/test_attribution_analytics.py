"""MeetingAttributed (dealflow.attribution.v1) puts the booking's journey analytics on the meeting:
over the real broker in either order, once per event, only for the event's own tenant."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from dealflow_libs.testing.factories import booking_event, meeting_attributed
from dealflow_libs.testing.kafka import publish_event
from dealflow_schemas.attribution import ATTRIBUTION_TOPIC, DealAttributionVoided
from dealflow_schemas.meetings import MeetingProvider, MeetingStatus, MeetingType
from meetings.db.tables import pending_attributions
from meetings.domain.meeting import Meeting
from meetings.use_cases import record_attributions, record_booking_events

from .test_booking_flow import wait_meeting

ANALYTICS = (
    "touches_before_booking",
    "days_to_booking",
    "converting_activity_id",
    "converting_channel",
    "first_touch_channel",
)


def analytics(meeting: dict) -> tuple:
    return tuple(meeting[f] for f in ANALYTICS)


def identify(email: str, extra: tuple[str, ...]) -> tuple[str | None, bool]:
    return email.split("@")[1], False


async def attributed_meeting(client, tenant, meeting_id: str, within: float = 15) -> dict:
    deadline = asyncio.get_running_loop().time() + within
    while True:
        answer = await client.get(f"/v1/meetings/{meeting_id}", headers=tenant.auth)
        assert answer.status_code == 200, answer.text
        if answer.json()["touches_before_booking"] is not None:
            return answer.json()
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"meeting {meeting_id} not attributed: {answer.json()}")
        await asyncio.sleep(0.1)


async def publish_attribution(producer, event) -> str:
    return await publish_event(producer, ATTRIBUTION_TOPIC, event, key=str(event.meeting_id))


async def parked(sessions, tenant_id: str, meeting_id: uuid.UUID) -> list:
    async with sessions() as session:
        rows = await session.execute(
            select(pending_attributions.c.event_id).where(
                pending_attributions.c.tenant_id == tenant_id,
                pending_attributions.c.meeting_id == meeting_id,
            )
        )
        return list(rows.scalars())


async def booked_meeting_id(uow_factory, tenant_id: str) -> uuid.UUID:
    booking = booking_event(tenant_id=tenant_id, email=f"a-{uuid.uuid4().hex[:6]}@acme.com")
    await record_booking_events(uow_factory(), [(str(uuid.uuid4()), booking)], identify=identify)
    async with uow_factory() as uow:
        found = await uow.meetings.by_uids([(tenant_id, booking.booking_uid)])
    return found[(tenant_id, booking.booking_uid)].id


class TestOverTheBroker:
    async def test_a_booked_meeting_shows_its_analytics_once_attributed(
        self, client, tenant, publish, producer
    ) -> None:
        email = f"jane-{uuid.uuid4().hex[:6]}@acme.com"
        await publish(booking_event(tenant_id=tenant.id, email=email))
        meeting = await wait_meeting(client, tenant, email=email)
        assert analytics(meeting) == (None,) * len(ANALYTICS)

        # A deal run on the same topic first: skipped, not dead-lettered, and not in the way.
        voided = DealAttributionVoided(
            tenant_id=tenant.id,
            deal_id=uuid.uuid4(),
            run_ids=[],
            reason="reopened",
            voided_at=datetime.now(UTC),
        )
        await publish_event(producer, ATTRIBUTION_TOPIC, voided, key=meeting["meeting_id"])
        journey = meeting_attributed(
            tenant_id=tenant.id, meeting_id=uuid.UUID(meeting["meeting_id"]), email=email
        )
        await publish_attribution(producer, journey)

        shown = await attributed_meeting(client, tenant, meeting["meeting_id"])
        expected = (3, 12, "touch-3", "Outbound Email", "Paid Search")
        assert analytics(shown) == expected
        [listed] = (
            await client.get("/v1/meetings", params={"attendee_email": email}, headers=tenant.auth)
        ).json()["items"]
        assert analytics(listed) == expected

    async def test_an_attribution_before_its_meeting_waits_for_it(
        self, client, tenant, producer, sessions, uow_factory
    ) -> None:
        meeting_id = uuid.uuid4()
        journey = meeting_attributed(
            tenant_id=tenant.id, meeting_id=meeting_id, touches=0, days=None, first_channel=None
        )
        event_id = await publish_attribution(producer, journey)
        for _ in range(150):
            if await parked(sessions, tenant.id, meeting_id) == [event_id]:
                break
            await asyncio.sleep(0.1)
        else:
            raise TimeoutError("the attribution was not parked")

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
        assert analytics(shown) == (0, None, "touch-3", "Outbound Email", None)
        assert await parked(sessions, tenant.id, meeting_id) == []


class TestOnce:
    async def test_a_redelivered_attribution_changes_nothing(self, uow_factory, tenant) -> None:
        meeting_id = await booked_meeting_id(uow_factory, tenant.id)
        first = (str(uuid.uuid4()), meeting_attributed(tenant_id=tenant.id, meeting_id=meeting_id))
        newer = (
            str(uuid.uuid4()),
            meeting_attributed(
                tenant_id=tenant.id, meeting_id=meeting_id, touches=5, converting_channel="Referral"
            ),
        )

        def attribution_uow():
            return uow_factory("meetings-attribution")

        assert await record_attributions(attribution_uow(), [first]) == 1
        assert await record_attributions(attribution_uow(), [newer]) == 1
        # The first again (a redelivery after a rebalance): claimed already, nothing changes.
        assert await record_attributions(attribution_uow(), [first, first]) == 0
        async with uow_factory() as uow:
            meeting = await uow.meetings.get(tenant.id, meeting_id)
        assert meeting is not None
        assert (meeting.touches_before_booking, meeting.converting_channel) == (5, "Referral")

    async def test_another_tenants_attribution_leaves_the_meeting_alone(
        self, uow_factory, tenant, sessions
    ) -> None:
        meeting_id = await booked_meeting_id(uow_factory, tenant.id)
        stranger = f"other-{uuid.uuid4().hex[:6]}"
        foreign = meeting_attributed(tenant_id=stranger, meeting_id=meeting_id)

        await record_attributions(
            uow_factory("meetings-attribution"), [("e-1" + stranger, foreign)]
        )

        async with uow_factory() as uow:
            meeting = await uow.meetings.get(tenant.id, meeting_id)
        assert meeting is not None
        assert meeting.touches_before_booking is None
        # Kept for its own tenant, should a meeting of that tenant ever carry the id.
        assert await parked(sessions, stranger, meeting_id) == ["e-1" + stranger]
