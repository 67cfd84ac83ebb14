"""Every consumer of meetings claims its inbox: a redelivered event does not repeat its effect."""

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from dealflow_libs.tenants import record_tenant_changes
from dealflow_libs.testing.factories import booking_event
from dealflow_schemas.tenants import TenantChanged
from meetings.db.tables import inbox
from meetings.use_cases import DealLink, link_deals, record_booking_events


def identify(email: str, extra: tuple[str, ...]) -> tuple[str | None, bool]:
    return email.split("@")[1], False


async def deal_of(uow_factory, tenant_id: str, meeting_id: uuid.UUID) -> uuid.UUID | None:
    async with uow_factory() as uow:
        meeting = await uow.meetings.get(tenant_id, meeting_id)
        assert meeting is not None
        return meeting.deal_id


class TestDealLinks:
    async def test_a_redelivered_deal_event_does_not_move_the_meeting_back(
        self, uow_factory, tenant
    ) -> None:
        booking = booking_event(tenant_id=tenant.id, email=f"a-{uuid.uuid4().hex[:6]}@acme.com")
        await record_booking_events(
            uow_factory(), [(str(uuid.uuid4()), booking)], identify=identify
        )
        async with uow_factory() as uow:
            found = await uow.meetings.by_uids([(tenant.id, booking.booking_uid)])
        meeting_id = found[(tenant.id, booking.booking_uid)].id
        first, second = uuid.uuid4(), uuid.uuid4()
        to_first = (str(uuid.uuid4()), DealLink(tenant.id, first, [meeting_id]))
        to_second = (str(uuid.uuid4()), DealLink(tenant.id, second, [meeting_id]))

        def deals_uow():
            return uow_factory("meetings-deals")

        assert await link_deals(deals_uow(), [to_first]) == 1
        assert await link_deals(deals_uow(), [to_second]) == 1
        # The first event again (a redelivery after a rebalance): already done, nothing changes.
        assert await link_deals(deals_uow(), [to_first]) == 0
        assert await deal_of(uow_factory, tenant.id, meeting_id) == second

    async def test_one_batch_with_the_same_event_twice_applies_it_once(
        self, uow_factory, tenant
    ) -> None:
        booking = booking_event(tenant_id=tenant.id, email=f"b-{uuid.uuid4().hex[:6]}@acme.com")
        await record_booking_events(
            uow_factory(), [(str(uuid.uuid4()), booking)], identify=identify
        )
        async with uow_factory() as uow:
            found = await uow.meetings.by_uids([(tenant.id, booking.booking_uid)])
        link = (
            str(uuid.uuid4()),
            DealLink(tenant.id, uuid.uuid4(), [found[(tenant.id, booking.booking_uid)].id]),
        )

        assert await link_deals(uow_factory("meetings-deals"), [link, link]) == 1


class TestTenantFeed:
    async def test_changes_are_claimed_in_the_inbox_once(self, uow_factory, sessions) -> None:
        tenant_id = f"tf-{uuid.uuid4().hex[:8]}"
        changed = TenantChanged(
            tenant_id=tenant_id,
            name="Feed Inc.",
            api_key_hashes=[],
            default_currency="EUR",
            changed_at=datetime.now(UTC),
        )
        event_id = str(uuid.uuid4())

        def feed_uow():
            return uow_factory("meetings-tenants")

        assert await record_tenant_changes(feed_uow(), [(event_id, changed)]) == 1
        assert await record_tenant_changes(feed_uow(), [(event_id, changed)]) == 0

        async with uow_factory() as uow:
            profile = (await uow.tenants.profiles([tenant_id]))[tenant_id]
        assert profile.default_currency == "EUR"
        async with sessions() as session:
            consumers = await session.scalars(
                select(inbox.c.consumer).where(inbox.c.event_id == event_id)
            )
            assert list(consumers) == ["meetings-tenants"]

    async def test_an_older_change_never_overwrites_a_newer_one(self, uow_factory) -> None:
        tenant_id = f"tf-{uuid.uuid4().hex[:8]}"
        now = datetime.now(UTC)
        newer = TenantChanged(
            tenant_id=tenant_id,
            name="New",
            api_key_hashes=[],
            default_currency="GBP",
            changed_at=now,
        )
        older = newer.model_copy(
            update={"default_currency": "JPY", "changed_at": now - timedelta(seconds=5)}
        )

        await record_tenant_changes(uow_factory("meetings-tenants"), [(str(uuid.uuid4()), newer)])
        await record_tenant_changes(uow_factory("meetings-tenants"), [(str(uuid.uuid4()), older)])

        async with uow_factory() as uow:
            profile = (await uow.tenants.profiles([tenant_id]))[tenant_id]
        assert profile.default_currency == "GBP"
