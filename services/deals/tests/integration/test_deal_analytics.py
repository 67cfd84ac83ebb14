"""MeetingAttributed (dealflow.attribution.v1) gives a deal its source meeting's journey:
converting_channel, first_touch_channel and touches_before_deal, over the real broker in either
order, once per event, only within the event's tenant, following the meeting's deal link."""

import asyncio
import uuid

from sqlalchemy import select

from dealflow_libs.testing.factories import meeting_attributed, meeting_event
from dealflow_libs.testing.kafka import publish_event
from dealflow_schemas.attribution import ATTRIBUTION_TOPIC
from dealflow_schemas.meetings import MeetingBooked
from deals.db.tables import meeting_attributions
from deals.use_cases import record_journeys

from .test_pipeline_flow import deals_of, domain

FIELDS = (
    "converting_activity_id",
    "converting_channel",
    "first_touch_channel",
    "touches_before_deal",
)
UNATTRIBUTED = (None, None, None, None)


def analytics(deal: dict) -> tuple:
    return tuple(deal[f] for f in FIELDS)


async def publish_journey(producer, journey) -> str:
    return await publish_event(producer, ATTRIBUTION_TOPIC, journey, key=str(journey.meeting_id))


async def deal_showing(client, tenant, deal_id: str, touches: int, within: float = 15) -> dict:
    """The deal once its analytics show `touches` (the attribution consumer polls every 5 s)."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        deal = (await client.get(f"/v1/deals/{deal_id}", headers=tenant.auth)).json()
        if deal["touches_before_deal"] == touches:
            return deal
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"deal {deal_id} never showed {touches} touches: {deal}")
        await asyncio.sleep(0.1)


async def stored(sessions, tenant_id: str, meeting_id: uuid.UUID) -> bool:
    async with sessions() as session:
        found = await session.scalar(
            select(meeting_attributions.c.meeting_id).where(
                meeting_attributions.c.tenant_id == tenant_id,
                meeting_attributions.c.meeting_id == meeting_id,
            )
        )
        return found is not None


def booking(tenant_id: str, company: str, person: str = "jane") -> MeetingBooked:
    event = meeting_event(
        MeetingBooked, tenant_id=tenant_id, email=f"{person}@{company}", company_domain=company
    )
    assert isinstance(event, MeetingBooked)
    return event


class TestEitherOrder:
    async def test_a_deal_shows_its_meetings_journey_once_attributed(
        self, client, tenant, publish, producer
    ) -> None:
        company = domain()
        booked = booking(tenant.id, company)
        await publish(booked)
        [deal] = await deals_of(client, tenant, company)
        assert analytics(deal) == UNATTRIBUTED

        await publish_journey(
            producer, meeting_attributed(tenant_id=tenant.id, meeting_id=booked.meeting_id)
        )

        shown = await deal_showing(client, tenant, deal["deal_id"], 3)
        assert analytics(shown) == ("touch-3", "Outbound Email", "Paid Search", 3)
        [listed] = await deals_of(client, tenant, company)
        assert analytics(listed) == analytics(shown)

    async def test_a_journey_before_the_meeting_shows_when_the_deal_appears(
        self, client, tenant, publish, producer, sessions
    ) -> None:
        company = domain()
        booked = booking(tenant.id, company)
        await publish_journey(
            producer,
            meeting_attributed(
                tenant_id=tenant.id,
                meeting_id=booked.meeting_id,
                touches=0,
                days=None,
                first_channel=None,
                converting_channel=None,
                converting_activity_id=None,
            ),
        )
        for _ in range(150):
            if await stored(sessions, tenant.id, booked.meeting_id):
                break
            await asyncio.sleep(0.1)
        else:
            raise TimeoutError("the journey was not stored")

        await publish(booked)

        [deal] = await deals_of(client, tenant, company)
        assert analytics(deal) == (None, None, None, 0)


class TestSourceMeeting:
    async def test_the_meeting_that_created_the_deal_decides_not_a_later_one(
        self, client, tenant, publish, producer
    ) -> None:
        company = domain()
        first, second = booking(tenant.id, company), booking(tenant.id, company, "bob")
        # The bookings have their own keys (partitions), so the second goes out only once the
        # first has created the deal: the order across partitions is not the broker's promise.
        await publish(first)
        await deals_of(client, tenant, company, predicate=lambda d: len(d["meeting_ids"]) == 1)
        await publish(second)
        [deal] = await deals_of(
            client, tenant, company, predicate=lambda d: len(d["meeting_ids"]) == 2
        )
        assert deal["source_meeting_id"] == str(first.meeting_id)

        # The later meeting's journey first, then the source meeting's (both on their own key).
        later = meeting_attributed(
            tenant_id=tenant.id, meeting_id=second.meeting_id, touches=7, first_channel="Referral"
        )
        source = meeting_attributed(
            tenant_id=tenant.id, meeting_id=first.meeting_id, touches=2, first_channel="Events"
        )
        await publish_journey(producer, later)
        await publish_journey(producer, source)

        shown = await deal_showing(client, tenant, deal["deal_id"], 2)
        assert shown["first_touch_channel"] == "Events"

    async def test_a_crm_deal_takes_its_first_linked_meeting(
        self, client, tenant, publish, producer
    ) -> None:
        company = domain()
        created = await client.post(
            "/v1/sync/hubspot",
            json={
                "external_deal_id": f"hs-{uuid.uuid4().hex[:8]}",
                "stage": "qualifiedtobuy",
                "contact_email": f"buyer@{company}",
            },
            headers=tenant.auth,
        )
        assert created.status_code == 201, created.text
        assert analytics(created.json()) == UNATTRIBUTED
        booked = booking(tenant.id, company)
        await publish(booked)
        await deals_of(client, tenant, company, predicate=lambda d: len(d["meeting_ids"]) == 1)

        await publish_journey(
            producer,
            meeting_attributed(tenant_id=tenant.id, meeting_id=booked.meeting_id, touches=4),
        )

        shown = await deal_showing(client, tenant, created.json()["deal_id"], 4)
        assert shown["converting_channel"] == "Outbound Email"

    async def test_a_meeting_moved_to_another_deal_takes_its_journey_along(
        self, client, tenant, publish, uow_factory
    ) -> None:
        """No meeting event moves a meeting today; the read follows the link wherever it is."""
        company = domain()
        booked = booking(tenant.id, company)
        await publish(booked)
        [old] = await deals_of(client, tenant, company)
        crm = await client.post(
            "/v1/sync/hubspot",
            json={
                "external_deal_id": f"hs-{uuid.uuid4().hex[:8]}",
                "stage": "qualifiedtobuy",
                "contact_email": f"buyer@{domain()}",
            },
            headers=tenant.auth,
        )
        new_id = uuid.UUID(crm.json()["deal_id"])
        journey = meeting_attributed(tenant_id=tenant.id, meeting_id=booked.meeting_id, touches=6)
        await record_journeys(uow_factory("deals-attribution"), [(str(uuid.uuid4()), journey)])
        assert (await deal_showing(client, tenant, old["deal_id"], 6))["touches_before_deal"] == 6

        async with uow_factory() as uow:  # what the pipeline's link does: record and deal
            [record] = (await uow.deals.meeting_records([booked.meeting_id])).values()
            new = await uow.deals.get(tenant.id, new_id, for_update=True)
            assert new is not None
            record.deal_id = new.id
            new.link_meeting(booked.meeting_id)
            await uow.commit()

        moved_from = (await client.get(f"/v1/deals/{old['deal_id']}", headers=tenant.auth)).json()
        assert analytics(moved_from) == UNATTRIBUTED
        moved_to = (await client.get(f"/v1/deals/{new_id}", headers=tenant.auth)).json()
        assert moved_to["touches_before_deal"] == 6


class TestOnceAndIsolated:
    async def test_a_redelivered_journey_changes_nothing(
        self, client, tenant, publish, uow_factory
    ) -> None:
        company = domain()
        booked = booking(tenant.id, company)
        await publish(booked)
        [deal] = await deals_of(client, tenant, company)
        first = (
            str(uuid.uuid4()),
            meeting_attributed(tenant_id=tenant.id, meeting_id=booked.meeting_id, touches=1),
        )
        newer = (
            str(uuid.uuid4()),
            meeting_attributed(tenant_id=tenant.id, meeting_id=booked.meeting_id, touches=5),
        )

        def attribution_uow():
            return uow_factory("deals-attribution")

        assert await record_journeys(attribution_uow(), [first]) == 1
        assert await record_journeys(attribution_uow(), [newer]) == 1
        # The first again (a redelivery after a rebalance): claimed already, nothing changes.
        assert await record_journeys(attribution_uow(), [first, first]) == 0

        shown = (await client.get(f"/v1/deals/{deal['deal_id']}", headers=tenant.auth)).json()
        assert shown["touches_before_deal"] == 5

    async def test_another_tenants_journey_never_shows(
        self, client, tenant, publish, uow_factory
    ) -> None:
        company = domain()
        booked = booking(tenant.id, company)
        await publish(booked)
        [deal] = await deals_of(client, tenant, company)
        foreign = meeting_attributed(
            tenant_id=f"other-{uuid.uuid4().hex[:6]}", meeting_id=booked.meeting_id
        )

        await record_journeys(uow_factory("deals-attribution"), [(str(uuid.uuid4()), foreign)])

        shown = (await client.get(f"/v1/deals/{deal['deal_id']}", headers=tenant.auth)).json()
        assert analytics(shown) == UNATTRIBUTED
